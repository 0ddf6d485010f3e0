#include "store/message_sql.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Data/Statement.h>

#include <sstream>

#include "store/poco_postgres.h"

namespace trialbridge::store::sql {

namespace {

using Poco::Int64;
using Poco::Data::Statement;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;

// The bytes of a message may be in any character set (ISO 8859-1, or not text at all): they are
// kept as base64 so that a PostgreSQL UTF-8 database takes them.
std::string toBase64(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  return out.str();
}

std::string fromBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::string out;
  char buf[4096];
  while (dec.read(buf, sizeof buf) || dec.gcount() > 0) {
    out.append(buf, static_cast<size_t>(dec.gcount()));
  }
  return out;
}

constexpr const char* kQuarantineColumns =
    "id, msg_key, peer, sender_app, sender_facility, control_id, message_type, ack_code, "
    "error_code, location, reason, status, attempts, received, received_ms, updated";

// The columns of kQuarantineColumns, extracted row by row.
struct QuarantineRows {
  std::vector<std::string> id, key, peer, app, facility, control, type, ack, location, reason,
      status, received, updated, raw;
  std::vector<Int64> code, attempts, receivedMs;

  void bind(Statement& st, bool withRaw) {
    st.addExtract(into(id));
    st.addExtract(into(key));
    st.addExtract(into(peer));
    st.addExtract(into(app));
    st.addExtract(into(facility));
    st.addExtract(into(control));
    st.addExtract(into(type));
    st.addExtract(into(ack));
    st.addExtract(into(code));
    st.addExtract(into(location));
    st.addExtract(into(reason));
    st.addExtract(into(status));
    st.addExtract(into(attempts));
    st.addExtract(into(received));
    st.addExtract(into(receivedMs));
    st.addExtract(into(updated));
    if (withRaw) st.addExtract(into(raw));
  }

  QuarantineEntry row(size_t i) const {
    QuarantineEntry e;
    e.id = id[i];
    e.key = key[i];
    e.peer = peer[i];
    e.senderApplication = app[i];
    e.senderFacility = facility[i];
    e.controlId = control[i];
    e.messageType = type[i];
    e.ackCode = ack[i];
    e.errorCode = static_cast<int>(code[i]);
    e.location = location[i];
    e.reason = reason[i];
    e.status = status[i];
    e.attempts = static_cast<int>(attempts[i]);
    e.received = received[i];
    e.receivedMs = receivedMs[i];
    e.updated = updated[i];
    if (i < raw.size()) e.raw = fromBase64(raw[i]);
    return e;
  }
};

}  // namespace

Status selectReceipt(KeptStatements& kept, const Dialect& dialect, std::string_view key,
                     MessageReceipt& out) {
  std::string k(key);
  KeptRows& rows = kept.run(dialect.sql("SELECT sender_app, sender_facility, control_id, "
                                        "message_type, ack_code, quarantine_id, fingerprint, "
                                        "result, received FROM message_receipts WHERE msg_key = ?"),
                            {SqlValue(k)}, std::vector<ColumnKind>(9, ColumnKind::Text));
  if (rows.size() == 0) return Status::error(Code::NotFound, "no receipt for '" + k + "'");
  auto take = [&](size_t column) { return std::move(rows.text[column][0]); };
  out.key = k;
  out.senderApplication = take(0);
  out.senderFacility = take(1);
  out.controlId = take(2);
  out.messageType = take(3);
  out.ackCode = take(4);
  out.quarantineId = take(5);
  out.fingerprint = take(6);
  out.result = take(7);
  out.received = take(8);
  return Status::ok();
}

