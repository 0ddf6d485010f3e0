#include "service/fhir_api.h"

#include <ctime>

#include "core/json.h"
#include "core/text.h"
#include "core/xml.h"
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "store/fhir_time.h"
#include "store/index.h"
#include "validation/validator.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

constexpr std::string_view kJsonType = "application/fhir+json;charset=utf-8";
constexpr std::string_view kXmlType = "application/fhir+xml;charset=utf-8";

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

// The media type without parameters, lower case.
std::string mediaType(std::string_view contentType) {
  const size_t semi = contentType.find(';');
  std::string_view t = contentType.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  return core::asciiLower(t);
}

bool isJsonMedia(std::string_view m) {
  return m == "application/fhir+json" || m == "application/json" || m == "json" ||
         m == "application/json+fhir";
}
bool isXmlMedia(std::string_view m) {
  return m == "application/fhir+xml" || m == "application/xml" || m == "text/xml" || m == "xml" ||
         m == "application/xml+fhir";
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Element* mutableChild(core::Element* parent, std::string_view name) {
  for (core::Element* c = parent->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == name) return c;
  }
  return nullptr;
}

core::Element* copyInto(core::Document& dst, core::Element* parent, const core::Element& src) {
  core::Element* e = dst.create(dst.intern(src.name()), src.type(), src.property());
  if (src.hasValue()) dst.setValue(e, src.value());
  if (parent != nullptr) dst.appendChild(parent, e);
  for (const core::Element* c = src.firstChild(); c != nullptr; c = c->nextSibling()) {
    copyInto(dst, e, *c);
  }
  return e;
}

// The subset of a resource that _summary / _elements ask for, tagged SUBSETTED.
std::unique_ptr<core::Document> subsetOf(const core::Document& doc, const Render& r) {
  auto out = std::make_unique<core::Document>(doc.types());
  const core::Element& src = *doc.root();
  core::Element* root = out->create(out->intern(src.name()), src.type(), nullptr);
  out->setRoot(root);
  for (const core::Element* c = src.firstChild(); c != nullptr; c = c->nextSibling()) {
    const std::string_view name = c->name();
    bool keep = name == "id" || name == "meta";
    if (!r.elements.empty()) {
      for (const auto& e : r.elements) keep |= e == name || e == c->jsonName();
    } else {
      const core::PropertyInfo* p = c->property();
      switch (r.summary) {
        case Summary::True: keep |= p != nullptr && p->summary; break;
        case Summary::Text: keep |= name == "text" || (p != nullptr && p->min > 0); break;
        case Summary::Data: keep |= name != "text"; break;
        default: keep = true;
      }
    }
    if (keep) copyInto(*out, root, *c);
  }
  core::Element* meta = mutableChild(root, "meta");
  if (meta == nullptr) meta = out->add(root, "meta");
  if (meta != nullptr) {
    core::Element* tag = out->add(meta, "tag");
    if (tag != nullptr) {
      out->addPrimitive(tag, "system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
      out->addPrimitive(tag, "code", "SUBSETTED");
      out->addPrimitive(tag, "display", "subsetted");
    }
  }
  return out;
}

void appendLink(std::string& j, bool& first, std::string_view relation, std::string_view url) {
  j += first ? "" : ",";
  first = false;
  j += R"({"relation":")";
  j += relation;
  j += R"(","url":")";
  core::appendJsonEscaped(j, url);
  j += R"("})";
}

// Query string from decoded parameters, with `_offset`/`_count` replaced.
std::string pageQuery(const store::QueryParams& params, size_t offset, size_t count) {
  std::string q;
  for (const auto& [n, v] : params) {
    if (n == "_offset" || n == "_count") continue;
    q += q.empty() ? "" : "&";
    q += store::percentEncode(n) + "=" + store::percentEncode(v);
  }
  q += q.empty() ? "" : "&";
  q += "_count=" + std::to_string(count);
  if (offset > 0) q += "&_offset=" + std::to_string(offset);
  return q;
}

}  // namespace

