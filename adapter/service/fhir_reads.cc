// Reads: read, vread, history, search, and the audit log as AuditEvent resources. They go to
// the store directly (the pipeline is the write path) and are audited asynchronously.
#include "pipeline/pipeline.h"
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "service/negotiation.h"
#include "service/rendering.h"
#include "service/search_params.h"
#include "store/fhir_time.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

std::string etag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

// The reply for one stored version.
void sendVersion(Reply& r, store::ResourceVersion& v) {
  r.setHeader("ETag", etag(v.version));
  r.setHeader("Last-Modified", httpDate(v.lastUpdatedMs));
  r.status = 200;
  r.payload = Payload::ofJson(std::move(v.json));
}

std::shared_ptr<BundleBody> newBundle(std::string type, const Render& render) {
  auto b = std::make_shared<BundleBody>();
  b->id = store::newId();
  b->lastUpdated = store::formatInstant(store::nowMillis());
  b->type = std::move(type);
  b->summary = render.summary;
  b->elements = render.elements;
  return b;
}

bool mayRead(const Call& c, std::string_view type) {
  return c.principal == nullptr || c.principal->scopes.allows(type, 'r');
}

// Parameters from the query string, and for POST _search from the form body.
bool searchParams(const Call& c, Reply& r, store::QueryParams& params) {
  params = c.params;
  if (c.method != "POST") return true;
  const std::string media = mediaType(c.contentType);
  if (!media.empty() && media != "application/x-www-form-urlencoded") {
    fail(r, 415, IssueType::NotSupported,
         "_search takes application/x-www-form-urlencoded parameters");
    return false;
  }
  for (auto& p : store::parseQueryString(c.body)) params.push_back(std::move(p));
  return true;
}

}  // namespace

void FhirApi::Impl::read(Call& c, Reply& r, const std::string& type, const std::string& id) const {
  if (!allowed(c, r, type, 'r')) return;
  store::ResourceVersion v;
  store::Status st = store.read(type, id, v);
  auditRecord(c, "read", 'R', statusOf(st.code()), type, id, v.version);
  if (!st) {
    if (st.code() == store::Code::Gone) r.setHeader("ETag", etag(v.version));
    return failStore(r, st);
  }
  if (!c.ifNoneMatch.empty()) {
    if (auto tag = pipeline::parseETag(c.ifNoneMatch); tag && *tag == v.version) {
      r.setHeader("ETag", etag(v.version));
      r.setHeader("Last-Modified", httpDate(v.lastUpdatedMs));
      r.status = 304;
      return;
    }
  }
  sendVersion(r, v);
}

void FhirApi::Impl::vread(Call& c, Reply& r, const std::string& type, const std::string& id,
                          const std::string& vid) const {
  if (!allowed(c, r, type, 'r')) return;
  const auto version = pipeline::parseETag(vid);
  if (!version) return fail(r, 400, IssueType::Invalid, "'" + vid + "' is not a version id");
  store::ResourceVersion v;
  store::Status st = store.vread(type, id, *version, v);
  auditRecord(c, "vread", 'R', statusOf(st.code()), type, id, *version);
  if (!st) return failStore(r, st);
  sendVersion(r, v);
}

void FhirApi::Impl::history(Call& c, Reply& r, const std::string& type,
                            const std::string& id) const {
  if (!allowed(c, r, type.empty() ? "*" : type, 'r')) return;
  store::HistoryQuery q;
  q.type = type;
  q.id = id;
  core::Issues issues;
  parseHistoryParams(c.params, options.searchLimits, c.strict, q, issues);
  if (issues.hasErrors()) return failIssues(r, 400, std::move(issues));
  store::HistoryResult h;
  store::Status st = store.history(q, h);
  if (!id.empty()) {
    auditRecord(c, "history-instance", 'R', statusOf(st.code()), type, id, 0);
  } else if (!type.empty()) {
    auditRecord(c, "history-type", 'R', statusOf(st.code()), type, "", 0, c.query);
  }
  if (!st) return failStore(r, st);
  if (!id.empty() && h.total == 0) {
    return fail(r, 404, IssueType::NotFound, type + "/" + id + " not found");
  }
  auto b = newBundle("history", c.render);
  b->total = h.total;
  std::string self = c.base;
  if (!type.empty()) self += "/" + type;
  if (!id.empty()) self += "/" + id;
  addPageLinks(*b, self + "/_history", c.params, q.offset, q.count, h.total, false);
  for (auto& e : h.entries) {
    if (type.empty() && !mayRead(c, e.type)) continue;
    BundleEntry& en = b->entries.emplace_back();
    en.fullUrl = c.base + "/" + e.type + "/" + e.id;
    const bool created = e.op == store::Operation::Create;
    en.requestMethod = created ? "POST" : (e.deleted() ? "DELETE" : "PUT");
    en.requestUrl = created ? e.type : e.type + "/" + e.id;
    en.hasResponse = true;
    en.status = created ? "201" : (e.deleted() ? "204" : "200");
    en.etag = etag(e.version);
    en.lastModified = e.lastUpdated;
    if (!e.deleted()) en.resource = Payload::ofJson(std::move(e.json));
  }
  r.payload = Payload::ofBundle(std::move(b));
}

