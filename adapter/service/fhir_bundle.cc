// Batch and transaction Bundles (POST /fhir). A batch runs each entry on its own, as if it were
// a request. A transaction is all or nothing: its writes run in one unit of work (one database
// transaction), in the order the specification gives (DELETE, POST, PUT; then GET after the
// commit), with conditional creates, updates and deletes resolved inside it and the references
// to the entries' fullUrls (urn:uuid:..., or Type?criteria) rewritten to the ids assigned.
#include <map>
#include <set>

#include "core/json.h"
#include "core/text.h"
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "store/index.h"
#include "validation/validator.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

std::string statusLine(int status) {
  switch (status) {
    case 200: return "200 OK";
    case 201: return "201 Created";
    case 204: return "204 No Content";
    case 304: return "304 Not Modified";
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 409: return "409 Conflict";
    case 410: return "410 Gone";
    case 412: return "412 Precondition Failed";
    case 413: return "413 Payload Too Large";
    case 415: return "415 Unsupported Media Type";
    case 422: return "422 Unprocessable Entity";
    default: return std::to_string(status);
  }
}

struct Entry {
  size_t index = 0;
  std::string method;
  std::string url;    // as given
  std::string type;   // from the url
  std::string id;     // from the url (PUT/DELETE/GET Type/id)
  std::string query;  // conditional PUT/DELETE, GET search
  std::string fullUrl;
  std::string ifMatch, ifNoneExist, ifNoneMatch;
  std::unique_ptr<core::Document> doc;  // POST/PUT resource, its own document
  std::optional<store::SearchQuery> condition;
  // Results.
  int status = 0;
  store::WriteResult written;
  bool wrote = false;
  std::string location;
  std::string responseBody;  // GET entries
  std::string responseType;
};

// Splits a transaction entry url ("Patient/1", "Patient?x=y", "http://base/fhir/Patient/1").
void splitUrl(std::string_view url, std::string_view base, std::string& path, std::string& query) {
  if (url.rfind(base, 0) == 0 && !base.empty()) url.remove_prefix(base.size());
  if (!url.empty() && url[0] == '/') url.remove_prefix(1);
  const size_t q = url.find('?');
  path = std::string(url.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(url.substr(q + 1));
}

// Calls f(element) for every Reference.reference element of the tree.
template <typename F>
void forEachReference(core::Element* e, F&& f) {
  if (e->type().name == "Reference") {
    for (core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->name() == "reference" && c->hasValue()) f(c);
    }
  }
  for (core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
    forEachReference(c, f);
  }
}

std::string entryPath(size_t i) { return "Bundle.entry[" + std::to_string(i) + "]"; }

}  // namespace

void FhirApi::Impl::bundle(Exchange& x) const {
  core::Issues issues;
  auto doc = readBody(x, "Bundle", issues);
  if (doc == nullptr) return;
  const std::string type = childText(*doc->root(), "type");
  if (doc->root()->childCount("entry") > options.maxBundleEntries) {
    return fail(
        x, 413, IssueType::TooCostly,
        "the Bundle has more than " + std::to_string(options.maxBundleEntries) + " entries");
  }
  if (type == "transaction") return transaction(x, *doc);
  if (type == "batch") return batch(x, *doc);
  fail(x, 400, IssueType::Invalid,
       "POST to the base takes a Bundle of type transaction or batch, not '" + type + "'");
}