std::string httpDate(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

int statusOf(store::Code code) {
  switch (code) {
    case store::Code::Ok: return 200;
    case store::Code::NotFound: return 404;
    case store::Code::Gone: return 410;
    case store::Code::Conflict: return 409;
    case store::Code::PreconditionFailed: return 412;
    case store::Code::Invalid: return 400;
    case store::Code::Internal: return 500;
  }
  return 500;
}

void setId(core::Document& doc, core::Element* root, std::string_view id) {
  if (core::Element* e = mutableChild(root, "id")) {
    doc.setValue(e, id);
  } else {
    doc.addPrimitive(root, "id", id);
  }
}

std::string childText(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? std::string(c->value()) : std::string();
}

std::optional<int64_t> parseETag(std::string_view v) {
  v = trimmed(v);
  if (v.rfind("W/", 0) == 0) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

store::Status matchAtMostOne(store::WriteContext& ctx, const store::SearchQuery& query,
                             const std::string& tooMany, std::string& id) {
  id.clear();
  std::vector<std::string> ids;
  if (store::Status s = ctx.match(query, 2, ids); !s) return s;
  if (ids.size() > 1) return store::Status::error(store::Code::PreconditionFailed, tooMany);
  if (ids.size() == 1) id = std::move(ids[0]);
  return store::Status::ok();
}

// ---------------------------------------------------------------------------------------------

FhirApi::FhirApi(store::Store& store, const validation::Validator* validator, AuditLog* audit,
                 ApiOptions options)
    : options_(std::move(options)) {
  impl_ = std::make_unique<Impl>(store, validator, audit, options_);
  capability_ = buildCapabilityStatement(*impl_);
  impl_->capability = &capability_;
}

FhirApi::~FhirApi() = default;

void FhirApi::handle(const HttpRequest& request, HttpResponse& response) const {
  impl_->handle(request, response);
}

void FhirApi::Impl::handle(const HttpRequest& request, HttpResponse& response) const {
  Exchange x{request, response};
  x.params = store::parseQueryString(request.query);
  // Output format: _format, then Accept.
  std::string format;
  for (const auto& [n, v] : x.params) {
    if (n == "_format") format = mediaType(v);
    if (n == "_pretty") x.render.pretty = v == "true";
  }
  if (!format.empty()) {
    if (isXmlMedia(format)) {
      x.render.format = core::Format::Xml;
    } else if (!isJsonMedia(format)) {
      fail(x, 406, IssueType::NotSupported,
           "_format '" + format + "' is not supported (json or xml)");
      return;
    }
  } else {
    const std::string accept = core::asciiLower(request.header("accept"));
    const bool xml = accept.find("xml") != std::string::npos;
    const bool json = accept.find("json") != std::string::npos;
    if (xml && !json) x.render.format = core::Format::Xml;
  }
  const std::string_view prefer = request.header("prefer");
  if (prefer.find("return=minimal") != std::string_view::npos) x.prefer = Prefer::Minimal;
  if (prefer.find("return=OperationOutcome") != std::string_view::npos) {
    x.prefer = Prefer::OperationOutcome;
  }
  x.strict = prefer.find("handling=strict") != std::string_view::npos;
  // Base URL.
  if (!options.publicBase.empty()) {
    x.base = options.publicBase;
  } else {
    const std::string_view host = request.header("host");
    const bool https = request.secure || request.header("x-forwarded-proto") == "https";
    x.base = std::string(https ? "https://" : "http://") +
             std::string(host.empty() ? "localhost" : host) + options.basePath;
  }
  if (request.principal != nullptr) x.agentId = request.principal->clientId;
  route(x, false);
}

void FhirApi::Impl::route(Exchange& x, bool inBundle) const {
  const HttpRequest& req = x.request;
  std::string_view path = req.path;
  if (path.rfind(options.basePath, 0) != 0 ||
      (path.size() > options.basePath.size() && path[options.basePath.size()] != '/')) {
    fail(x, 404, IssueType::NotFound,
         "no FHIR endpoint at this path (the base is " + options.basePath + ")");
    return;
  }
  path.remove_prefix(options.basePath.size());
  const auto seg = splitPath(path);
  const std::string& m = req.method;
  auto notAllowed = [&] {
    x.response.setHeader("Allow", "GET, POST, PUT, DELETE");
    fail(x, 405, IssueType::NotSupported, m + " is not allowed here");
  };
  if (seg.empty()) {
    if (m == "POST" && !inBundle) return bundle(x);
    return notAllowed();
  }
  if (seg.size() == 1 && seg[0] == "metadata") {
    if (m != "GET") return notAllowed();
    return sendText(x, 200, *capability);
  }
  if (seg.size() == 1 && seg[0] == "_history") {
    if (m != "GET") return notAllowed();
    return history(x, "", "");
  }
  const std::string& type = seg[0];
  if (!store::isResourceType(types, type)) {
    fail(x, 404, IssueType::NotSupported, "unknown resource type '" + type + "'");
    return;
  }
  if (type == "AuditEvent" && !(seg.size() == 2 && seg[1] == "$validate")) {
    // The audit log: read and search only.
    if (seg.size() == 1 && m == "GET") return auditEventSearch(x);
    if (seg.size() == 2 && seg[1] == "_search" && m == "POST") return auditEventSearch(x);
    if (seg.size() == 2 && m == "GET" && store::isValidId(seg[1])) return auditEventRead(x, seg[1]);
    x.response.setHeader("Allow", "GET");
    return fail(x, 405, IssueType::NotSupported,
                "AuditEvents are written by the server and cannot be changed; read and search "
                "them only");
  }
  if (seg.size() == 1) {
    if (m == "GET") return search(x, type);
    if (m == "POST") return create(x, type);
    if (m == "PUT") return conditionalUpdate(x, type);
    if (m == "DELETE") return conditionalRemove(x, type);
    return notAllowed();
  }
  const std::string& second = seg[1];
  if (seg.size() == 2 && second == "_search") {
    if (m != "POST") return notAllowed();
    return search(x, type);
  }
  if (seg.size() == 2 && second == "_history") {
    if (m != "GET") return notAllowed();
    return history(x, type, "");
  }
  if (seg.size() == 2 && second == "$validate") {
    if (m != "POST") return notAllowed();
    return validate(x, type, "");
  }
  if (!store::isValidId(second)) {
    fail(x, 400, IssueType::Invalid, "'" + second + "' is not a valid resource id");
    return;
  }
  if (seg.size() == 2) {
    if (m == "GET") return read(x, type, second);
    if (m == "PUT") return update(x, type, second);
    if (m == "DELETE") return remove(x, type, second);
    return notAllowed();
  }
  if (seg.size() == 3 && seg[2] == "_history") {
    if (m != "GET") return notAllowed();
    return history(x, type, second);
  }
  if (seg.size() == 3 && seg[2] == "$validate") {
    if (m != "GET" && m != "POST") return notAllowed();
    return validate(x, type, second);
  }
  if (seg.size() == 4 && seg[2] == "_history") {
    if (m != "GET") return notAllowed();
    return vread(x, type, second, seg[3]);
  }
  fail(x, 404, IssueType::NotFound, "no FHIR endpoint at this path");
}

// ---------------------------------------------------------------------------------------------
// Responses

void FhirApi::Impl::sendOutcome(Exchange& x, int status, const core::Issues& issues) const {
  core::Document doc(types);
  core::buildOperationOutcome(doc, issues);
  x.response.status = status;
  if (x.render.format == core::Format::Xml) {
    x.response.contentType = kXmlType;
    x.response.body = core::writeXml(*doc.root());
  } else {
    x.response.contentType = kJsonType;
    core::WriteOptions w;
    w.pretty = x.render.pretty;
    x.response.body = core::writeJson(*doc.root(), w);
  }
}

void FhirApi::Impl::fail(Exchange& x, int status, IssueType code, std::string message) const {
  core::Issues issues;
  issues.add(status >= 500 ? Severity::Fatal : Severity::Error, code, std::move(message));
  sendOutcome(x, status, issues);
}

void FhirApi::Impl::failIssues(Exchange& x, int status, const core::Issues& issues) const {
  sendOutcome(x, status, issues);
}

void FhirApi::Impl::failStore(Exchange& x, const store::Status& st) const {
  IssueType code = IssueType::Exception;
  switch (st.code()) {
    case store::Code::NotFound: code = IssueType::NotFound; break;
    case store::Code::Gone: code = IssueType::NotFound; break;
    case store::Code::Conflict: code = IssueType::Conflict; break;
    case store::Code::PreconditionFailed: code = IssueType::Conflict; break;
    case store::Code::Invalid: code = IssueType::Invalid; break;
    default: break;
  }
  fail(x, statusOf(st.code()), code, st.message());
}

std::string FhirApi::Impl::renderResource(const Exchange& x, std::string_view json) const {
  if (x.render.format == core::Format::Json && !x.render.pretty && !x.render.subset()) {
    return std::string(json);
  }
  core::Issues issues;
  auto doc = core::readJson(json, types, issues);
  if (doc == nullptr) return std::string(json);
  std::unique_ptr<core::Document> subset;
  const core::Element* root = doc->root();
  if (x.render.subset()) {
    subset = subsetOf(*doc, x.render);
    root = subset->root();
  }
  if (x.render.format == core::Format::Xml) return core::writeXml(*root);
  core::WriteOptions w;
  w.pretty = x.render.pretty;
  return core::writeJson(*root, w);
}

std::string FhirApi::Impl::renderBundle(const Exchange& x, std::string json) const {
  if (x.render.format == core::Format::Json && !x.render.pretty) return json;
  core::Issues issues;
  auto doc = core::readJson(json, types, issues);
  if (doc == nullptr) return json;
  if (x.render.format == core::Format::Xml) return core::writeXml(*doc->root());
  core::WriteOptions w;
  w.pretty = true;
  return core::writeJson(*doc->root(), w);
}

void FhirApi::Impl::sendText(Exchange& x, int status, std::string json) const {
  x.response.status = status;
  x.response.contentType = x.render.format == core::Format::Xml ? kXmlType : kJsonType;
  x.response.body = renderBundle(x, std::move(json));
}

void FhirApi::Impl::sendWriteResult(Exchange& x, int status, const store::WriteResult& w,
                                    std::string_view outcomeText) const {
  x.response.status = status;
  x.response.setHeader("ETag", "W/\"" + std::to_string(w.version) + "\"");
  store::TimeRange t;
  if (store::parseFhirTime(w.lastUpdated, t))
    x.response.setHeader("Last-Modified", httpDate(t.low));
  x.response.setHeader(
      "Location", x.base + "/" + w.type + "/" + w.id + "/_history/" + std::to_string(w.version));
  switch (x.prefer) {
    case Prefer::Minimal: x.response.body.clear(); break;
    case Prefer::OperationOutcome: {
      core::Issues issues;
      issues.add(Severity::Information, IssueType::Informational, std::string(outcomeText));
      const int s = x.response.status;
      sendOutcome(x, s, issues);
      break;
    }
    case Prefer::Representation:
      x.response.contentType = x.render.format == core::Format::Xml ? kXmlType : kJsonType;
      x.response.body = renderResource(x, w.json);
      break;
  }
}

bool FhirApi::Impl::allowed(Exchange& x, std::string_view type, char permission) const {
  const Principal* p = x.request.principal;
  if (p == nullptr || p->scopes.allows(type, permission)) return true;
  static constexpr std::string_view kNames = "cruds";
  static const char* const kWords[] = {"create", "read", "update", "delete", "search"};
  const size_t i = kNames.find(permission);
  x.response.setHeader(
      "WWW-Authenticate",
      "Bearer realm=\"trialbridge\", error=\"insufficient_scope\", scope=\"system/" +
          std::string(type) + "." + std::string(1, permission) + "\"");
  fail(x, 403, IssueType::Security,
       "the token's scopes do not allow " + std::string(i < 5 ? kWords[i] : "this") + " on " +
           std::string(type) + " (needs system/" + std::string(type) + "." +
           std::string(1, permission) + " or system/*." + std::string(1, permission) + ")");
  return false;
}

// ---------------------------------------------------------------------------------------------
// Reading request bodies and validating them

std::unique_ptr<core::Document> FhirApi::Impl::readBody(Exchange& x, std::string_view type,
                                                        core::Issues& issues) const {
  const std::string& body = x.request.body;
  if (body.size() > options.maxBodyBytes) {
    fail(x, 413, IssueType::TooLong,
         "the request body is larger than " + std::to_string(options.maxBodyBytes) + " bytes");
    return nullptr;
  }
  const std::string media = mediaType(x.request.header("content-type"));
  core::Format format = core::detectFormat(body);
  if (!media.empty()) {
    if (isJsonMedia(media)) {
      format = core::Format::Json;
    } else if (isXmlMedia(media)) {
      format = core::Format::Xml;
    } else {
      fail(x, 415, IssueType::NotSupported,
           "Content-Type '" + media +
               "' is not supported (application/fhir+json or application/fhir+xml)");
      return nullptr;
    }
  }
  if (body.empty()) {
    fail(x, 400, IssueType::Required, "the request has no body");
    return nullptr;
  }
  core::ReadOptions ro;
  ro.maxBytes = options.maxBodyBytes;
  std::unique_ptr<core::Document> doc;
  if (format == core::Format::Xml) {
    doc = core::readXml(body, types, issues, ro);
  } else if (format == core::Format::Json) {
    doc = core::readJson(body, types, issues, ro);
  } else {
    fail(x, 400, IssueType::Structure, "the body is neither JSON nor XML");
    return nullptr;
  }
  if (doc == nullptr || doc->root() == nullptr) {
    if (issues.empty()) issues.add(Severity::Fatal, IssueType::Structure, "unreadable resource");
    failIssues(x, 400, issues);
    return nullptr;
  }
  if (!type.empty() && doc->root()->type().name != type) {
    fail(x, 400, IssueType::Invalid,
         "the body is a " + std::string(doc->root()->type().name) + ", not a " + std::string(type));
    return nullptr;
  }
  return doc;
}

bool FhirApi::Impl::validateForWrite(Exchange& x, const core::Element& root,
                                     core::Issues& issues) const {
  if (validator != nullptr && options.validateWrites) {
    std::vector<std::string> profiles;
    if (auto it = options.requiredProfiles.find(std::string(root.type().name));
        it != options.requiredProfiles.end()) {
      profiles.push_back(it->second);
    }
    validator->validate(root, issues, profiles);
  }
  if (issues.hasErrors()) {
    // Keep only what matters for the client: errors first.
    core::Issues errors;
    for (const auto& i : issues.items()) {
      if (i.severity == Severity::Error || i.severity == Severity::Fatal) errors.add(i);
    }
    failIssues(x, 422, errors);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Audit

void FhirApi::Impl::auditRecord(const Exchange& x, std::string_view interaction, char action,
                                int status, std::string_view type, std::string_view id,
                                int64_t version, std::string_view query) const {
  if (audit == nullptr || !audit->covers(type)) return;
  AuditRecord r;
  r.interaction = std::string(interaction);
  r.action = action;
  r.httpStatus = status;
  r.agentId = x.agentId;
  r.address = x.request.remoteAddress;
  r.entityType = std::string(type);
  r.entityId = std::string(id);
  r.entityVersion = version;
  r.query = std::string(query);
  audit->record(std::move(r));
}

std::vector<store::AuditEntry> FhirApi::Impl::auditEntry(const Exchange& x,
                                                         std::string_view interaction, char action,
                                                         std::string_view type, std::string_view id,
                                                         int64_t version) const {
  if (audit == nullptr || !audit->covers(type)) return {};
  AuditRecord r;
  r.interaction = std::string(interaction);
  r.action = action;
  r.httpStatus = 200;
  r.agentId = x.agentId;
  r.address = x.request.remoteAddress;
  r.entityType = std::string(type);
  r.entityId = std::string(id);
  r.entityVersion = version;
  return {audit->entry(r)};
}

// ---------------------------------------------------------------------------------------------
// Read, vread, history

void FhirApi::Impl::read(Exchange& x, const std::string& type, const std::string& id) const {
  if (!allowed(x, type, 'r')) return;
  store::ResourceVersion v;
  store::Status st = store.read(type, id, v);
  auditRecord(x, "read", 'R', statusOf(st.code()), type, id, v.version);
  if (!st) {
    if (st.code() == store::Code::Gone) {
      x.response.setHeader("ETag", "W/\"" + std::to_string(v.version) + "\"");
    }
    return failStore(x, st);
  }
  x.response.setHeader("ETag", "W/\"" + std::to_string(v.version) + "\"");
  x.response.setHeader("Last-Modified", httpDate(v.lastUpdatedMs));
  if (auto inm = x.request.header("if-none-match"); !inm.empty()) {
    if (auto tag = parseETag(inm); tag && *tag == v.version) {
      x.response.status = 304;
      return;
    }
  }
  x.response.status = 200;
  x.response.contentType = x.render.format == core::Format::Xml ? kXmlType : kJsonType;
  x.response.body = renderResource(x, v.json);
}

void FhirApi::Impl::vread(Exchange& x, const std::string& type, const std::string& id,
                          const std::string& vid) const {
  if (!allowed(x, type, 'r')) return;
  const auto version = parseETag(vid);
  if (!version) {
    fail(x, 400, IssueType::Invalid, "'" + vid + "' is not a version id");
    return;
  }
  store::ResourceVersion v;
  store::Status st = store.vread(type, id, *version, v);
  auditRecord(x, "vread", 'R', statusOf(st.code()), type, id, *version);
  if (!st) return failStore(x, st);
  x.response.setHeader("ETag", "W/\"" + std::to_string(v.version) + "\"");
  x.response.setHeader("Last-Modified", httpDate(v.lastUpdatedMs));
  x.response.status = 200;
  x.response.contentType = x.render.format == core::Format::Xml ? kXmlType : kJsonType;
  x.response.body = renderResource(x, v.json);
}

void FhirApi::Impl::history(Exchange& x, const std::string& type, const std::string& id) const {
  if (!allowed(x, type.empty() ? "*" : type, 'r')) return;
  store::HistoryQuery q;
  q.type = type;
  q.id = id;
  q.count = options.searchLimits.defaultCount;
  for (const auto& [n, v] : x.params) {
    if (n == "_count") {
      char* end = nullptr;
      const long long c = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != 0 || c < 0) {
        return fail(x, 400, IssueType::Invalid, "_count must be a whole number");
      }
      q.count = std::min<size_t>(static_cast<size_t>(c), options.searchLimits.maxCount);
    } else if (n == "_offset") {
      char* end = nullptr;
      const long long c = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != 0 || c < 0) {
        return fail(x, 400, IssueType::Invalid, "_offset must be a whole number");
      }
      q.offset = static_cast<size_t>(c);
    } else if (n == "_since") {
      store::TimeRange t;
      if (!store::parseFhirTime(v, t)) {
        return fail(x, 400, IssueType::Invalid, "_since must be an instant");
      }
      q.sinceMs = t.low;
    } else if (n != "_format" && n != "_pretty") {
      if (x.strict) return fail(x, 400, IssueType::NotSupported, "unknown parameter " + n);
    }
  }
  store::HistoryResult h;
  store::Status st = store.history(q, h);
  if (!id.empty()) {
    auditRecord(x, "history-instance", 'R', statusOf(st.code()), type, id, 0);
  } else if (!type.empty()) {
    auditRecord(x, "history-type", 'R', statusOf(st.code()), type, "", 0, x.request.query);
  }
  if (!st) return failStore(x, st);
  if (!id.empty() && h.total == 0) {
    return fail(x, 404, IssueType::NotFound, type + "/" + id + " not found");
  }
  std::string j = R"({"resourceType":"Bundle","id":")" + store::newId() +
                  R"(","meta":{"lastUpdated":")" + store::formatInstant(store::nowMillis()) +
                  R"("},"type":"history","total":)" + std::to_string(h.total) + R"(,"link":[)";
  std::string self = x.base;
  if (!type.empty()) self += "/" + type;
  if (!id.empty()) self += "/" + id;
  self += "/_history";
  bool first = true;
  appendLink(j, first, "self", self + "?" + pageQuery(x.params, q.offset, q.count));
  if (q.offset + q.count < static_cast<size_t>(h.total) && q.count > 0) {
    appendLink(j, first, "next", self + "?" + pageQuery(x.params, q.offset + q.count, q.count));
  }
  if (q.offset > 0) {
    appendLink(
        j, first, "previous",
        self + "?" + pageQuery(x.params, q.offset > q.count ? q.offset - q.count : 0, q.count));
  }
  j += "]";
  bool any = false;
  for (const auto& e : h.entries) {
    if (type.empty() && x.request.principal != nullptr &&
        !x.request.principal->scopes.allows(e.type, 'r')) {
      continue;
    }
    j += any ? "," : R"(,"entry":[)";
    any = true;
    j += R"({"fullUrl":")";
    core::appendJsonEscaped(j, x.base + "/" + e.type + "/" + e.id);
    j += '"';
    if (!e.deleted()) {
      j += R"(,"resource":)";
      j += renderResource(
          Exchange{x.request, x.response,
                   Render{core::Format::Json, false, x.render.summary, x.render.elements}},
          e.json);
    }
    const char* method = e.op == store::Operation::Create   ? "POST"
                         : e.op == store::Operation::Update ? "PUT"
                                                            : "DELETE";
    j += R"(,"request":{"method":")";
    j += method;
    j += R"(","url":")";
    core::appendJsonEscaped(j, e.op == store::Operation::Create ? e.type : e.type + "/" + e.id);
    j += R"("},"response":{"status":")";
    j += e.op == store::Operation::Create ? "201" : (e.deleted() ? "204" : "200");
    j += R"(","etag":"W/\")" + std::to_string(e.version) + R"(\"","lastModified":")" +
         e.lastUpdated + R"("}})";
  }
  if (any) j += "]";
  j += "}";
  sendText(x, 200, std::move(j));
}

