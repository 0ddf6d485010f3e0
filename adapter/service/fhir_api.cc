// The HTTP edge of the API (a request becomes a Call, a Reply becomes the response) and the
// routing of calls to the interactions.
#include "service/fhir_api.h"

#include "core/text.h"
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "service/negotiation.h"
#include "service/rendering.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) out.emplace_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

void notAllowed(const Call& c, Reply& r, std::string_view allow = "GET, POST, PUT, DELETE") {
  r.setHeader("Allow", std::string(allow));
  fail(r, 405, IssueType::NotSupported, c.method + " is not allowed here");
}

}  // namespace

int statusOf(store::Code code) {
  switch (code) {
    case store::Code::Ok: return 200;
    case store::Code::NotFound: return 404;
    case store::Code::Gone: return 410;
    case store::Code::Conflict: return 409;
    case store::Code::PreconditionFailed: return 412;
    case store::Code::Invalid: return 400;
    case store::Code::Internal: return 500;
    case store::Code::Unavailable: return 503;
  }
  return 500;
}

std::string childText(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? std::string(c->value()) : std::string();
}

FhirApi::FhirApi(pipeline::Pipeline& pipeline, AuditLog* audit, ApiOptions options)
    : options_(std::move(options)) {
  impl_ = std::make_unique<Impl>(pipeline, audit, options_);
  capability_ = buildCapabilityStatement(*impl_);
  impl_->capability = &capability_;
}

FhirApi::~FhirApi() = default;

void FhirApi::setTrials(const TrialCatalog* trials) { impl_->trials = trials; }

void FhirApi::addSystemOperation(std::string name, std::string scopeType, SystemOperation answer) {
  impl_->operations[std::move(name)] = {std::move(scopeType), std::move(answer)};
}

void FhirApi::handle(const HttpRequest& request, HttpResponse& response) const {
  Call call;
  Reply reply;
  if (negotiate(request, options_, call, reply)) impl_->answer(call, reply);
  response.status = reply.status;
  response.headers = std::move(reply.headers);
  if (!reply.payload.empty()) {
    response.contentType = std::string(contentTypeOf(call.render.format));
    response.body = renderPayload(reply.payload, call.render, impl_->types);
  }
}

void FhirApi::Impl::answer(Call& c, Reply& r) const {
  const auto seg = splitPath(c.path);
  const std::string& m = c.method;
  if (c.inBundle && m != "GET") return notAllowed(c, r, "GET");
  if (seg.empty()) {
    if (m == "POST") return bundle(c, r);
    return notAllowed(c, r);
  }
  if (seg.size() == 1 && seg[0] == "metadata") {
    if (m != "GET") return notAllowed(c, r);
    r.payload = Payload::ofJson(*capability);
    return;
  }
  if (seg.size() == 1 && seg[0] == "$ingest") {
    return m == "POST" ? ingest(c, r) : notAllowed(c, r, "POST");
  }
  if (seg.size() == 1 && seg[0].size() > 1 && seg[0][0] == '$') {
    auto op = operations.find(seg[0]);
    if (op == operations.end()) {
      return fail(r, 404, IssueType::NotSupported,
                  "no operation " + seg[0] + " at the system level");
    }
    if (m != "GET") return notAllowed(c, r, "GET");
    if (!allowed(c, r, op->second.scopeType, 'r')) return;
    store::QueryParams params;
    for (const auto& [n, v] : c.params) {
      if (n != "_format" && n != "_pretty") params.emplace_back(n, v);
    }
    FhirApi::OperationAnswer a = op->second.answer(params);
    if (a.status != 200) {
      const IssueType type = a.status == 404   ? IssueType::NotFound
                             : a.status == 400 ? IssueType::Invalid
                                               : IssueType::Exception;
      return fail(r, a.status, type, a.body);
    }
    r.payload = Payload::ofJson(std::move(a.body));
    return;
  }
  if (seg.size() == 1 && seg[0] == "_history") {
    if (m != "GET") return notAllowed(c, r);
    return history(c, r, "", "");
  }
  const std::string& type = seg[0];
  if (!store::isResourceType(types, type)) {
    return fail(r, 404, IssueType::NotSupported, "unknown resource type '" + type + "'");
  }
  if (type == "AuditEvent" && !(seg.size() == 2 && seg[1] == "$validate")) {
    // The audit log: read and search only.
    if (seg.size() == 1 && m == "GET") return auditEventSearch(c, r);
    if (seg.size() == 2 && seg[1] == "_search" && m == "POST") return auditEventSearch(c, r);
    if (seg.size() == 2 && m == "GET" && store::isValidId(seg[1])) {
      return auditEventRead(c, r, seg[1]);
    }
    r.setHeader("Allow", "GET");
    return fail(r, 405, IssueType::NotSupported,
                "AuditEvents are written by the server and cannot be changed; read and search "
                "them only");
  }
  if (seg.size() == 1) {
    if (m == "GET") return search(c, r, type);
    if (m == "POST") return create(c, r, type);
    if (m == "PUT") return conditionalUpdate(c, r, type);
    if (m == "DELETE") return conditionalRemove(c, r, type);
    return notAllowed(c, r);
  }
  const std::string& second = seg[1];
  if (seg.size() == 2 && type == "ResearchSubject" && second == "$enrol") {
    return m == "POST" ? enrol(c, r) : notAllowed(c, r, "POST");
  }
  if (seg.size() == 2 && (second == "_search" || second == "_history" || second == "$validate")) {
    if (second == "_search") return m == "POST" ? search(c, r, type) : notAllowed(c, r);
    if (second == "_history") return m == "GET" ? history(c, r, type, "") : notAllowed(c, r);
    return m == "POST" ? validate(c, r, type, "") : notAllowed(c, r);
  }
  if (!store::isValidId(second)) {
    return fail(r, 400, IssueType::Invalid, "'" + second + "' is not a valid resource id");
  }
  if (seg.size() == 2) {
    if (m == "GET") return read(c, r, type, second);
    if (m == "PUT") return update(c, r, type, second);
    if (m == "DELETE") return remove(c, r, type, second);
    return notAllowed(c, r);
  }
  if (seg.size() == 3 && seg[2] == "_history") {
    return m == "GET" ? history(c, r, type, second) : notAllowed(c, r);
  }
  if (seg.size() == 3 && seg[2] == "$validate") {
    return m == "GET" || m == "POST" ? validate(c, r, type, second) : notAllowed(c, r);
  }
  if (seg.size() == 4 && seg[2] == "_history") {
    return m == "GET" ? vread(c, r, type, second, seg[3]) : notAllowed(c, r);
  }
  fail(r, 404, IssueType::NotFound, "no FHIR endpoint at this path");
}

