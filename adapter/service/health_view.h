#pragma once
// The probes of the service, on the HTTP server beside the FHIR API and without authentication
// (docs/rest.md, docs/deploy.md):
//   GET /healthz   200 {"status":"alive"}: the process answers. No database work, so a slow or
//                  lost database never gets a live process restarted.
//   GET /readyz    200 when the service should get traffic: the database answers, its schema is
//                  the one this program migrated to, and the MLLP listener listens when it is
//                  configured; else 503. The body names each check and what is wrong:
//                  {"status":"ready"|"not ready","checks":{"database":{"ok":true,...},...}}
// Other methods get 405. Neither body holds personal data.
#include <atomic>
#include <functional>
#include <string>

#include "service/http_types.h"

namespace trialbridge::store {
class Store;
}

namespace trialbridge::service {

class HealthView final : public HttpView {
 public:
  static constexpr std::string_view kLive = "/healthz";
  static constexpr std::string_view kReady = "/readyz";
  // `mllp`: null when no listener is configured; otherwise says whether it listens (it may be
  // set before the listener starts: until then it answers false).
  HealthView(store::Store& store, std::function<bool()> mllp)
      : store_(store), mllp_(std::move(mllp)) {}

  bool handles(const HttpRequest& request) const override;
  bool open() const override { return true; }
  void handle(const HttpRequest& request, HttpResponse& response) const override;

  // From now on /readyz answers 503 "stopping" (graceful stop: the load balancer takes the node
  // out while it finishes what it has).
  void setStopping() { stopping_ = true; }

 private:
  std::string readiness(bool& ready) const;

  store::Store& store_;
  std::function<bool()> mllp_;
  std::atomic<bool> stopping_{false};
};

}  // namespace trialbridge::service
