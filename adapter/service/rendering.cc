#include "service/rendering.h"

#include <ctime>

#include "conformance/context.h"
#include "core/json.h"
#include "core/resource_io.h"
#include "core/text.h"
#include "core/xml.h"

namespace trialbridge::service {

namespace {

constexpr std::string_view kJsonType = "application/fhir+json;charset=utf-8";
constexpr std::string_view kXmlType = "application/fhir+xml;charset=utf-8";

// What to keep of a resource: nothing to drop when `summary` is None (or Count) and there are no
// `elements`.
struct Subset {
  Summary summary = Summary::None;
  const std::vector<std::string>* elements = nullptr;
  bool any() const {
    return (summary != Summary::None && summary != Summary::Count) ||
           (elements != nullptr && !elements->empty());
  }
};

Subset topSubset(const Render& r) { return Subset{r.summary, &r.elements}; }
Subset entrySubset(const BundleBody& b) { return Subset{b.summary, &b.elements}; }

// Documents made while rendering, kept alive until the text is written.
using Keep = std::vector<std::unique_ptr<core::Document>>;

const core::Element* bundleDocument(const BundleBody& b, const core::TypeResolver& types,
                                    Keep& keep);

// The root to write for a payload: parsed, subsetted or built as needed.
const core::Element* rootOf(const Payload& p, const Subset& sub, const core::TypeResolver& types,
                            Keep& keep) {
  const core::Element* root = nullptr;
  switch (p.kind) {
    case Payload::Kind::None: return nullptr;
    case Payload::Kind::Json: {
      core::Issues issues;
      keep.push_back(core::readJson(p.json, types, issues));
      if (keep.back() == nullptr) return nullptr;
      root = keep.back()->root();
      break;
    }
    case Payload::Kind::Document: root = p.document->root(); break;
    case Payload::Kind::Bundle: return bundleDocument(*p.bundle, types, keep);
    case Payload::Kind::Outcome: {
      keep.push_back(std::make_unique<core::Document>(types));
      return core::buildOperationOutcome(*keep.back(), p.issues);
    }
  }
  if (root == nullptr || !sub.any()) return root;
  keep.push_back(subsetOf(*root, types, sub.summary, *sub.elements));
  return keep.back()->root();
}

void copyChildren(core::Document& dst, core::Element* to, const core::Element& from) {
  for (const core::Element* c = from.firstChild(); c != nullptr; c = c->nextSibling()) {
    core::copyElement(dst, to, *c);
  }
}

void addText(core::Document& doc, core::Element* parent, std::string_view name,
             std::string_view value) {
  if (!value.empty()) doc.addPrimitive(parent, name, value);
}

void addEntry(core::Document& doc, core::Element* root, const BundleEntry& en, const Subset& sub,
              const core::TypeResolver& types, Keep& keep) {
  core::Element* e = doc.add(root, "entry");
  addText(doc, e, "fullUrl", en.fullUrl);
  if (const core::Element* src = rootOf(en.resource, sub, types, keep)) {
    if (core::Element* r = doc.addResource(e, "resource", src->type().name)) {
      copyChildren(doc, r, *src);
    }
  }
  if (!en.searchMode.empty()) addText(doc, doc.add(e, "search"), "mode", en.searchMode);
  if (!en.requestMethod.empty()) {
    core::Element* rq = doc.add(e, "request");
    addText(doc, rq, "method", en.requestMethod);
    addText(doc, rq, "url", en.requestUrl);
  }
  if (en.hasResponse) {
    core::Element* rs = doc.add(e, "response");
    addText(doc, rs, "status", en.status);
    addText(doc, rs, "location", en.location);
    addText(doc, rs, "etag", en.etag);
    addText(doc, rs, "lastModified", en.lastModified);
    if (const core::Element* o = rootOf(en.outcome, {}, types, keep)) {
      if (core::Element* out = doc.addResource(rs, "outcome", o->type().name)) {
        copyChildren(doc, out, *o);
      }
    }
  }
}

const core::Element* bundleDocument(const BundleBody& b, const core::TypeResolver& types,
                                    Keep& keep) {
  keep.push_back(std::make_unique<core::Document>(types));
  core::Document& doc = *keep.back();
  core::Element* root = doc.createResource("Bundle");
  if (root == nullptr) return nullptr;
  addText(doc, root, "id", b.id);
  if (!b.lastUpdated.empty()) addText(doc, doc.add(root, "meta"), "lastUpdated", b.lastUpdated);
  addText(doc, root, "type", b.type);
  if (b.total) addText(doc, root, "total", std::to_string(*b.total));
  for (const auto& [relation, url] : b.links) {
    core::Element* l = doc.add(root, "link");
    addText(doc, l, "relation", relation);
    addText(doc, l, "url", url);
  }
  const Subset sub = entrySubset(b);
  for (const BundleEntry& en : b.entries) addEntry(doc, root, en, sub, types, keep);
  return root;
}

// Compact JSON, splicing stored JSON where nothing is to be dropped.
void appendJson(std::string& out, const Payload& p, const Subset& sub,
                const core::TypeResolver& types);

void appendString(std::string& j, std::string_view key, std::string_view value, bool& first) {
  if (value.empty()) return;
  j += first ? "\"" : ",\"";
  first = false;
  j += key;
  j += R"(":")";
  core::appendJsonEscaped(j, value);
  j += '"';
}

void appendEntryJson(std::string& j, const BundleEntry& en, const Subset& sub,
                     const core::TypeResolver& types) {
  j += '{';
  bool first = true;
  appendString(j, "fullUrl", en.fullUrl, first);
  if (!en.resource.empty()) {
    j += first ? R"("resource":)" : R"(,"resource":)";
    first = false;
    appendJson(j, en.resource, sub, types);
  }
  if (!en.searchMode.empty()) {
    j += first ? R"("search":{"mode":")" : R"(,"search":{"mode":")";
    first = false;
    j += en.searchMode;
    j += "\"}";
  }
  if (!en.requestMethod.empty()) {
    j += first ? R"("request":{)" : R"(,"request":{)";
    first = false;
    bool inner = true;
    appendString(j, "method", en.requestMethod, inner);
    appendString(j, "url", en.requestUrl, inner);
    j += '}';
  }
  if (en.hasResponse) {
    j += first ? R"("response":{)" : R"(,"response":{)";
    bool inner = true;
    appendString(j, "status", en.status, inner);
    appendString(j, "location", en.location, inner);
    appendString(j, "etag", en.etag, inner);
    appendString(j, "lastModified", en.lastModified, inner);
    if (!en.outcome.empty()) {
      j += inner ? R"("outcome":)" : R"(,"outcome":)";
      appendJson(j, en.outcome, {}, types);
    }
    j += '}';
  }
  j += '}';
}

void appendBundleJson(std::string& j, const BundleBody& b, const core::TypeResolver& types) {
  j.reserve(j.size() + 256 + b.entries.size() * 1024);
  j += R"({"resourceType":"Bundle")";
  bool first = false;
  appendString(j, "id", b.id, first);
  if (!b.lastUpdated.empty()) {
    j += R"(,"meta":{"lastUpdated":")";
    j += b.lastUpdated;
    j += "\"}";
  }
  appendString(j, "type", b.type, first);
  if (b.total) j += R"(,"total":)" + std::to_string(*b.total);
  for (size_t i = 0; i < b.links.size(); ++i) {
    j += i == 0 ? R"(,"link":[)" : ",";
    bool inner = true;
    j += '{';
    appendString(j, "relation", b.links[i].first, inner);
    appendString(j, "url", b.links[i].second, inner);
    j += '}';
  }
  if (!b.links.empty()) j += ']';
  const Subset sub = entrySubset(b);
  for (size_t i = 0; i < b.entries.size(); ++i) {
    j += i == 0 ? R"(,"entry":[)" : ",";
    appendEntryJson(j, b.entries[i], sub, types);
  }
  if (!b.entries.empty()) j += ']';
  j += '}';
}

void appendJson(std::string& out, const Payload& p, const Subset& sub,
                const core::TypeResolver& types) {
  if (p.kind == Payload::Kind::Bundle) return appendBundleJson(out, *p.bundle, types);
  if (!sub.any() && !p.json.empty()) {
    out += p.json;
    return;
  }
  Keep keep;
  const core::Element* root = rootOf(p, sub, types, keep);
  if (root != nullptr) {
    out += core::writeJson(*root);
  } else {
    out += p.json;  // unreadable stored JSON goes out as it is
  }
}

core::Element* mutableChild(core::Element* parent, std::string_view name) {
  for (core::Element* c = parent->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == name) return c;
  }
  return nullptr;
}

bool keeps(const core::Element& c, Summary summary, const std::vector<std::string>& elements) {
  const std::string_view name = c.name();
  if (name == "id" || name == "meta") return true;
  if (!elements.empty()) {
    for (const auto& e : elements) {
      if (e == name || e == c.jsonName()) return true;
    }
    return false;
  }
  const core::PropertyInfo* p = c.property();
  switch (summary) {
    case Summary::True: return p != nullptr && p->summary;
    case Summary::Text: return name == "text" || (p != nullptr && p->min > 0);
    case Summary::Data: return name != "text";
    default: return true;
  }
}

}  // namespace

