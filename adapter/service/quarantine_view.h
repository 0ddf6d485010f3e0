#pragma once
// The REST view of the HL7 v2 quarantine (docs/rest.md, docs/mllp.md), beside the FHIR API on
// the same server, as application/json:
//   GET  /mllp/quarantine[?status=open|retried|discarded&_count=N&_offset=N]   the entries
//   GET  /mllp/quarantine/{id}                    one entry, with its segments (pseudonymous)
//   POST /mllp/quarantine/{id}/$retry             runs the message through the pipeline again
//   POST /mllp/quarantine/{id}/$discard           closes it; body {"reason": "..."} (required)
// An entry says who sent what and why it is kept (sender, control id, type, ACK code, table 0357
// code, location, reason, status, attempts, times). The message's bytes are never sent: one
// entry's segments and fields come with every identifying field masked by the server
// (hl7v2/masking.h); `trialbridge quarantine show` prints the bytes to whoever can read the store.
// Retry and discard are the pipeline's (the same as `trialbridge quarantine retry|discard`), with
// the token's client as the actor and the reason in their audit row. With authentication on,
// reading needs system/Quarantine.r, retry and discard system/Quarantine.u (or system/*.r, .u).
#include "service/http_types.h"

namespace trialbridge::store {
class Store;
}
namespace trialbridge::pipeline {
class Pipeline;
}

namespace trialbridge::service {

class QuarantineView final : public HttpView {
 public:
  static constexpr std::string_view kPath = "/mllp/quarantine";
  QuarantineView(store::Store& store, const pipeline::Pipeline& pipeline)
      : store_(store), pipeline_(pipeline) {}
  // Whether the request is for this view (its path is kPath or below it).
  bool handles(const HttpRequest& request) const override;
  void handle(const HttpRequest& request, HttpResponse& response) const override;

 private:
  void decide(const HttpRequest& request, std::string_view id, std::string_view operation,
              HttpResponse& response) const;
  void list(const HttpRequest& request, HttpResponse& response) const;

  store::Store& store_;
  const pipeline::Pipeline& pipeline_;
};

}  // namespace trialbridge::service