void FhirApi::Impl::batch(Exchange& x, core::Document& bundleDoc) const {
  std::string j = R"({"resourceType":"Bundle","id":")" + store::newId() +
                  R"(","type":"batch-response","entry":[)";
  size_t i = 0;
  bool firstEntry = true;
  bundleDoc.root()->forEachChild("entry", [&](const core::Element& e) {
    const size_t index = i++;
    HttpRequest sub;
    sub.principal = x.request.principal;
    sub.remoteAddress = x.request.remoteAddress;
    sub.secure = x.request.secure;
    HttpResponse resp;
    const core::Element* req = e.child("request");
    const std::string method = req != nullptr ? childText(*req, "method") : "";
    const std::string url = req != nullptr ? childText(*req, "url") : "";
    Exchange sx{sub, resp};
    sx.base = x.base;
    sx.agentId = x.agentId;
    sx.prefer = x.prefer;
    if (method.empty() || url.empty()) {
      fail(sx, 400, IssueType::Required,
           entryPath(index) + ": request.method and request.url are required");
    } else {
      std::string path, query;
      splitUrl(url, x.base, path, query);
      sub.method = method;
      sub.path = options.basePath + "/" + path;
      sub.query = query;
      sub.headers.emplace_back("host", std::string(x.request.header("host")));
      if (const core::Element* r = e.child("resource")) {
        sub.body = core::writeJson(*r);
        sub.headers.emplace_back("content-type", "application/fhir+json");
      }
      for (const char* h : {"ifMatch", "ifNoneExist", "ifNoneMatch"}) {
        const std::string v = req != nullptr ? childText(*req, h) : "";
        if (v.empty()) continue;
        std::string name = h == std::string_view("ifMatch")       ? "if-match"
                           : h == std::string_view("ifNoneExist") ? "if-none-exist"
                                                                  : "if-none-match";
        sub.headers.emplace_back(name, v);
      }
      sx.params = store::parseQueryString(query);
      if (path.empty()) {
        fail(sx, 400, IssueType::NotSupported, "a batch entry cannot be a batch or transaction");
      } else {
        route(sx, true);
      }
    }
    j += firstEntry ? "" : ",";
    firstEntry = false;
    j += "{";
    const bool isOutcome = resp.status >= 400;
    if (!resp.body.empty() && !isOutcome) {
      j += R"("resource":)" + resp.body + ",";
    }
    j += R"("response":{"status":")" + statusLine(resp.status) + "\"";
    if (auto loc = resp.header("Location"); !loc.empty()) {
      j += R"(,"location":")";
      core::appendJsonEscaped(j, loc);
      j += '"';
    }
    if (auto etag = resp.header("ETag"); !etag.empty()) {
      j += R"(,"etag":")";
      core::appendJsonEscaped(j, etag);
      j += '"';
    }
    if (isOutcome && !resp.body.empty()) j += R"(,"outcome":)" + resp.body;
    j += "}}";
  });
  j += "]}";
  sendText(x, 200, std::move(j));
}