void FhirApi::Impl::search(Call& c, Reply& r, const std::string& type) const {
  if (!allowed(c, r, type, 's')) return;
  store::QueryParams params;
  if (!searchParams(c, r, params)) return;
  parseResultParams(params, c.render);
  store::SearchQuery q;
  if (!parseQuery(c, r, type, params, q)) return;
  store::SearchResult res;
  store::Status st = store.search(q, res);
  std::string queryText;
  for (const auto& [n, v] : params) {
    queryText += queryText.empty() ? "" : "&";
    queryText += store::percentEncode(n) + "=" + store::percentEncode(v);
  }
  auditRecord(c, "search-type", 'E', statusOf(st.code()), type, "", 0, queryText);
  if (!st) return failStore(r, st);
  auto b = newBundle("searchset", c.render);
  // Not counted (_total=none): no total, and a next page when this one is full.
  if (res.total >= 0) b->total = res.total;
  const int64_t known = res.total >= 0
                            ? res.total
                            : static_cast<int64_t>(q.offset + res.matches.size() +
                                                   (res.matches.size() >= q.count ? 1 : 0));
  addPageLinks(*b, c.base + "/" + type, params, q.offset, q.count, known, q.summaryCount);
  b->entries.reserve(res.matches.size() + res.included.size());
  auto entry = [&](store::ResourceVersion& v, const char* mode) {
    BundleEntry& en = b->entries.emplace_back();
    en.fullUrl = c.base + "/" + v.type + "/" + v.id;
    en.resource = Payload::ofJson(std::move(v.json));
    en.searchMode = mode;
  };
  for (auto& v : res.matches) entry(v, "match");
  for (auto& v : res.included) {
    if (!mayRead(c, v.type)) continue;
    if (v.type != type) auditRecord(c, "read", 'R', 200, v.type, v.id, v.version);
    entry(v, "include");
  }
  r.payload = Payload::ofBundle(std::move(b));
}

void FhirApi::Impl::auditEventRead(Call& c, Reply& r, const std::string& id) const {
  if (!allowed(c, r, "AuditEvent", 'r')) return;
  store::ResourceVersion v;
  if (store::Status st = store.readAudit(id, v); !st) return failStore(r, st);
  v.version = 1;
  sendVersion(r, v);
}

void FhirApi::Impl::auditEventSearch(Call& c, Reply& r) const {
  if (!allowed(c, r, "AuditEvent", 's')) return;
  store::QueryParams params;
  if (!searchParams(c, r, params)) return;
  store::AuditQuery q;
  core::Issues issues;
  parseAuditQuery(params, options.searchLimits, c.strict, q, issues);
  if (issues.hasErrors()) return failIssues(r, 400, std::move(issues));
  store::SearchResult res;
  if (store::Status st = store.searchAudit(q, res); !st) return failStore(r, st);
  auto b = newBundle("searchset", c.render);
  b->total = res.total;
  const std::string self = c.base + "/AuditEvent";
  addPageLinks(*b, self, params, q.offset, q.count, res.total, q.summaryCount);
  for (auto& v : res.matches) {
    BundleEntry& en = b->entries.emplace_back();
    en.fullUrl = self + "/" + v.id;
    en.resource = Payload::ofJson(std::move(v.json));
    en.searchMode = "match";
  }
  r.payload = Payload::ofBundle(std::move(b));
}

}  // namespace trialbridge::service