// ---------------------------------------------------------------------------------------------
// Search

bool FhirApi::Impl::parseQuery(Exchange& x, const std::string& type,
                               const store::QueryParams& params, store::SearchQuery& query) const {
  core::Issues issues;
  store::SearchLimits limits = options.searchLimits;
  limits.strict = x.strict;
  store::parseSearch(registry, type, params, limits, query, issues);
  if (issues.hasErrors()) {
    failIssues(x, 400, issues);
    return false;
  }
  return true;
}

void FhirApi::Impl::search(Exchange& x, const std::string& type) const {
  if (!allowed(x, type, 's')) return;
  store::QueryParams params = x.params;
  if (x.request.method == "POST") {
    const std::string media = mediaType(x.request.header("content-type"));
    if (!media.empty() && media != "application/x-www-form-urlencoded") {
      return fail(x, 415, IssueType::NotSupported,
                  "_search takes application/x-www-form-urlencoded parameters");
    }
    for (auto& p : store::parseQueryString(x.request.body)) params.push_back(std::move(p));
  }
  for (const auto& [n, v] : params) {
    if (n == "_summary") {
      if (v == "true") x.render.summary = Summary::True;
      if (v == "text") x.render.summary = Summary::Text;
      if (v == "data") x.render.summary = Summary::Data;
      if (v == "count") x.render.summary = Summary::Count;
    } else if (n == "_elements") {
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string e(trimmed(std::string_view(v).substr(pos, comma - pos)));
        if (const size_t dot = e.find('.'); dot != std::string::npos) e = e.substr(dot + 1);
        if (!e.empty()) x.render.elements.push_back(e);
        pos = comma + 1;
      }
    }
  }
  store::SearchQuery q;
  if (!parseQuery(x, type, params, q)) return;
  store::SearchResult r;
  store::Status st = store.search(q, r);
  std::string queryText;
  for (const auto& [n, v] : params) {
    queryText += queryText.empty() ? "" : "&";
    queryText += store::percentEncode(n) + "=" + store::percentEncode(v);
  }
  auditRecord(x, "search-type", 'E', statusOf(st.code()), type, "", 0, queryText);
  if (!st) return failStore(x, st);

  const Render entryRender{core::Format::Json, false, x.render.summary, x.render.elements};
  Exchange entryX{x.request, x.response, entryRender};
  std::string j;
  j.reserve(256 + r.matches.size() * 1024);
  j += R"({"resourceType":"Bundle","id":")" + store::newId() + R"(","meta":{"lastUpdated":")" +
       store::formatInstant(store::nowMillis()) + R"("},"type":"searchset","total":)" +
       std::to_string(r.total) + R"(,"link":[)";
  const std::string self = x.base + "/" + type;
  bool first = true;
  appendLink(j, first, "self", self + "?" + pageQuery(params, q.offset, q.count));
  if (!q.summaryCount) {
    appendLink(j, first, "first", self + "?" + pageQuery(params, 0, q.count));
    if (q.count > 0 && q.offset + q.count < static_cast<size_t>(r.total)) {
      appendLink(j, first, "next", self + "?" + pageQuery(params, q.offset + q.count, q.count));
    }
    if (q.offset > 0) {
      appendLink(
          j, first, "previous",
          self + "?" + pageQuery(params, q.offset > q.count ? q.offset - q.count : 0, q.count));
    }
  }
  j += "]";
  bool any = false;
  auto entry = [&](const store::ResourceVersion& v, const char* mode) {
    j += any ? "," : R"(,"entry":[)";
    any = true;
    j += R"({"fullUrl":")";
    core::appendJsonEscaped(j, x.base + "/" + v.type + "/" + v.id);
    j += R"(","resource":)";
    j += renderResource(entryX, v.json);
    j += R"(,"search":{"mode":")";
    j += mode;
    j += R"("}})";
  };
  for (const auto& v : r.matches) entry(v, "match");
  for (const auto& v : r.included) {
    if (x.request.principal != nullptr && !x.request.principal->scopes.allows(v.type, 'r'))
      continue;
    if (v.type != type) auditRecord(x, "read", 'R', 200, v.type, v.id, v.version);
    entry(v, "include");
  }
  if (any) j += "]";
  j += "}";
  sendText(x, 200, std::move(j));
}

