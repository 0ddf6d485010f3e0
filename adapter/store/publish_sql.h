#pragma once
// Internal to the store: the SQL of the outbox listing, the publishing state and the exclusive
// leases (store.h: pendingOutbox, readPublishState, savePublishState, tryExclusive), apart from
// sql_store.cc. Poco::Data types appear here; include it from the store's .cc files only.
#include <Poco/Data/Session.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/sql_dialect.h"
#include "store/store.h"

namespace trialbridge::store::sql {

// Outbox rows read column by column (Poco binds a vector to each column): the listing and the
// writer's claim read the same columns.
struct OutboxColumns {
  std::vector<Poco::Int64> seqs, versions, ops, attempts;
  std::vector<std::string> types, ids, payloads, errors, created;
  // Row i as a message of `topic`, due at `dueMs`.
  OutboxMessage message(size_t i, const std::string& topic, int64_t dueMs) const;
};

Status selectPendingOutbox(Poco::Data::Session& session, const Dialect& dialect,
                           const OutboxQuery& query, std::vector<OutboxMessage>& out,
                           int64_t& total);

// Makes the claimed rows of `topic` due now; returns how many.
int64_t reclaimClaimed(Poco::Data::Session& session, const Dialect& dialect,
                       std::string_view topic);

Status selectPublishState(Poco::Data::Session& session, const Dialect& dialect,
                          std::string_view target, std::string_view type, std::string_view id,
                          PublishState& out);
// Inserts or replaces the row (`now`: the updated instant).
void upsertPublishState(Poco::Data::Session& session, const Dialect& dialect,
                        const PublishState& state, const std::string& now);

// The names held in this process (both backends), so that two holders in one process exclude
// each other as holders in two processes do.
class HeldNames {
 public:
  bool take(const std::string& name);
  void give(const std::string& name);

 private:
  std::mutex mutex_;
  std::set<std::string> names_;
};

// Takes `name` in `held` and, on PostgreSQL, as a session advisory lock on a connection of its
// own made by `connect` (the lease keeps it). `out` stays null when the name is held.
Status takeLease(HeldNames& held, bool postgres,
                 const std::function<std::unique_ptr<Poco::Data::Session>()>& connect,
                 std::string_view name, std::unique_ptr<StoreLease>& out);

}  // namespace trialbridge::store::sql
