#pragma once
// The read-only REST view of the HL7 v2 quarantine (docs/rest.md, docs/mllp.md), beside the FHIR
// API on the same server:
//   GET /mllp/quarantine[?status=open|retried|discarded&_count=N&_offset=N]   the entries
//   GET /mllp/quarantine/{id}                                              one entry
// as application/json. An entry says who sent what and why it is kept (sender, control id,
// type, ACK code, table 0357 code, location, reason, status, attempts, times), never the
// message's bytes, which hold patients' names and identifiers: `trialbridge quarantine show`
// prints them to whoever can read the store. With authentication on, the token needs the scope
// system/Quarantine.r (or system/*.r).
#include "service/http_types.h"

namespace trialbridge::store {
class Store;
}

namespace trialbridge::service {

class QuarantineView final : public HttpView {
 public:
  static constexpr std::string_view kPath = "/mllp/quarantine";
  explicit QuarantineView(store::Store& store) : store_(store) {}
  // Whether the request is for this view (its path is kPath or below it).
  bool handles(const HttpRequest& request) const override;
  void handle(const HttpRequest& request, HttpResponse& response) const override;

 private:
  store::Store& store_;
};

}  // namespace trialbridge::service