// ---------------------------------------------------------------------------------------------
// The audit log as AuditEvent resources

void FhirApi::Impl::auditEventRead(Exchange& x, const std::string& id) const {
  if (!allowed(x, "AuditEvent", 'r')) return;
  store::ResourceVersion v;
  if (store::Status st = store.readAudit(id, v); !st) return failStore(x, st);
  x.response.setHeader("ETag", "W/\"1\"");
  x.response.setHeader("Last-Modified", httpDate(v.lastUpdatedMs));
  x.response.status = 200;
  x.response.contentType = x.render.format == core::Format::Xml ? kXmlType : kJsonType;
  x.response.body = renderResource(x, v.json);
}

void FhirApi::Impl::auditEventSearch(Exchange& x) const {
  if (!allowed(x, "AuditEvent", 's')) return;
  store::QueryParams params = x.params;
  if (x.request.method == "POST") {
    for (auto& p : store::parseQueryString(x.request.body)) params.push_back(std::move(p));
  }
  store::AuditQuery q;
  q.count = options.searchLimits.defaultCount;
  core::Issues issues;
  auto values = [](const std::string& v, bool token) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string::npos) comma = v.size();
      std::string one = v.substr(pos, comma - pos);
      if (token) {
        if (const size_t bar = one.find('|'); bar != std::string::npos) one = one.substr(bar + 1);
      }
      if (!one.empty()) out.push_back(one);
      pos = comma + 1;
    }
    return out;
  };
  for (const auto& [n, v] : params) {
    if (n == "_id") {
      for (auto& i : values(v, false)) q.ids.push_back(i);
    } else if (n == "entity" || n == "patient") {
      for (auto& e : values(v, false)) {
        std::string t, id;
        if (store::splitReference(e, t, id)) {
          q.entities.push_back(t + "/" + id);
        } else {
          q.entities.push_back(n == "patient" ? "Patient/" + e : e);
        }
      }
    } else if (n == "agent" || n == "agent:identifier") {
      for (auto& a : values(v, true)) q.agents.push_back(a);
    } else if (n == "subtype") {
      for (auto& a : values(v, true)) q.subtypes.push_back(a);
    } else if (n == "action") {
      for (auto& a : values(v, true)) q.actions.push_back(a);
    } else if (n == "outcome") {
      for (auto& a : values(v, true)) q.outcomes.push_back(a);
    } else if (n == "date") {
      std::string d = v;
      store::AuditQuery::Date date;
      static const std::pair<const char*, store::Prefix> kPrefixes[] = {
          {"eq", store::Prefix::Eq}, {"ne", store::Prefix::Ne}, {"gt", store::Prefix::Gt},
          {"lt", store::Prefix::Lt}, {"ge", store::Prefix::Ge}, {"le", store::Prefix::Le},
          {"sa", store::Prefix::Sa}, {"eb", store::Prefix::Eb}, {"ap", store::Prefix::Ap}};
      for (const auto& [text, prefix] : kPrefixes) {
        if (d.size() > 2 && d.compare(0, 2, text) == 0) {
          date.prefix = prefix;
          d.erase(0, 2);
          break;
        }
      }
      store::TimeRange r;
      if (!store::parseFhirTime(d, r)) {
        issues.add(Severity::Error, IssueType::Invalid, "'" + d + "' is not a date", "date");
        continue;
      }
      date.low = r.low;
      date.high = r.high;
      q.dates.push_back(date);
    } else if (n == "_count" || n == "_offset") {
      char* end = nullptr;
      const long long c = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != 0 || c < 0) {
        issues.add(Severity::Error, IssueType::Invalid, n + " must be a whole number", n);
        continue;
      }
      if (n == "_count") {
        q.count = std::min<size_t>(static_cast<size_t>(c), options.searchLimits.maxCount);
        if (c == 0) q.summaryCount = true;
      } else {
        q.offset = static_cast<size_t>(c);
      }
    } else if (n == "_summary" && v == "count") {
      q.summaryCount = true;
    } else if (n == "_sort") {
      if (v == "date") {
        q.newestFirst = false;
      } else if (v != "-date") {
        issues.add(x.strict ? Severity::Error : Severity::Warning, IssueType::NotSupported,
                   "AuditEvent sorts by date or -date only", n);
      }
    } else if (n != "_format" && n != "_pretty" && n != "_elements" && n != "_summary" &&
               n != "_total") {
      issues.add(x.strict ? Severity::Error : Severity::Warning, IssueType::NotSupported,
                 "AuditEvent search supports _id, entity, patient, agent, subtype, action, "
                 "outcome and date; '" +
                     n + "' is ignored",
                 n);
    }
  }
  if (issues.hasErrors()) return failIssues(x, 400, issues);
  store::SearchResult r;
  if (store::Status st = store.searchAudit(q, r); !st) return failStore(x, st);
  std::string j = R"({"resourceType":"Bundle","id":")" + store::newId() +
                  R"(","meta":{"lastUpdated":")" + store::formatInstant(store::nowMillis()) +
                  R"("},"type":"searchset","total":)" + std::to_string(r.total) + R"(,"link":[)";
  const std::string self = x.base + "/AuditEvent";
  bool first = true;
  appendLink(j, first, "self", self + "?" + pageQuery(params, q.offset, q.count));
  if (!q.summaryCount && q.count > 0 && q.offset + q.count < static_cast<size_t>(r.total)) {
    appendLink(j, first, "next", self + "?" + pageQuery(params, q.offset + q.count, q.count));
  }
  j += "]";
  for (size_t i = 0; i < r.matches.size(); ++i) {
    j += i == 0 ? R"(,"entry":[)" : ",";
    j += R"({"fullUrl":")";
    core::appendJsonEscaped(j, self + "/" + r.matches[i].id);
    j += R"(","resource":)";
    j += r.matches[i].json;
    j += R"(,"search":{"mode":"match"}})";
  }
  if (!r.matches.empty()) j += "]";
  j += "}";
  sendText(x, 200, std::move(j));
}

