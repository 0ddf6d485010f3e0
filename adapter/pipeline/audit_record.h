#pragma once
// Audit records of reads and writes of subject data, as plain values, and the store row each
// becomes: an AuditEvent (type rest, the restful-interaction subtype, the client as agent with
// its network address, the resource reference or the search query as entity; never resource
// content). The pipeline stores a write's row in the write's own unit; transports queue the rows
// of reads, searches and failures (service/audit.h).
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace trialbridge::conformance {
class Context;
}

namespace trialbridge::pipeline {

struct AuditRecord {
  std::string interaction;  // restful-interaction code: read, vread, create, search-type...
  char action = 'R';        // C R U D E
  // AuditEvent.outcome: '0' success, '4' minor failure (the request was refused), '8' serious
  // failure (the server failed).
  char outcome = '0';
  std::string agentId;  // client id; "" is recorded as "anonymous"
  std::string address;  // the client's network address
  std::string entityType;
  std::string entityId;
  int64_t entityVersion = 0;
  std::string query;  // searches: the query string
  // When set, the entity is not a FHIR resource (a quarantined v2 message): entity.what is the
  // identifier entityId in this system, and the row's entity (for `AuditEvent?entity=`) is still
  // entityType/entityId.
  std::string entitySystem;
  // entity.detail: (type, valueString) pairs, e.g. ("reason", why an operator discarded).
  std::vector<std::pair<std::string, std::string>> details;
};

// The row for `record`: a new id, recorded now, the AuditEvent as JSON.
store::AuditEntry auditEntry(const AuditRecord& record);

// Which resource types are audited: those of the R4 Patient compartment (from
// CompartmentDefinition/patient in `context`), plus `extraTypes`; none when disabled.
class AuditPolicy {
 public:
  AuditPolicy() = default;  // audits nothing
  AuditPolicy(const conformance::Context* context, const std::vector<std::string>& extraTypes,
              bool enabled = true);
  bool enabled() const { return enabled_; }
  bool covers(std::string_view type) const { return enabled_ && types_.find(type) != types_.end(); }

 private:
  bool enabled_ = false;
  std::set<std::string, std::less<>> types_;
};

}  // namespace trialbridge::pipeline
