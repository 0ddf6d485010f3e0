#include "service/quarantine_view.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "hl7v2/masking.h"
#include "pipeline/pipeline.h"
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "service/rendering.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::service {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// The message's segments, pseudonymous (hl7v2/masking.h); [] when it has no readable MSH.
void segments(Writer& w, const std::string& raw) {
  core::Issues issues;
  const std::optional<hl7v2::Message> m = hl7v2::parseMessage(std::string_view(raw), issues);
  w.Key("segments");
  w.StartArray();
  if (m) {
    for (const hl7v2::ShownSegment& s : hl7v2::pseudonymousSegments(*m)) {
      w.StartObject();
      field(w, "id", s.id);
      w.Key("number");
      w.Uint(s.number);
      w.Key("occurrence");
      w.Uint(s.occurrence);
      w.Key("fields");
      w.StartArray();
      for (const hl7v2::ShownField& f : s.fields) {
        w.StartObject();
        w.Key("n");
        w.Uint(f.number);
        field(w, "value", f.value);
        if (f.masked) w.Key("masked"), w.Bool(true);
        if (f.truncated) w.Key("truncated"), w.Bool(true);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
  }
  w.EndArray();
}

void entry(Writer& w, const store::QuarantineEntry& e, bool withSize) {
  w.StartObject();
  field(w, "id", e.id);
  field(w, "status", e.status);
  field(w, "received", e.received);
  field(w, "updated", e.updated);
  w.Key("attempts");
  w.Int(e.attempts);
  field(w, "peer", e.peer);
  field(w, "sendingApplication", e.senderApplication);
  field(w, "sendingFacility", e.senderFacility);
  field(w, "controlId", e.controlId);
  field(w, "messageType", e.messageType);
  field(w, "ack", e.ackCode);
  w.Key("errorCode");
  w.Int(e.errorCode);
  field(w, "location", e.location);
  field(w, "reason", e.reason);
  if (withSize) {
    w.Key("bytes");
    w.Uint64(e.raw.size());
    segments(w, e.raw);
  }
  w.EndObject();
}

std::string entryJson(const store::QuarantineEntry& e) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  entry(w, e, true);
  return buf.GetString();
}

void answer(HttpResponse& r, int status, const std::string& body) {
  r.status = status;
  r.contentType = "application/json";
  r.body = body;
}

// An OperationOutcome with one issue whose code follows from the status.
void error(HttpResponse& r, int status, std::string message, std::string location = {}) {
  core::IssueType code = core::IssueType::Exception;
  switch (status) {
    case 400: code = core::IssueType::Value; break;
    case 403: code = core::IssueType::Forbidden; break;
    case 404: code = core::IssueType::NotFound; break;
    case 405: code = core::IssueType::NotSupported; break;
    case 409: code = core::IssueType::Conflict; break;
    case 413: code = core::IssueType::TooLong; break;
    default: break;
  }
  failResponse(r, status, code, std::move(message), std::move(location));
}

// A whole number from a query parameter, or `fallback`; false when it is not one.
bool number(const store::QueryParams& params, std::string_view name, size_t max, size_t& out) {
  for (const auto& [n, v] : params) {
    if (n != name) continue;
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    out = std::min<size_t>(std::stoul(v), max);
  }
  return true;
}

}  // namespace

bool QuarantineView::handles(const HttpRequest& request) const {
  const std::string_view p = request.path;
  return p.rfind(kPath, 0) == 0 && (p.size() == kPath.size() || p[kPath.size()] == '/');
}

void QuarantineView::handle(const HttpRequest& request, HttpResponse& response) const {
  std::string_view rest = std::string_view(request.path).substr(kPath.size());
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const size_t op = rest.find("/$");
  const bool operation = op != std::string_view::npos;
  const char permission = operation ? 'u' : 'r';
  if (request.method != (operation ? "POST" : "GET")) {
    response.setHeader("Allow", operation ? "POST" : "GET");
    return error(response, 405,
                 operation ? "$retry and $discard take POST"
                           : "read the quarantine with GET; retry and discard with POST "
                             "/mllp/quarantine/{id}/$retry or /$discard");
  }
  if (request.principal != nullptr && !request.principal->scopes.allows("Quarantine", permission)) {
    return error(response, 403,
                 std::string("the token's scopes do not allow ") +
                     (operation ? "retrying or discarding quarantined messages (needs "
                                  "system/Quarantine.u or system/*.u)"
                                : "reading the quarantine (needs system/Quarantine.r or "
                                  "system/*.r)"));
  }
  if (operation) return decide(request, rest.substr(0, op), rest.substr(op + 2), response);
  if (rest.empty()) return list(request, response);
  store::QuarantineEntry e;
  const store::Status st = store_.readQuarantine(rest, e);
  if (st.code() == store::Code::NotFound) return error(response, 404, st.message());
  if (!st) return error(response, 500, st.message());
  answer(response, 200, entryJson(e));
}