// ---------------------------------------------------------------------------------------------
// Create, update, delete

void FhirApi::Impl::create(Exchange& x, const std::string& type) const {
  if (!allowed(x, type, 'c')) return;
  core::Issues issues;
  auto doc = readBody(x, type, issues);
  if (doc == nullptr) return;
  if (!validateForWrite(x, *doc->root(), issues)) return;
  std::optional<store::SearchQuery> condition;
  if (auto ine = x.request.header("if-none-exist"); !ine.empty()) {
    std::string_view q = ine;
    if (const size_t qm = q.find('?'); qm != std::string_view::npos) q = q.substr(qm + 1);
    condition.emplace();
    if (!parseQuery(x, type, store::parseQueryString(q), *condition)) return;
    if (condition->criteria.empty()) {
      return fail(x, 400, IssueType::Invalid, "If-None-Exist has no search criteria");
    }
  }
  const std::string id = store::newId();
  setId(*doc, doc->root(), id);
  store::IndexRows index;
  store::extractIndex(registry, *doc->root(), index);
  const auto auditRows = auditEntry(x, "create", 'C', type, id, 1);
  const store::PreparedCreate prepared = store::prepareCreate(*doc);
  store::WriteResult w;
  std::string matched;
  store::Status st = store.write([&](store::WriteContext& ctx) {
    if (condition) {
      if (store::Status s = matchAtMostOne(ctx, *condition,
                                           "If-None-Exist matches more than one " + type, matched);
          !s) {
        return s;
      }
      if (!matched.empty()) return store::Status::ok();
    }
    store::PutOptions o;
    o.index = &index;
    o.prepared = &prepared;
    if (store::Status s = ctx.put(*doc, o, w); !s) return s;
    return ctx.audit(auditRows);
  });
  if (!st) {
    auditRecord(x, "create", 'C', statusOf(st.code()), type, "", 0);
    return failStore(x, st);
  }
  if (!matched.empty()) {
    store::ResourceVersion v;
    if (store::Status rs = store.read(type, matched, v); !rs) return failStore(x, rs);
    auditRecord(x, "read", 'R', 200, type, matched, v.version);
    store::WriteResult existing;
    existing.type = type;
    existing.id = matched;
    existing.version = v.version;
    existing.lastUpdated = v.lastUpdated;
    existing.json = v.json;
    return sendWriteResult(x, 200, existing, "an existing resource matched If-None-Exist");
  }
  sendWriteResult(x, 201, w, "created");
}

