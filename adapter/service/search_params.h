#pragma once
// Internal to the service: the request parameters that are not search criteria (those are
// store::parseSearch's): result parameters, history and audit-log queries, paging links.
#include <string>

#include "core/issue.h"
#include "service/call.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::service {

// _summary and _elements into `render` (the store does not act on them).
void parseResultParams(const store::QueryParams& params, Render& render);

// _count, _offset and _since of a history; other parameters are errors when `strict`.
void parseHistoryParams(const store::QueryParams& params, const store::SearchLimits& limits,
                        bool strict, store::HistoryQuery& query, core::Issues& issues);

// The audit log's search parameters: _id, entity, patient, agent, subtype, action, outcome,
// date (with the search prefixes), _count, _offset, _summary=count, _sort=date|-date.
void parseAuditQuery(const store::QueryParams& params, const store::SearchLimits& limits,
                     bool strict, store::AuditQuery& query, core::Issues& issues);

// The links of one page of a searchset or history: self, and unless `countOnly` first, next
// and previous as they apply; the query string is `params` with _offset/_count of each page.
void addPageLinks(BundleBody& bundle, const std::string& self, const store::QueryParams& params,
                  size_t offset, size_t count, int64_t total, bool countOnly);

}  // namespace trialbridge::service