void QuarantineView::decide(const HttpRequest& request, std::string_view id,
                            std::string_view operation, HttpResponse& response) const {
  if (operation != "retry" && operation != "discard") {
    return error(response, 404, "unknown operation (retry, discard)");
  }
  constexpr size_t kMaxBody = 8192;
  if (request.body.size() > kMaxBody) return error(response, 413, "the body is over 8 kB");
  pipeline::Options options;
  options.actor = {request.principal != nullptr ? request.principal->clientId : "",
                   request.remoteAddress};
  if (!request.body.empty()) {
    rapidjson::Document body;
    body.Parse(request.body.data(), request.body.size());
    if (body.HasParseError() || !body.IsObject()) {
      return error(response, 400, "the body must be a JSON object: {\"reason\": \"...\"}");
    }
    for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
      if (std::string_view(it->name.GetString()) != "reason" || !it->value.IsString()) {
        return error(response, 400, "the body takes only \"reason\", a string",
                     it->name.GetString());
      }
      options.reason.assign(it->value.GetString(), it->value.GetStringLength());
    }
  }
  const pipeline::Result r = operation == "retry" ? pipeline_.retryQuarantined(id, options)
                                                  : pipeline_.discardQuarantined(id, options);
  std::string message;
  for (const core::Issue& i : r.issues.items()) {
    if (i.severity != core::Severity::Error && i.severity != core::Severity::Fatal) continue;
    message +=
        (message.empty() ? "" : "; ") + (i.location.empty() ? "" : i.location + ": ") + i.message;
  }
  if (r.status == pipeline::Status::Internal) return error(response, 500, message);
  // Refused before the entry changed: no such entry, not open, no reason.
  if (!r.ok() && !r.v2) return failResponse(response, statusOf(r.status), r.issues);
  store::QuarantineEntry e;
  if (const store::Status st = store_.readQuarantine(id, e); !st) {
    return error(response, 500, st.message());
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  field(w, "outcome", r.ok() ? (operation == "retry" ? "accepted" : "discarded") : "still-fails");
  if (!r.ok()) field(w, "error", message);
  w.Key("entry");
  entry(w, e, true);
  w.EndObject();
  answer(response, r.ok() ? 200 : 422, buf.GetString());
}

void QuarantineView::list(const HttpRequest& request, HttpResponse& response) const {
  const store::QueryParams params = store::parseQueryString(request.query);
  store::QuarantineQuery q;
  for (const auto& [n, v] : params) {
    if (n == "status") {
      if (v != "open" && v != "retried" && v != "discarded" && v != "all") {
        return error(response, 400, "status must be open, retried, discarded or all", "status");
      }
      q.status = v == "all" ? "" : v;
    } else if (n != "_count" && n != "_offset") {
      return error(response, 400, "unknown parameter '" + n + "' (status, _count, _offset)", n);
    }
  }
  if (!number(params, "_count", 1000, q.limit)) {
    return error(response, 400, "_count takes a whole number", "_count");
  }
  if (!number(params, "_offset", 1u << 30, q.offset)) {
    return error(response, 400, "_offset takes a whole number", "_offset");
  }
  std::vector<store::QuarantineEntry> entries;
  int64_t total = 0;
  if (const store::Status st = store_.listQuarantine(q, entries, total); !st) {
    return error(response, 500, st.message());
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("total");
  w.Int64(total);
  w.Key("entries");
  w.StartArray();
  for (const store::QuarantineEntry& e : entries) entry(w, e, false);
  w.EndArray();
  w.EndObject();
  answer(response, 200, buf.GetString());
}

}  // namespace trialbridge::service