void FhirApi::Impl::update(Exchange& x, const std::string& type, const std::string& id) const {
  if (!allowed(x, type, 'u')) return;
  core::Issues issues;
  auto doc = readBody(x, type, issues);
  if (doc == nullptr) return;
  const std::string bodyId = childText(*doc->root(), "id");
  if (bodyId.empty()) return fail(x, 400, IssueType::Required, "the resource has no id");
  if (bodyId != id) {
    return fail(x, 400, IssueType::Invalid,
                "the resource id '" + bodyId + "' differs from the id in the URL '" + id + "'");
  }
  std::optional<int64_t> ifMatch;
  if (auto im = x.request.header("if-match"); !im.empty()) {
    ifMatch = parseETag(im);
    if (!ifMatch) return fail(x, 400, IssueType::Invalid, "If-Match must be an ETag W/\"n\"");
  }
  if (!validateForWrite(x, *doc->root(), issues)) return;
  store::IndexRows index;
  store::extractIndex(registry, *doc->root(), index);
  store::WriteResult w;
  store::Status st = store.write([&](store::WriteContext& ctx) {
    store::PutOptions o;
    o.index = &index;
    o.ifMatch = ifMatch;
    if (store::Status s = ctx.put(*doc, o, w); !s) return s;
    return ctx.audit(
        auditEntry(x, w.created ? "create" : "update", w.created ? 'C' : 'U', type, id, w.version));
  });
  if (!st) {
    auditRecord(x, "update", 'U', statusOf(st.code()), type, id, 0);
    if (st.code() == store::Code::PreconditionFailed) {
      return fail(x, 412, IssueType::Conflict, st.message());
    }
    return failStore(x, st);
  }
  sendWriteResult(x, w.created ? 201 : 200, w, w.created ? "created" : "updated");
}

