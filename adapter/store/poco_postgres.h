#pragma once
// What the store needs around Poco::Data's PostgreSQL connector (Debian 12's 1.11.0-3+deb12u1):
// re-executing a kept statement safely, and noticing a connection the server has closed.
//
// Re-executing: a workaround for a double free in Poco 1.11's PostgreSQL connector.
//
// The defect: StatementExecutor::execute() first calls clearResults(), which PQclear()s the
// result of the previous execution but leaves the pointer to it (_pResultHandle) in place; the
// new result is stored only when the execution succeeds. So when a statement that succeeded once
// fails on a later execution (a unique violation, a lost connection, a cancelled query), the
// executor keeps a pointer to freed memory, and the next execution or the destructor frees it a
// second time: "double free or corruption", or a heap silently corrupted when the block was
// reused meanwhile. Disassembly of the installed library (clearResults at 0x36670: PQclear of
// the member at offset 0x10, no store to it; execute() at 0x370b0: the only store to 0x10 comes
// after the status check) and ASan's report (freed by clearResults() under bindImpl(), freed
// again by ~StatementExecutor()) show it. Which writer thread ran the failing unit decided
// whether the crash happened, hence "only under concurrency".
//
// The remedy: before each execution of a statement that is kept and executed again, the store
// frees the previous result itself and clears the pointer, so that a failing execution leaves a
// null pointer behind. Statements executed once (made, run, dropped) need nothing.
#include <Poco/Data/Statement.h>

#include <cstddef>

namespace Poco::Data {
class Session;
}  // namespace Poco::Data

namespace trialbridge::store {

// Poco's `now` manipulator (execute the statement at once), under a name that the parameters
// called `now` in the SQL files do not hide.
inline constexpr auto kNow = &Poco::Data::Keywords::now;

// Frees the PostgreSQL result `st` holds from its last execution (nothing on other backends or
// before the first execution). The rows of that execution must have been extracted already
// (Poco extracts them all inside execute() for statements without a limit).
void releasePostgresResult(Poco::Data::Statement& st);

// releasePostgresResult(st), then st.execute(): how every kept statement is executed. When the
// execution throws, the statement is left ready to run again: Poco 1.11 (both backends) would
// otherwise refuse every later execution with "Statement still executing", which made one
// refused prepared create break that writer's creates until the process restarted.
// Vectors (one execution per row) may be bound only to statements that extract nothing.
std::size_t executeAgain(Poco::Data::Statement& st);

// True when `session` is a PostgreSQL connection that cannot serve another command: libpq says
// it is bad, or its idle socket has something to read, which on a connection with no command in
// flight (and no LISTEN) is the server's goodbye: the FATAL message and end of file a backend
// sends when it is terminated or the server shuts down. False on other backends. Costs a poll()
// with no wait: the writers and the reader pool call it before they use a connection that has
// been idle, so that a PostgreSQL restart costs a reconnection, not a failed request each.
bool postgresConnectionClosed(Poco::Data::Session& session);

}  // namespace trialbridge::store
