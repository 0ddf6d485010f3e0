#pragma once
// Internal to the store: the SQL of the HL7 v2 receipts and the quarantine (store.h:
// findReceipt, saveReceipt, saveQuarantine, findQuarantine, readReceipt, readQuarantine,
// listQuarantine), apart from sql_store.cc. Poco::Data types appear here; include it from the
// store's .cc files only.
#include <Poco/Data/Session.h>

#include <string>
#include <string_view>
#include <vector>

#include "store/kept_statements.h"
#include "store/sql_dialect.h"
#include "store/store.h"

namespace trialbridge::store::sql {

// Looks the receipt up with a statement kept on the connection (one a message).
Status selectReceipt(KeptStatements& kept, const Dialect& dialect, std::string_view key,
                     MessageReceipt& out);
// Inserts the receipt stamped `now`; Conflict when the key is taken (the insert does nothing),
// unless `replace`, which overwrites it.
Status insertReceipt(Poco::Data::Session& session, const Dialect& dialect,
                     const MessageReceipt& receipt, bool replace, const std::string& now);

// Inserts the entry (its received time `now`) or updates the one with its id.
Status upsertQuarantine(Poco::Data::Session& session, const Dialect& dialect,
                        const QuarantineEntry& entry, const std::string& now, int64_t nowMs);
Status selectQuarantine(Poco::Data::Session& session, const Dialect& dialect, std::string_view id,
                        QuarantineEntry& out);
Status selectQuarantineList(Poco::Data::Session& session, const Dialect& dialect,
                            const QuarantineQuery& query, std::vector<QuarantineEntry>& out,
                            int64_t& total);

}  // namespace trialbridge::store::sql