void FhirApi::Impl::conditionalUpdate(Exchange& x, const std::string& type) const {
  if (!allowed(x, type, 'u')) return;
  store::SearchQuery q;
  if (!parseQuery(x, type, x.params, q)) return;
  if (q.criteria.empty()) {
    return fail(x, 400, IssueType::Invalid,
                "a conditional update needs search criteria (PUT " + type + "?identifier=...)");
  }
  core::Issues issues;
  auto doc = readBody(x, type, issues);
  if (doc == nullptr) return;
  if (!validateForWrite(x, *doc->root(), issues)) return;
  const std::string bodyId = childText(*doc->root(), "id");
  if (!bodyId.empty() && !store::isValidId(bodyId)) {
    return fail(x, 400, IssueType::Invalid, "'" + bodyId + "' is not a valid id");
  }
  store::IndexRows index;
  store::extractIndex(registry, *doc->root(), index);
  store::WriteResult w;
  store::Status st = store.write([&](store::WriteContext& ctx) {
    std::string matched;
    if (store::Status s =
            matchAtMostOne(ctx, q, "the criteria match more than one " + type, matched);
        !s) {
      return s;
    }
    if (!matched.empty()) {
      if (!bodyId.empty() && bodyId != matched) {
        return store::Status::error(
            store::Code::Invalid,
            "the resource id '" + bodyId + "' differs from the match '" + matched + "'");
      }
      setId(*doc, doc->root(), matched);
    } else {
      setId(*doc, doc->root(), bodyId.empty() ? store::newId() : bodyId);
    }
    store::PutOptions o;
    o.index = &index;
    if (store::Status s = ctx.put(*doc, o, w); !s) return s;
    return ctx.audit(auditEntry(x, w.created ? "create" : "update", w.created ? 'C' : 'U', type,
                                w.id, w.version));
  });
  if (!st) {
    auditRecord(x, "update", 'U', statusOf(st.code()), type, "", 0, x.request.query);
    return failStore(x, st);
  }
  sendWriteResult(x, w.created ? 201 : 200, w, w.created ? "created" : "updated");
}

