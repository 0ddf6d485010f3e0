#include "service/negotiation.h"

#include "core/json.h"
#include "core/text.h"
#include "core/xml.h"
#include "service/auth.h"
#include "service/rendering.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

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

namespace {

// Output format: _format, then Accept. False for a _format that is neither.
bool negotiateFormat(const HttpRequest& request, Call& call, Reply& reply) {
  std::string format;
  for (const auto& [n, v] : call.params) {
    if (n == "_format") format = mediaType(v);
    if (n == "_pretty") call.render.pretty = v == "true";
  }
  if (!format.empty()) {
    if (isXmlMedia(format)) {
      call.render.format = core::Format::Xml;
    } else if (!isJsonMedia(format)) {
      fail(reply, 406, IssueType::NotSupported,
           "_format '" + format + "' is not supported (json or xml)");
      return false;
    }
    return true;
  }
  const std::string accept = core::asciiLower(request.header("accept"));
  const bool xml = accept.find("xml") != std::string::npos;
  const bool json = accept.find("json") != std::string::npos;
  if (xml && !json) call.render.format = core::Format::Xml;
  return true;
}

}  // namespace

bool negotiate(const HttpRequest& request, const ApiOptions& options, Call& call, Reply& reply) {
  call.method = request.method;
  call.query = request.query;
  call.params = store::parseQueryString(request.query);
  call.body = request.body;
  call.contentType = std::string(request.header("content-type"));
  call.ifMatch = std::string(request.header("if-match"));
  call.ifNoneMatch = std::string(request.header("if-none-match"));
  call.ifNoneExist = std::string(request.header("if-none-exist"));
  call.idempotencyKey = std::string(request.header("idempotency-key"));
  call.address = request.remoteAddress;
  call.principal = request.principal;
  if (request.principal != nullptr) call.agentId = request.principal->clientId;
  if (!negotiateFormat(request, call, reply)) return false;
  const std::string_view prefer = request.header("prefer");
  if (prefer.find("return=minimal") != std::string_view::npos) call.prefer = Prefer::Minimal;
  if (prefer.find("return=OperationOutcome") != std::string_view::npos) {
    call.prefer = Prefer::OperationOutcome;
  }
  call.strict = prefer.find("handling=strict") != std::string_view::npos;
  if (!options.publicBase.empty()) {
    call.base = options.publicBase;
  } else {
    const std::string_view host = request.header("host");
    const bool https = request.secure || request.header("x-forwarded-proto") == "https";
    call.base = std::string(https ? "https://" : "http://") +
                std::string(host.empty() ? "localhost" : host) + options.basePath;
  }
  std::string_view path = request.path;
  if (path.rfind(options.basePath, 0) != 0 ||
      (path.size() > options.basePath.size() && path[options.basePath.size()] != '/')) {
    fail(reply, 404, IssueType::NotFound,
         "no FHIR endpoint at this path (the base is " + options.basePath + ")");
    return false;
  }
  path.remove_prefix(options.basePath.size());
  call.path = std::string(path);
  return true;
}

std::unique_ptr<core::Document> readBody(const Call& call, size_t maxBytes,
                                         const core::TypeResolver& types, core::Issues& issues,
                                         Reply& reply) {
  const std::string_view body = call.body;
  if (body.size() > maxBytes) {
    fail(reply, 413, IssueType::TooLong,
         "the request body is larger than " + std::to_string(maxBytes) + " bytes");
    return nullptr;
  }
  const std::string media = mediaType(call.contentType);
  core::Format format = core::detectFormat(body);
  if (!media.empty()) {
    if (isJsonMedia(media)) {
      format = core::Format::Json;
    } else if (isXmlMedia(media)) {
      format = core::Format::Xml;
    } else {
      fail(reply, 415, IssueType::NotSupported,
           "Content-Type '" + media +
               "' is not supported (application/fhir+json or application/fhir+xml)");
      return nullptr;
    }
  }
  if (body.empty()) {
    fail(reply, 400, IssueType::Required, "the request has no body");
    return nullptr;
  }
  core::ReadOptions ro;
  ro.maxBytes = maxBytes;
  std::unique_ptr<core::Document> doc;
  if (format == core::Format::Xml) {
    doc = core::readXml(body, types, issues, ro);
  } else if (format == core::Format::Json) {
    doc = core::readJson(body, types, issues, ro);
  } else {
    fail(reply, 400, IssueType::Structure, "the body is neither JSON nor XML");
    return nullptr;
  }
  if (doc == nullptr || doc->root() == nullptr) {
    if (issues.empty()) issues.add(Severity::Fatal, IssueType::Structure, "unreadable resource");
    failIssues(reply, 400, issues);
    return nullptr;
  }
  return doc;
}

}  // namespace trialbridge::service
