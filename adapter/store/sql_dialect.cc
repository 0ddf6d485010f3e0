#include "store/sql_dialect.h"

namespace trialbridge::store {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "resources, versions, search indexes, idempotency keys, outbox",
       {
           "CREATE TABLE resources (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "version {INT} NOT NULL, last_updated {TEXT} NOT NULL, lu_ms {INT} NOT NULL, "
           "deleted {INT} NOT NULL, PRIMARY KEY (res_type, res_id))",
           "CREATE INDEX resources_lu ON resources (res_type, lu_ms)",
           "CREATE TABLE resource_versions (seq {SERIAL}, res_type {TEXT} NOT NULL, "
           "res_id {TEXT} NOT NULL, version {INT} NOT NULL, last_updated {TEXT} NOT NULL, "
           "lu_ms {INT} NOT NULL, op {INT} NOT NULL, json {TEXT} NOT NULL, "
           "UNIQUE (res_type, res_id, version))",
           "CREATE INDEX resource_versions_type_lu ON resource_versions (res_type, lu_ms)",
           "CREATE INDEX resource_versions_lu ON resource_versions (lu_ms)",
           "CREATE TABLE idx_token (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, sys {TEXT} NOT NULL, code {TEXT} NOT NULL, "
           "txt {TEXT} NOT NULL)",
           "CREATE INDEX idx_token_code ON idx_token (res_type, param, code, sys)",
           "CREATE INDEX idx_token_res ON idx_token (res_type, res_id)",
           "CREATE TABLE idx_string (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, norm {TEXT} NOT NULL, exact {TEXT} NOT NULL)",
           "CREATE INDEX idx_string_norm ON idx_string (res_type, param, norm)",
           "CREATE INDEX idx_string_res ON idx_string (res_type, res_id)",
           "CREATE TABLE idx_date (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, lo {INT} NOT NULL, hi {INT} NOT NULL)",
           "CREATE INDEX idx_date_lo ON idx_date (res_type, param, lo)",
           "CREATE INDEX idx_date_hi ON idx_date (res_type, param, hi)",
           "CREATE INDEX idx_date_res ON idx_date (res_type, res_id)",
           "CREATE TABLE idx_ref (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, target_type {TEXT} NOT NULL, target_id {TEXT} NOT NULL, "
           "url {TEXT} NOT NULL)",
           "CREATE INDEX idx_ref_target ON idx_ref (res_type, param, target_id, target_type)",
           "CREATE INDEX idx_ref_rev ON idx_ref (target_type, target_id)",
           "CREATE INDEX idx_ref_res ON idx_ref (res_type, res_id)",
           "CREATE TABLE idx_number (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, value {REAL} NOT NULL, sys {TEXT} NOT NULL, "
           "code {TEXT} NOT NULL)",
           "CREATE INDEX idx_number_value ON idx_number (res_type, param, value)",
           "CREATE INDEX idx_number_res ON idx_number (res_type, res_id)",
           "CREATE TABLE idx_uri (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "param {TEXT} NOT NULL, uri {TEXT} NOT NULL)",
           "CREATE INDEX idx_uri_uri ON idx_uri (res_type, param, uri)",
           "CREATE INDEX idx_uri_res ON idx_uri (res_type, res_id)",
           "CREATE TABLE idempotency_keys (idem_key {TEXT} PRIMARY KEY, res_type {TEXT} NOT NULL, "
           "res_id {TEXT} NOT NULL, version {INT} NOT NULL, created {TEXT} NOT NULL)",
           "CREATE TABLE outbox (seq {SERIAL}, topic {TEXT} NOT NULL, res_type {TEXT} NOT NULL, "
           "res_id {TEXT} NOT NULL, version {INT} NOT NULL, op {INT} NOT NULL, "
           "payload {TEXT} NOT NULL, created {TEXT} NOT NULL, status {INT} NOT NULL, "
           "attempts {INT} NOT NULL, due_ms {INT} NOT NULL, last_error {TEXT} NOT NULL)",
           "CREATE INDEX outbox_due ON outbox (topic, status, due_ms)",
       }},
      {2,
       "index rows by resource and parameter (search checks criteria per candidate)",
       {
           "DROP INDEX idx_token_res",
           "CREATE INDEX idx_token_res ON idx_token (res_type, res_id, param)",
           "DROP INDEX idx_string_res",
           "CREATE INDEX idx_string_res ON idx_string (res_type, res_id, param)",
           "DROP INDEX idx_date_res",
           "CREATE INDEX idx_date_res ON idx_date (res_type, res_id, param)",
           "DROP INDEX idx_ref_res",
           "CREATE INDEX idx_ref_res ON idx_ref (res_type, res_id, param)",
           "DROP INDEX idx_number_res",
           "CREATE INDEX idx_number_res ON idx_number (res_type, res_id, param)",
           "DROP INDEX idx_uri_res",
           "CREATE INDEX idx_uri_res ON idx_uri (res_type, res_id, param)",
       }},
      {3,
       "the audit log: append-only, one row per AuditEvent",
       {
           "CREATE TABLE audit_log (seq {SERIAL}, id {TEXT} NOT NULL UNIQUE, "
           "recorded_ms {INT} NOT NULL, entity {TEXT} NOT NULL, agent {TEXT} NOT NULL, "
           "subtype {TEXT} NOT NULL, action {TEXT} NOT NULL, outcome {TEXT} NOT NULL, "
           "json {TEXT} NOT NULL)",
           "CREATE INDEX audit_log_entity ON audit_log (entity, recorded_ms)",
           "CREATE INDEX audit_log_recorded ON audit_log (recorded_ms)",
       }},
      {4,
       "idempotency keys remember the change (a digest) and its result",
       {
           "ALTER TABLE idempotency_keys ADD COLUMN fingerprint {TEXT} NOT NULL DEFAULT ''",
           "ALTER TABLE idempotency_keys ADD COLUMN result {TEXT} NOT NULL DEFAULT ''",
       }},
      {5,
       "HL7 v2 message receipts (deduplication) and the quarantine",
       {
           "CREATE TABLE message_receipts (msg_key {TEXT} PRIMARY KEY, "
           "sender_app {TEXT} NOT NULL, sender_facility {TEXT} NOT NULL, "
           "control_id {TEXT} NOT NULL, message_type {TEXT} NOT NULL, ack_code {TEXT} NOT NULL, "
           "quarantine_id {TEXT} NOT NULL, fingerprint {TEXT} NOT NULL, result {TEXT} NOT NULL, "
           "received {TEXT} NOT NULL)",
           "CREATE TABLE quarantine (seq {SERIAL}, id {TEXT} NOT NULL UNIQUE, "
           "msg_key {TEXT} NOT NULL, peer {TEXT} NOT NULL, sender_app {TEXT} NOT NULL, "
           "sender_facility {TEXT} NOT NULL, control_id {TEXT} NOT NULL, "
           "message_type {TEXT} NOT NULL, ack_code {TEXT} NOT NULL, error_code {INT} NOT NULL, "
           "location {TEXT} NOT NULL, reason {TEXT} NOT NULL, raw {TEXT} NOT NULL, "
           "status {TEXT} NOT NULL, attempts {INT} NOT NULL, received {TEXT} NOT NULL, "
           "received_ms {INT} NOT NULL, updated {TEXT} NOT NULL)",
           "CREATE INDEX quarantine_status ON quarantine (status, received_ms)",
           "CREATE INDEX quarantine_received ON quarantine (received_ms)",
       }},
      {6,
       "publishing state per target and resource (registry id and version, content hashes); "
       "claimed outbox rows",
       {
           "CREATE TABLE publish_state (target {TEXT} NOT NULL, res_type {TEXT} NOT NULL, "
           "res_id {TEXT} NOT NULL, remote_id {TEXT} NOT NULL, remote_version {TEXT} NOT NULL, "
           "hash {TEXT} NOT NULL, pending_hash {TEXT} NOT NULL, content {TEXT} NOT NULL, "
           "updated {TEXT} NOT NULL, PRIMARY KEY (target, res_type, res_id))",
           // Set while a claim hides the row (0 otherwise), so that a claim's lease can be told
           // from a retry's delay.
           "ALTER TABLE outbox ADD COLUMN claimed {INT} NOT NULL DEFAULT 0",
       }},
      {7,
       "the series index: a subject's resources of one code by the start of their date "
       "(store.h, SeriesQuery), filled from the search index of the resources stored",
       {
           "CREATE TABLE idx_series (res_type {TEXT} NOT NULL, res_id {TEXT} NOT NULL, "
           "subject_type {TEXT} NOT NULL, subject_id {TEXT} NOT NULL, sys {TEXT} NOT NULL, "
           "code {TEXT} NOT NULL, start_ms {INT} NOT NULL)",
           "CREATE INDEX idx_series_key ON idx_series (res_type, subject_id, subject_type, code, "
           "sys, start_ms, res_id)",
           "CREATE INDEX idx_series_res ON idx_series (res_type, res_id)",
           // The same rule as sql::seriesRows (series_sql.cc), over the rows already indexed.
           "INSERT INTO idx_series (res_type, res_id, subject_type, subject_id, sys, code, "
           "start_ms) SELECT DISTINCT s.res_type, s.res_id, s.target_type, s.target_id, c.sys, "
           "c.code, d.start_ms FROM idx_ref s JOIN idx_token c ON c.res_type = s.res_type AND "
           "c.res_id = s.res_id AND c.param = 'code' AND c.code <> '' JOIN (SELECT res_type, "
           "res_id, MIN(lo) AS start_ms FROM idx_date WHERE param = 'date' GROUP BY res_type, "
           "res_id) d ON d.res_type = s.res_type AND d.res_id = s.res_id WHERE s.param = "
           "'subject' AND s.target_type <> '' AND s.target_id <> ''",
       }},
  };
  return kMigrations;
}

std::string Dialect::sql(std::string_view text) const {
  if (!postgres_) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  int n = 0;
  bool quoted = false;
  for (const char c : text) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Dialect::ddl(std::string_view text) const {
  struct Sub {
    std::string_view from, sqlite, pg;
  };
  static constexpr Sub kSubs[] = {
      {"{TEXT}", "TEXT", "TEXT COLLATE \"C\""},
      {"{INT}", "INTEGER", "BIGINT"},
      {"{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
      {"{REAL}", "REAL", "DOUBLE PRECISION"},
  };
  std::string out(text);
  for (const Sub& s : kSubs) {
    for (size_t p = out.find(s.from); p != std::string::npos; p = out.find(s.from, p)) {
      const std::string_view to = postgres_ ? s.pg : s.sqlite;
      out.replace(p, s.from.size(), to);
      p += to.size();
    }
  }
  return out;
}

}  // namespace trialbridge::store