void FhirApi::Impl::remove(Exchange& x, const std::string& type, const std::string& id) const {
  if (!allowed(x, type, 'd')) return;
  std::optional<int64_t> ifMatch;
  if (auto im = x.request.header("if-match"); !im.empty()) {
    ifMatch = parseETag(im);
    if (!ifMatch) return fail(x, 400, IssueType::Invalid, "If-Match must be an ETag W/\"n\"");
  }
  store::WriteResult w;
  store::Status st = store.write([&](store::WriteContext& ctx) {
    store::PutOptions o;
    o.ifMatch = ifMatch;
    if (store::Status s = ctx.remove(type, id, o, w); !s) return s;
    return ctx.audit(auditEntry(x, "delete", 'D', type, id, w.version));
  });
  if (!st) {
    auditRecord(x, "delete", 'D', statusOf(st.code()), type, id, 0);
    return failStore(x, st);
  }
  x.response.setHeader("ETag", "W/\"" + std::to_string(w.version) + "\"");
  if (x.prefer == Prefer::Minimal) {
    x.response.status = 204;
    return;
  }
  core::Issues issues;
  issues.add(Severity::Information, IssueType::Informational,
             type + "/" + id + " deleted (version " + std::to_string(w.version) + ")");
  sendOutcome(x, 200, issues);
}

void FhirApi::Impl::conditionalRemove(Exchange& x, const std::string& type) const {
  if (!allowed(x, type, 'd')) return;
  store::SearchQuery q;
  if (!parseQuery(x, type, x.params, q)) return;
  if (q.criteria.empty()) {
    return fail(x, 400, IssueType::Invalid, "a conditional delete needs search criteria");
  }
  store::WriteResult w;
  std::string deleted;
  store::Status st = store.write([&](store::WriteContext& ctx) {
    if (store::Status s =
            matchAtMostOne(ctx, q, "the criteria match more than one " + type, deleted);
        !s) {
      return s;
    }
    if (deleted.empty()) return store::Status::ok();
    if (store::Status s = ctx.remove(type, deleted, {}, w); !s) return s;
    return ctx.audit(auditEntry(x, "delete", 'D', type, deleted, w.version));
  });
  if (!st) return failStore(x, st);
  core::Issues issues;
  issues.add(Severity::Information, IssueType::Informational,
             deleted.empty() ? "no " + type + " matched; nothing was deleted"
                             : type + "/" + deleted + " deleted");
  if (x.prefer == Prefer::Minimal) {
    x.response.status = 204;
    return;
  }
  sendOutcome(x, 200, issues);
}

// ---------------------------------------------------------------------------------------------
// $validate

void FhirApi::Impl::validate(Exchange& x, const std::string& type, const std::string& id) const {
  if (!allowed(x, type, 'r')) return;
  if (validator == nullptr) {
    return fail(x, 501, IssueType::NotSupported, "validation is not available on this server");
  }
  std::vector<std::string> profiles;
  for (const auto& [n, v] : x.params) {
    if (n == "profile") profiles.push_back(v);
  }
  if (auto it = options.requiredProfiles.find(type); it != options.requiredProfiles.end()) {
    profiles.push_back(it->second);
  }
  core::Issues issues;
  std::unique_ptr<core::Document> doc;
  const core::Element* target = nullptr;
  if (x.request.method == "GET" || x.request.body.empty()) {
    if (id.empty()) return fail(x, 400, IssueType::Required, "$validate needs a resource");
    store::ResourceVersion v;
    if (store::Status st = store.read(type, id, v); !st) return failStore(x, st);
    auditRecord(x, "read", 'R', 200, type, id, v.version);
    doc = core::readJson(v.json, types, issues);
    if (doc == nullptr)
      return fail(x, 500, IssueType::Exception, "the stored resource is unreadable");
    target = doc->root();
  } else {
    doc = readBody(x, "", issues);
    if (doc == nullptr) return;
    target = doc->root();
    if (target->type().name == "Parameters" && type != "Parameters") {
      const core::Element* found = nullptr;
      target->forEachChild("parameter", [&](const core::Element& p) {
        const std::string name = childText(p, "name");
        if (name == "resource" && p.child("resource") != nullptr) found = p.child("resource");
        if (name == "profile") {
          if (const core::Element* vu = p.child("value"); vu != nullptr && vu->hasValue()) {
            profiles.emplace_back(vu->value());
          }
        }
      });
      if (found == nullptr) {
        return fail(x, 400, IssueType::Required, "the Parameters have no 'resource' parameter");
      }
      target = found;
    }
    if (target->type().name != type) {
      return fail(x, 400, IssueType::Invalid,
                  "the resource is a " + std::string(target->type().name) + ", not a " + type);
    }
  }
  validator->validate(*target, issues, profiles);
  sendOutcome(x, 200, issues);
}

}  // namespace trialbridge::service
