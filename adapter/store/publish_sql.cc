#include "store/publish_sql.h"

#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <chrono>

#include "store/poco_postgres.h"

namespace trialbridge::store::sql {

namespace {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;

// Session-level advisory locks of the two-key form: their key space is apart from the one-key
// locks the writers take per resource (pg_advisory_xact_lock(hashtext(...))), so that a lease
// never blocks a write.
// The class key is 727466, written into the constant SQL text below (security.sql_binds).

// Every statement here is made, executed once and dropped (`session << ..., now` or a local
// Statement): none is kept and executed again, so Poco 1.11's double free of a reused
// PostgreSQL statement after a failed run (store/poco_postgres.h) cannot happen. A statement
// kept across calls must go through executeAgain().

class Lease final : public StoreLease {
 public:
  Lease(HeldNames& held, std::string name, std::unique_ptr<Session> session)
      : held_(held), name_(std::move(name)), session_(std::move(session)) {}
  ~Lease() override {
    if (session_ != nullptr && !postgresConnectionClosed(*session_)) {
      try {
        Int64 released = 0;
        *session_ << "SELECT CASE WHEN pg_advisory_unlock(727466, hashtext($1)) THEN 1 ELSE 0 END",
            use(name_), into(released), kNow;
      } catch (...) {
        // The connection is gone: the server released the lock with it.
      }
    }
    held_.give(name_);
  }
  bool held() override {
    if (session_ == nullptr) return true;
    // A connection the server closed holds no lock: said without running a statement on it.
    if (postgresConnectionClosed(*session_)) return false;
    try {
      Int64 one = 0;
      *session_ << "SELECT 1", into(one), kNow;
      return one == 1;
    } catch (...) {
      return false;
    }
  }

 private:
  HeldNames& held_;
  std::string name_;
  std::unique_ptr<Session> session_;
};

}  // namespace

Status selectPendingOutbox(Session& s, const Dialect& dialect, const OutboxQuery& query,
                           std::vector<OutboxMessage>& out, int64_t& total) {
  std::string topic = query.topic;
  const std::string where = std::string(" FROM outbox WHERE topic = ? AND status = 0") +
                            (query.failingOnly ? " AND attempts > 0" : "");
  Int64 n = 0;
  s << dialect.sql("SELECT COUNT(*)" + where), use(topic), into(n), kNow;
  total = n;
  Int64 limit = static_cast<Int64>(query.limit);
  OutboxColumns c;
  std::vector<Int64> due;
  s << dialect.sql(
      "SELECT seq, res_type, res_id, version, op, payload, attempts, last_error, "
      "created, due_ms" +
      where + " ORDER BY seq LIMIT ?"),
      use(topic), use(limit), into(c.seqs), into(c.types), into(c.ids), into(c.versions),
      into(c.ops), into(c.payloads), into(c.attempts), into(c.errors), into(c.created), into(due),
      kNow;
  for (size_t i = 0; i < c.seqs.size(); ++i) out.push_back(c.message(i, topic, due[i]));
  return Status::ok();
}

OutboxMessage OutboxColumns::message(size_t i, const std::string& topic, int64_t dueMs) const {
  OutboxMessage m;
  m.seq = seqs[i];
  m.topic = topic;
  m.type = types[i];
  m.id = ids[i];
  m.version = versions[i];
  m.op = static_cast<Operation>(ops[i]);
  m.payload = payloads[i];
  m.attempts = static_cast<int32_t>(attempts[i]);
  m.lastError = errors[i];
  m.created = created[i];
  m.dueMs = dueMs;
  return m;
}

int64_t reclaimClaimed(Session& s, const Dialect& dialect, std::string_view topic) {
  std::string t(topic);
  Int64 now = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  Statement st(s);
  st << dialect.sql(
      "UPDATE outbox SET due_ms = ?, claimed = 0 WHERE topic = ? AND status = 0 AND claimed = 1"),
      use(now), use(t);
  return static_cast<int64_t>(st.execute());
}

Status selectPublishState(Session& s, const Dialect& dialect, std::string_view target,
                          std::string_view type, std::string_view id, PublishState& out) {
  std::string t(target), ty(type), i(id);
  std::vector<std::string> remoteId, remoteVersion, hash, pending, content, updated;
  s << dialect.sql(
      "SELECT remote_id, remote_version, hash, pending_hash, content, updated FROM "
      "publish_state WHERE target = ? AND res_type = ? AND res_id = ?"),
      use(t), use(ty), use(i), into(remoteId), into(remoteVersion), into(hash), into(pending),
      into(content), into(updated), kNow;
  if (remoteId.empty()) {
    return Status::error(Code::NotFound, "no publishing state for " + ty + "/" + i + " on " + t);
  }
  out.target = std::move(t);
  out.type = std::move(ty);
  out.id = std::move(i);
  out.remoteId = std::move(remoteId[0]);
  out.remoteVersion = std::move(remoteVersion[0]);
  out.hash = std::move(hash[0]);
  out.pendingHash = std::move(pending[0]);
  out.content = std::move(content[0]);
  out.updated = std::move(updated[0]);
  return Status::ok();
}

void upsertPublishState(Session& s, const Dialect& dialect, const PublishState& state,
                        const std::string& now) {
  PublishState v = state;
  std::string updated = now;
  s << dialect.sql(
      "INSERT INTO publish_state (target, res_type, res_id, remote_id, remote_version, hash, "
      "pending_hash, content, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, "
      "res_type, res_id) DO UPDATE SET remote_id = excluded.remote_id, remote_version = "
      "excluded.remote_version, hash = excluded.hash, pending_hash = excluded.pending_hash, "
      "content = excluded.content, updated = excluded.updated"),
      use(v.target), use(v.type), use(v.id), use(v.remoteId), use(v.remoteVersion), use(v.hash),
      use(v.pendingHash), use(v.content), use(updated), kNow;
}

bool HeldNames::take(const std::string& name) {
  std::lock_guard lock(mutex_);
  return names_.insert(name).second;
}

void HeldNames::give(const std::string& name) {
  std::lock_guard lock(mutex_);
  names_.erase(name);
}

Status takeLease(HeldNames& held, bool postgres,
                 const std::function<std::unique_ptr<Session>()>& connect, std::string_view name,
                 std::unique_ptr<StoreLease>& out) {
  out.reset();
  std::string n(name);
  if (!held.take(n)) return Status::ok();
  if (!postgres) {
    out = std::make_unique<Lease>(held, std::move(n), nullptr);
    return Status::ok();
  }
  try {
    std::unique_ptr<Session> session = connect();
    Int64 got = 0;
    *session << "SELECT CASE WHEN pg_try_advisory_lock(727466, hashtext($1)) THEN 1 ELSE 0 END",
        use(n), into(got), kNow;
    if (got != 1) {
      held.give(n);
      return Status::ok();
    }
    out = std::make_unique<Lease>(held, std::move(n), std::move(session));
    return Status::ok();
  } catch (const Poco::Exception& e) {
    held.give(n);
    return Status::error(Code::Internal, "cannot take the lease '" + n + "': " + e.displayText());
  }
}

}  // namespace trialbridge::store::sql