// ---------------------------------------------------------------------------------------------
// Helpers

bool FhirApi::Impl::allowed(const Call& c, Reply& r, std::string_view type, char permission) const {
  const Principal* p = c.principal;
  if (p == nullptr || p->scopes.allows(type, permission)) return true;
  forbid(r, type, permission);
  return false;
}

void FhirApi::Impl::forbid(Reply& r, std::string_view type, char permission) const {
  static constexpr std::string_view kNames = "cruds";
  static const char* const kWords[] = {"create", "read", "update", "delete", "search"};
  const size_t i = kNames.find(permission);
  const std::string scope = std::string(type) + "." + std::string(1, permission);
  r.setHeader(
      "WWW-Authenticate",
      "Bearer realm=\"trialbridge\", error=\"insufficient_scope\", scope=\"system/" + scope + "\"");
  fail(r, 403, IssueType::Security,
       "the token's scopes do not allow " + std::string(i < 5 ? kWords[i] : "this") + " on " +
           std::string(type) + " (needs system/" + scope + " or system/*." +
           std::string(1, permission) + ")");
}

void FhirApi::Impl::failStore(Reply& r, const store::Status& st) const {
  IssueType code = IssueType::Exception;
  switch (st.code()) {
    case store::Code::NotFound: code = IssueType::NotFound; break;
    case store::Code::Gone: code = IssueType::NotFound; break;
    case store::Code::Conflict: code = IssueType::Conflict; break;
    case store::Code::PreconditionFailed: code = IssueType::Conflict; break;
    case store::Code::Invalid: code = IssueType::Invalid; break;
    default: break;
  }
  fail(r, statusOf(st.code()), code, st.message());
}

std::unique_ptr<core::Document> FhirApi::Impl::readBody(const Call& c, Reply& r,
                                                        core::Issues& issues) const {
  return service::readBody(c, options.maxBodyBytes, types, issues, r);
}

bool FhirApi::Impl::parseQuery(const Call& c, Reply& r, const std::string& type,
                               const store::QueryParams& params, store::SearchQuery& query) const {
  core::Issues issues;
  store::SearchLimits limits = options.searchLimits;
  limits.strict = c.strict;
  store::parseSearch(registry, type, params, limits, query, issues);
  if (!issues.hasErrors()) return true;
  failIssues(r, 400, std::move(issues));
  return false;
}

void FhirApi::Impl::auditRecord(const Call& c, std::string_view interaction, char action,
                                int status, std::string_view type, std::string_view id,
                                int64_t version, std::string_view query) const {
  if (audit == nullptr || !audit->covers(type)) return;
  AuditRecord rec;
  rec.interaction = std::string(interaction);
  rec.action = action;
  rec.outcome = status < 400 ? '0' : (status < 500 ? '4' : '8');
  rec.agentId = c.agentId;
  rec.address = c.address;
  rec.entityType = std::string(type);
  rec.entityId = std::string(id);
  rec.entityVersion = version;
  rec.query = std::string(query);
  audit->record(std::move(rec));
}

}  // namespace trialbridge::service