Status insertReceipt(Poco::Data::Session& session, const Dialect& dialect, const MessageReceipt& r,
                     bool replace, const std::string& now) {
  std::string k = r.key, app = r.senderApplication, facility = r.senderFacility,
              control = r.controlId, type = r.messageType, ack = r.ackCode,
              quarantine = r.quarantineId, fingerprint = r.fingerprint, result = r.result,
              received = now;
  // ON CONFLICT DO NOTHING rather than a unique violation: on PostgreSQL an insert that meets a
  // key inserted by a transaction still open waits for it, and then does nothing if it committed,
  // so the caller learns that the key is taken and can replay (both backends: SQLite >= 3.24).
  const std::string conflict =
      replace ? " ON CONFLICT (msg_key) DO UPDATE SET ack_code = excluded.ack_code, "
                "quarantine_id = excluded.quarantine_id, fingerprint = excluded.fingerprint, "
                "result = excluded.result"
              : " ON CONFLICT (msg_key) DO NOTHING";
  Statement st(session);
  st << dialect.sql(
      "INSERT INTO message_receipts (msg_key, sender_app, sender_facility, control_id, "
      "message_type, ack_code, quarantine_id, fingerprint, result, received) VALUES (?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?)" +
      conflict),
      use(k), use(app), use(facility), use(control), use(type), use(ack), use(quarantine),
      use(fingerprint), use(result), use(received);
  if (st.execute() == 0 && !replace) {
    return Status::error(Code::Conflict, "the message key '" + k + "' is taken");
  }
  return Status::ok();
}

Status upsertQuarantine(Poco::Data::Session& session, const Dialect& dialect,
                        const QuarantineEntry& e, const std::string& now, int64_t nowMs) {
  std::string id = e.id, key = e.key, peer = e.peer, app = e.senderApplication,
              facility = e.senderFacility, control = e.controlId, type = e.messageType,
              ack = e.ackCode, location = e.location, reason = e.reason, raw = toBase64(e.raw),
              status = e.status, received = now, updated = now;
  Int64 code = e.errorCode, attempts = e.attempts, receivedMs = nowMs;
  session << dialect.sql(
      "INSERT INTO quarantine (id, msg_key, peer, sender_app, sender_facility, control_id, "
      "message_type, ack_code, error_code, location, reason, raw, status, attempts, received, "
      "received_ms, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET ack_code = excluded.ack_code, "
      "error_code = excluded.error_code, location = excluded.location, "
      "reason = excluded.reason, status = excluded.status, attempts = excluded.attempts, "
      "updated = excluded.updated"),
      use(id), use(key), use(peer), use(app), use(facility), use(control), use(type), use(ack),
      use(code), use(location), use(reason), use(raw), use(status), use(attempts), use(received),
      use(receivedMs), use(updated), kNow;
  return Status::ok();
}

Status selectQuarantine(Poco::Data::Session& session, const Dialect& dialect, std::string_view id,
                        QuarantineEntry& out) {
  std::string i(id);
  QuarantineRows rows;
  Statement st(session);
  st << dialect.sql(std::string("SELECT ") + kQuarantineColumns +
                    ", raw FROM quarantine WHERE id = ?"),
      use(i);
  rows.bind(st, true);
  st.execute();
  if (rows.id.empty()) return Status::error(Code::NotFound, "no quarantined message '" + i + "'");
  out = rows.row(0);
  return Status::ok();
}

Status selectQuarantineList(Poco::Data::Session& session, const Dialect& dialect,
                            const QuarantineQuery& q, std::vector<QuarantineEntry>& out,
                            int64_t& total) {
  std::string status = q.status;
  const std::string where = status.empty() ? "" : " WHERE status = ?";
  {
    Statement count(session);
    count << dialect.sql("SELECT COUNT(*) FROM quarantine" + where);
    if (!status.empty()) count.addBind(use(status));
    Int64 n = 0;
    count.addExtract(into(n));
    count.execute();
    total = n;
  }
  Int64 limit = static_cast<Int64>(q.limit), offset = static_cast<Int64>(q.offset);
  QuarantineRows rows;
  Statement st(session);
  st << dialect.sql(std::string("SELECT ") + kQuarantineColumns + (q.withRaw ? ", raw" : "") +
                    " FROM quarantine" + where +
                    " ORDER BY received_ms DESC, seq DESC LIMIT ? OFFSET ?");
  if (!status.empty()) st.addBind(use(status));
  st.addBind(use(limit));
  st.addBind(use(offset));
  rows.bind(st, q.withRaw);
  st.execute();
  for (size_t i = 0; i < rows.id.size(); ++i) out.push_back(rows.row(i));
  return Status::ok();
}

}  // namespace trialbridge::store::sql