Payload Payload::ofJson(std::string json) {
  Payload p;
  p.kind = Kind::Json;
  p.json = std::move(json);
  return p;
}

Payload Payload::ofDocument(std::shared_ptr<const core::Document> doc, std::string json) {
  Payload p;
  p.kind = Kind::Document;
  p.document = std::move(doc);
  p.json = std::move(json);
  return p;
}

Payload Payload::ofBundle(std::shared_ptr<const BundleBody> bundle) {
  Payload p;
  p.kind = Kind::Bundle;
  p.bundle = std::move(bundle);
  return p;
}

Payload Payload::ofOutcome(core::Issues issues) {
  Payload p;
  p.kind = Kind::Outcome;
  p.issues = std::move(issues);
  return p;
}

void Reply::setHeader(std::string name, std::string value) {
  for (auto& [n, v] : headers) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string_view Reply::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

std::string_view contentTypeOf(core::Format format) {
  return format == core::Format::Xml ? kXmlType : kJsonType;
}

std::string renderPayload(const Payload& payload, const Render& render,
                          const core::TypeResolver& types) {
  if (payload.empty()) return {};
  const Subset sub = topSubset(render);
  if (render.format != core::Format::Xml && !render.pretty) {
    std::string out;
    appendJson(out, payload, sub, types);
    return out;
  }
  Keep keep;
  const core::Element* root = rootOf(payload, sub, types, keep);
  if (root == nullptr) return payload.json;
  if (render.format == core::Format::Xml) return core::writeXml(*root);
  core::WriteOptions w;
  w.pretty = true;
  return core::writeJson(*root, w);
}

std::unique_ptr<core::Document> subsetOf(const core::Element& src, const core::TypeResolver& types,
                                         Summary summary,
                                         const std::vector<std::string>& elements) {
  auto out = std::make_unique<core::Document>(types);
  core::Element* root = out->create(out->intern(src.type().name), src.type(), nullptr);
  out->setRoot(root);
  for (const core::Element* c = src.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (keeps(*c, summary, elements)) core::copyElement(*out, root, *c);
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

void fail(Reply& reply, int status, core::IssueType code, std::string message) {
  core::Issues issues;
  issues.add(status >= 500 ? core::Severity::Fatal : core::Severity::Error, code,
             std::move(message));
  failIssues(reply, status, std::move(issues));
}

void failIssues(Reply& reply, int status, core::Issues issues) {
  reply.status = status;
  // 503: nothing was done and the same request may succeed later (the database is unreachable or
  // out of space); the client is told when to try again.
  if (status == 503 && reply.header("Retry-After").empty()) {
    reply.setHeader("Retry-After", std::to_string(kRetryAfterSeconds));
  }
  reply.payload = Payload::ofOutcome(std::move(issues));
}

void failResponse(HttpResponse& response, int status, core::IssueType code, std::string message,
                  std::string location) {
  core::Issues issues;
  issues.add(status >= 500 ? core::Severity::Fatal : core::Severity::Error, code,
             std::move(message), std::move(location));
  failResponse(response, status, issues);
}

void failResponse(HttpResponse& response, int status, const core::Issues& issues) {
  core::Document doc(conformance::Context::r4());
  core::buildOperationOutcome(doc, issues);
  response.status = status;
  response.contentType = contentTypeOf(core::Format::Json);
  response.body = core::writeJson(*doc.root());
  if (status == 503 && response.header("Retry-After").empty()) {
    response.setHeader("Retry-After", std::to_string(kRetryAfterSeconds));
  }
}

std::string httpDate(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace trialbridge::service
