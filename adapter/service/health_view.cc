#include "service/health_view.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "store/store.h"

namespace trialbridge::service {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void check(Writer& w, const char* name, bool ok, const std::string& problem) {
  w.Key(name);
  w.StartObject();
  w.Key("ok");
  w.Bool(ok);
  if (!ok) {
    w.Key("problem");
    w.String(problem.c_str(), static_cast<rapidjson::SizeType>(problem.size()));
  }
  w.EndObject();
}

}  // namespace

bool HealthView::handles(const HttpRequest& request) const {
  return request.path == kLive || request.path == kReady;
}

std::string HealthView::readiness(bool& ready) const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  int version = 0;
  const store::Status db = store_.databaseVersion(version);
  const int expected = store_.schemaVersion();
  const bool mllpOk = !mllp_ || mllp_();
  const bool stopping = stopping_.load();
  ready = db.isOk() && version == expected && mllpOk && !stopping;
  w.StartObject();
  w.Key("status");
  w.String(ready ? "ready" : "not ready");
  w.Key("checks");
  w.StartObject();
  check(w, "database", db.isOk(), "the database does not answer: " + db.message());
  check(w, "migrations", db.isOk() && version == expected,
        db.isOk() ? "the database's schema is version " + std::to_string(version) +
                        ", this program's is " + std::to_string(expected)
                  : "unknown: the database does not answer");
  if (mllp_) check(w, "mllp", mllpOk, "the MLLP listener is not listening");
  check(w, "accepting", !stopping, "the service is stopping");
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

void HealthView::handle(const HttpRequest& request, HttpResponse& response) const {
  response.contentType = "application/json";
  response.setHeader("Cache-Control", "no-store");
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.setHeader("Allow", "GET, HEAD");
    response.body = R"({"status":"error","problem":"the probes answer GET and HEAD only"})";
    return;
  }
  if (request.path == kLive) {
    response.status = 200;
    response.body = R"({"status":"alive"})";
    return;
  }
  bool ready = false;
  response.body = readiness(ready);
  response.status = ready ? 200 : 503;
}

}  // namespace trialbridge::service
