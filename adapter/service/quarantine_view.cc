#include "service/quarantine_view.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "service/auth.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::service {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
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
  }
  w.EndObject();
}

void answer(HttpResponse& r, int status, const std::string& body) {
  r.status = status;
  r.contentType = "application/json";
  r.body = body;
}

void error(HttpResponse& r, int status, const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  field(w, "error", message);
  w.EndObject();
  answer(r, status, buf.GetString());
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
  if (request.method != "GET") {
    response.setHeader("Allow", "GET");
    return error(response, 405, "the quarantine view is read-only: use `trialbridge quarantine`");
  }
  if (request.principal != nullptr && !request.principal->scopes.allows("Quarantine", 'r')) {
    return error(response, 403,
                 "the token's scopes do not allow reading the quarantine "
                 "(needs system/Quarantine.r or system/*.r)");
  }
  std::string_view rest = std::string_view(request.path).substr(kPath.size());
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (!rest.empty()) {
    store::QuarantineEntry e;
    const store::Status st = store_.readQuarantine(rest, e);
    if (st.code() == store::Code::NotFound) return error(response, 404, st.message());
    if (!st) return error(response, 500, st.message());
    rapidjson::StringBuffer buf;
    Writer w(buf);
    entry(w, e, true);
    return answer(response, 200, buf.GetString());
  }
  const store::QueryParams params = store::parseQueryString(request.query);
  store::QuarantineQuery q;
  for (const auto& [n, v] : params) {
    if (n == "status") {
      if (v != "open" && v != "retried" && v != "discarded") {
        return error(response, 400, "status must be open, retried or discarded");
      }
      q.status = v;
    } else if (n != "_count" && n != "_offset") {
      return error(response, 400, "unknown parameter '" + n + "' (status, _count, _offset)");
    }
  }
  if (!number(params, "_count", 1000, q.limit) || !number(params, "_offset", 1u << 30, q.offset)) {
    return error(response, 400, "_count and _offset take whole numbers");
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