void FhirApi::Impl::transaction(Exchange& x, core::Document& bundleDoc) const {
  std::vector<Entry> entries;
  core::Issues problems;
  size_t i = 0;
  bundleDoc.root()->forEachChild("entry", [&](const core::Element& e) {
    Entry en;
    en.index = i++;
    en.fullUrl = childText(e, "fullUrl");
    const core::Element* req = e.child("request");
    if (req == nullptr) {
      problems.add(Severity::Error, IssueType::Required, "request is required",
                   entryPath(en.index) + ".request");
      entries.push_back(std::move(en));
      return;
    }
    en.method = childText(*req, "method");
    en.url = childText(*req, "url");
    en.ifMatch = childText(*req, "ifMatch");
    en.ifNoneExist = childText(*req, "ifNoneExist");
    en.ifNoneMatch = childText(*req, "ifNoneMatch");
    std::string path;
    splitUrl(en.url, x.base, path, en.query);
    const size_t slash = path.find('/');
    en.type = path.substr(0, slash);
    if (slash != std::string::npos) en.id = path.substr(slash + 1);
    if (en.method != "GET" && en.method != "POST" && en.method != "PUT" && en.method != "DELETE") {
      problems.add(Severity::Error, IssueType::NotSupported,
                   "method '" + en.method + "' is not supported in a transaction",
                   entryPath(en.index) + ".request.method");
    } else if (!store::isResourceType(types, en.type)) {
      problems.add(Severity::Error, IssueType::NotSupported,
                   "unknown resource type in '" + en.url + "'",
                   entryPath(en.index) + ".request.url");
    } else if ((en.method == "PUT" || en.method == "DELETE") && en.id.empty() && en.query.empty()) {
      problems.add(Severity::Error, IssueType::Invalid,
                   en.method + " needs Type/id or Type?criteria",
                   entryPath(en.index) + ".request.url");
    } else if (!en.id.empty() && (!store::isValidId(en.id) || en.method == "POST")) {
      problems.add(Severity::Error, IssueType::Invalid, "bad url '" + en.url + "'",
                   entryPath(en.index) + ".request.url");
    }
    if (const core::Element* r = e.child("resource");
        r != nullptr && (en.method == "POST" || en.method == "PUT")) {
      core::Issues readIssues;
      en.doc = core::readJson(core::writeJson(*r), types, readIssues);
      if (en.doc == nullptr) {
        problems.add(Severity::Error, IssueType::Structure, "unreadable resource",
                     entryPath(en.index) + ".resource");
      } else if (en.doc->root()->type().name != en.type) {
        problems.add(Severity::Error, IssueType::Invalid,
                     "the resource is a " + std::string(en.doc->root()->type().name) +
                         " but the url says " + en.type,
                     entryPath(en.index) + ".resource");
      }
    } else if (en.method == "POST" || en.method == "PUT") {
      problems.add(Severity::Error, IssueType::Required, en.method + " needs a resource",
                   entryPath(en.index) + ".resource");
    }
    entries.push_back(std::move(en));
  });
  if (problems.hasErrors()) return failIssues(x, 400, problems);

  // Permissions, validation and the conditions, before anything is written.
  std::set<std::string> targets;
  for (Entry& en : entries) {
    const char perm = en.method == "POST"     ? 'c'
                      : en.method == "PUT"    ? 'u'
                      : en.method == "DELETE" ? 'd'
                      : en.id.empty()         ? 's'
                                              : 'r';
    if (!allowed(x, en.type, perm)) return;
    if (!en.id.empty() && en.method != "GET") {
      if (!targets.insert(en.type + "/" + en.id).second) {
        return fail(x, 400, IssueType::Duplicate,
                    entryPath(en.index) + ": " + en.type + "/" + en.id +
                        " appears more than once in the transaction");
      }
    }
    if (en.method == "PUT" && !en.id.empty()) {
      const std::string bodyId = childText(*en.doc->root(), "id");
      if (bodyId != en.id) {
        return fail(x, 400, IssueType::Invalid,
                    entryPath(en.index) + ": the resource id '" + bodyId +
                        "' differs from the url's '" + en.id + "'");
      }
    }
    if (en.doc != nullptr) {
      core::Issues issues;
      if (validator != nullptr && options.validateWrites) {
        std::vector<std::string> profiles;
        if (auto it = options.requiredProfiles.find(en.type);
            it != options.requiredProfiles.end()) {
          profiles.push_back(it->second);
        }
        validator->validate(*en.doc->root(), issues, profiles);
      }
      if (issues.hasErrors()) {
        core::Issues errors;
        for (auto iss : issues.items()) {
          if (iss.severity != Severity::Error && iss.severity != Severity::Fatal) continue;
          iss.location =
              entryPath(en.index) + ".resource" + (iss.location.empty() ? "" : " " + iss.location);
          errors.add(std::move(iss));
        }
        return failIssues(x, 422, errors);
      }
    }
    const std::string conditionText = en.method == "POST"
                                          ? en.ifNoneExist
                                          : (en.method != "GET" && en.id.empty() ? en.query : "");
    if (!conditionText.empty()) {
      std::string_view q = conditionText;
      if (const size_t qm = q.find('?'); qm != std::string_view::npos) q = q.substr(qm + 1);
      en.condition.emplace();
      if (!parseQuery(x, en.type, store::parseQueryString(q), *en.condition)) return;
      if (en.condition->criteria.empty()) {
        return fail(x, 400, IssueType::Invalid,
                    entryPath(en.index) + ": the condition has no criteria");
      }
    }
    if (en.method == "GET" && en.ifMatch.size() + en.ifNoneExist.size() > 0) {
      return fail(x, 400, IssueType::Invalid, entryPath(en.index) + ": GET takes no conditions");
    }
  }

  // The unit: DELETE, POST, PUT; references rewritten once every id is known.
  Entry* failedEntry = nullptr;
  store::Status st = store.write([&](store::WriteContext& ctx) -> store::Status {
    std::map<std::string, std::string> idFor;  // fullUrl -> Type/id
    auto failAt = [&](Entry& en, store::Status s) {
      failedEntry = &en;
      return s;
    };
    for (Entry& en : entries) {
      if (en.method != "DELETE") continue;
      std::string id = en.id;
      if (en.condition) {
        if (store::Status s = matchAtMostOne(ctx, *en.condition,
                                             "the criteria match more than one " + en.type, id);
            !s) {
          return failAt(en, s);
        }
        if (id.empty()) {
          en.status = 204;
          continue;
        }
      }
      store::PutOptions o;
      o.ifMatch = parseETag(en.ifMatch);
      if (store::Status s = ctx.remove(en.type, id, o, en.written); !s) return failAt(en, s);
      en.status = 204;
      en.wrote = true;
    }
    // Ids for creates and updates.
    for (Entry& en : entries) {
      if (en.method != "POST" && en.method != "PUT") continue;
      std::string id;
      if (en.method == "PUT" && !en.id.empty()) {
        id = en.id;
      } else if (en.condition) {
        if (store::Status s = matchAtMostOne(ctx, *en.condition,
                                             "the condition matches more than one " + en.type, id);
            !s) {
          return failAt(en, s);
        }
        if (!id.empty() && en.method == "POST") en.status = 200;  // exists: nothing is created
      }
      if (id.empty()) {
        const std::string bodyId = childText(*en.doc->root(), "id");
        id = en.method == "PUT" && store::isValidId(bodyId) ? bodyId : store::newId();
      }
      if (en.status != 200) setId(*en.doc, en.doc->root(), id);
      en.id = id;
      if (!en.fullUrl.empty()) idFor[en.fullUrl] = en.type + "/" + id;
      idFor[x.base + "/" + en.type + "/" + id] = en.type + "/" + id;
    }
    // Rewrite references, resolving conditional ones.
    for (Entry& en : entries) {
      if (en.doc == nullptr || en.status == 200) continue;
      store::Status bad;
      forEachReference(en.doc->root(), [&](core::Element* ref) {
        if (!bad.isOk()) return;
        const std::string value(ref->value());
        if (auto it = idFor.find(value); it != idFor.end()) {
          en.doc->setValue(ref, it->second);
          return;
        }
        const size_t qm = value.find('?');
        if (qm == std::string::npos || qm == 0) return;
        const std::string rtype = value.substr(0, qm);
        store::SearchQuery q;
        core::Issues issues;
        store::parseSearch(registry, rtype, store::parseQueryString(value.substr(qm + 1)),
                           options.searchLimits, q, issues);
        if (!store::isResourceType(types, rtype) || issues.hasErrors() || q.criteria.empty()) {
          bad = store::Status::error(store::Code::Invalid,
                                     "bad conditional reference '" + value + "'");
          return;
        }
        std::vector<std::string> ids;
        if (store::Status s = ctx.match(q, 2, ids); !s) {
          bad = s;
          return;
        }
        if (ids.size() != 1) {
          bad = store::Status::error(store::Code::PreconditionFailed,
                                     "the conditional reference '" + value + "' matches " +
                                         std::to_string(ids.size()) + " resources, not one");
          return;
        }
        en.doc->setValue(ref, rtype + "/" + ids[0]);
      });
      if (!bad) return failAt(en, bad);
    }
    // Writes: POST, then PUT.
    for (const char* method : {"POST", "PUT"}) {
      for (Entry& en : entries) {
        if (en.method != method || en.status == 200) continue;
        store::PutOptions o;
        if (en.method == "POST") o.mustNotExist = true;
        o.ifMatch = parseETag(en.ifMatch);
        if (store::Status s = ctx.put(*en.doc, o, en.written); !s) return failAt(en, s);
        en.status = en.written.created ? 201 : 200;
        en.wrote = true;
      }
    }
    // Audit records go with the changes.
    std::vector<store::AuditEntry> auditRows;
    for (Entry& en : entries) {
      if (!en.wrote) continue;
      const char action = en.method == "DELETE" ? 'D' : (en.status == 201 ? 'C' : 'U');
      const char* interaction =
          en.method == "DELETE" ? "delete" : (en.status == 201 ? "create" : "update");
      for (auto& a :
           auditEntry(x, interaction, action, en.written.type, en.written.id, en.written.version)) {
        auditRows.push_back(std::move(a));
      }
    }
    return ctx.audit(auditRows);
  });
  if (!st) {
    auditRecord(x, "transaction", 'E', statusOf(st.code()), "Bundle", "", 0);
    core::Issues issues;
    issues.add(Severity::Error,
               st.code() == store::Code::Internal   ? IssueType::Exception
               : st.code() == store::Code::NotFound ? IssueType::NotFound
                                                    : IssueType::Conflict,
               "the transaction failed and nothing was written: " + st.message(),
               failedEntry != nullptr ? entryPath(failedEntry->index) : std::string());
    return failIssues(x, statusOf(st.code()), issues);
  }
  // Reads, after the commit.
  for (Entry& en : entries) {
    if (en.method != "GET") continue;
    HttpRequest sub;
    sub.method = "GET";
    sub.path = options.basePath + "/" + en.type + (en.id.empty() ? "" : "/" + en.id);
    sub.query = en.query;
    sub.principal = x.request.principal;
    sub.remoteAddress = x.request.remoteAddress;
    sub.headers.emplace_back("host", std::string(x.request.header("host")));
    if (!en.ifNoneMatch.empty()) sub.headers.emplace_back("if-none-match", en.ifNoneMatch);
    HttpResponse resp;
    Exchange sx{sub, resp};
    sx.base = x.base;
    sx.agentId = x.agentId;
    sx.params = store::parseQueryString(en.query);
    route(sx, true);
    en.status = resp.status;
    en.responseBody = std::move(resp.body);
  }
  // The response, in the request's order.
  std::string j = R"({"resourceType":"Bundle","id":")" + store::newId() +
                  R"(","type":"transaction-response","entry":[)";
  bool first = true;
  for (Entry& en : entries) {
    j += first ? "{" : ",{";
    first = false;
    if (en.method == "GET") {
      if (!en.responseBody.empty() && en.status < 400)
        j += R"("resource":)" + en.responseBody + ",";
      j += R"("response":{"status":")" + statusLine(en.status) + "\"";
      if (!en.responseBody.empty() && en.status >= 400) j += R"(,"outcome":)" + en.responseBody;
      j += "}}";
      continue;
    }
    const bool written = en.wrote && en.method != "DELETE";
    if (written && x.prefer == Prefer::Representation) {
      j += R"("fullUrl":")";
      core::appendJsonEscaped(j, x.base + "/" + en.type + "/" + en.written.id);
      j += R"(","resource":)" +
           renderResource(Exchange{x.request, x.response, Render{}}, en.written.json) + ",";
    }
    j += R"("response":{"status":")" + statusLine(en.status == 0 ? 200 : en.status) + "\"";
    if (written) {
      j += R"(,"location":")";
      core::appendJsonEscaped(j, x.base + "/" + en.type + "/" + en.written.id + "/_history/" +
                                     std::to_string(en.written.version));
      j += R"(","etag":"W/\")" + std::to_string(en.written.version) + R"(\"","lastModified":")" +
           en.written.lastUpdated + "\"";
    } else if (en.status == 200 && en.method == "POST") {
      j += R"(,"location":")";
      core::appendJsonEscaped(j, x.base + "/" + en.type + "/" + en.id);
      j += '"';
    }
    j += "}}";
  }
  j += "]}";
  sendText(x, 200, std::move(j));
}

}  // namespace trialbridge::service
