#include "store/poco_postgres.h"

#include <libpq-fe.h>
#include <poll.h>

#include <Poco/Data/PostgreSQL/PostgreSQLStatementImpl.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/PostgreSQL/StatementExecutor.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

namespace trialbridge::store {

namespace {

using Poco::Data::Statement;
using Poco::Data::StatementImpl;
using Poco::Data::PostgreSQL::PostgreSQLStatementImpl;
using Poco::Data::PostgreSQL::StatementExecutor;

// The three members on the way to the result pointer are private and Poco offers no call that
// clears it. An explicit instantiation may name private members ([temp.spec.general]/6); the
// friend function it defines hands out the member pointer. Typed member pointers taken from the
// installed headers, not offsets: a Poco whose layout differs fails to compile, not at run time.
template <typename Tag, typename Tag::type kMember>
struct MemberOf {
  friend typename Tag::type member(Tag) { return kMember; }
};

struct StatementImplTag {
  using type = StatementImpl::Ptr Statement::*;
  friend type member(StatementImplTag);
};
struct ExecutorTag {
  using type = StatementExecutor PostgreSQLStatementImpl::*;
  friend type member(ExecutorTag);
};
struct StateTag {
  using type = StatementImpl::State StatementImpl::*;
  friend type member(StateTag);
};
struct ResultTag {
  using type = PGresult* StatementExecutor::*;
  friend type member(ResultTag);
};

template struct MemberOf<StatementImplTag, &Statement::_pImpl>;
template struct MemberOf<ExecutorTag, &PostgreSQLStatementImpl::_statementExecutor>;
template struct MemberOf<ResultTag, &StatementExecutor::_pResultHandle>;
template struct MemberOf<StateTag, &StatementImpl::_state>;

// The PostgreSQL result pointer of `st`, or nullptr when `st` is not a PostgreSQL statement.
PGresult** resultOf(Statement& st) {
  StatementImpl* impl = (st.*member(StatementImplTag{})).get();
  auto* pg = dynamic_cast<PostgreSQLStatementImpl*>(impl);
  if (pg == nullptr) return nullptr;
  StatementExecutor& executor = pg->*member(ExecutorTag{});
  return &(executor.*member(ResultTag{}));
}

}  // namespace

void releasePostgresResult(Statement& st) {
  PGresult** result = resultOf(st);
  if (result == nullptr) return;
  PGresult* previous = *result;
  *result = nullptr;
  PQclear(previous);  // PQclear(nullptr) does nothing
}

std::size_t executeAgain(Statement& st) {
  releasePostgresResult(st);
  try {
    return st.execute();
  } catch (...) {
    // With vectors bound, one execute() runs the prepared statement once per row: when row k > 0
    // fails, row k - 1's result has been freed by clearResults() and its pointer is left behind.
    // Such statements extract nothing, so the pointer is dropped unfreed: freed already, or (when
    // the connection check failed before clearResults()) leaked once. A statement that extracts
    // binds single values: its pointer is null or the failed execution's own, valid result.
    if (PGresult** result = resultOf(st); result != nullptr && st.extractionCount() == 0) {
      *result = nullptr;
    }
    // Poco leaves a statement whose execution threw in the state it had reached (compiled or
    // bound), and Statement::execute() then refuses it for good ("Statement still executing").
    // Done is the state a finished execution leaves: the next execute() resets the bindings
    // and extractions and runs the prepared statement again.
    (st.*member(StatementImplTag{}))->*member(StateTag{}) = StatementImpl::ST_DONE;
    throw;
  }
}

bool postgresConnectionClosed(Poco::Data::Session& session) {
  auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session.impl());
  if (impl == nullptr) return false;
  PGconn* conn = impl->handle();
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return true;
  pollfd p{};
  p.fd = PQsocket(conn);
  if (p.fd < 0) return true;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;  // readable, hung up, or an error
}

}  // namespace trialbridge::store
