#pragma once
// The `registries` section of the service configuration (docs/configuration.md): the targets a
// study is published to. Each target has a name, an outbox topic of its own ("registry:NAME",
// added to the store's outbox topics for its resource types, so that a change of one of them and
// the intent to publish it are committed together), and is either
//   - a FHIR registry server (kind "fhir"): conditional updates by identifier, If-Match,
//     retries, a rate limit, TLS and a bearer token (publisher.h, registry_client.h), or
//   - a folder (kind "file") where each change of a study's registry record becomes a file in a
//     registry format (ctgov-json, prs-xml, who-json, who-xml) for upload.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/issue.h"

namespace trialbridge::core {
class JsonObjectReader;
}  // namespace trialbridge::core

namespace trialbridge::service {

enum class TargetKind : uint8_t { Fhir, File };

struct RegistryTarget {
  std::string name;  // [A-Za-z0-9_-], 1 to 64 characters
  TargetKind kind = TargetKind::Fhir;
  // The resource types whose changes this target publishes. FHIR: each resource on its own;
  // file: a change of any of them remakes the records of the studies it belongs to.
  std::vector<std::string> types;
  // How often `trialbridge serve` runs the target (0: only `trialbridge registry publish`).
  int intervalSeconds = 60;
  size_t batch = 50;  // outbox rows claimed at a time

  // kind "fhir"
  std::string url;        // the registry's FHIR base, http:// or https://
  std::string caFile;     // PEM file of the CAs that may sign the registry's certificate; "":
                          // the system's (OpenSSL's default paths). The peer is always verified.
  std::string tokenFile;  // a file holding the bearer token (read at each run); "": none
  int requestsPerMinute = 300;     // the rate limit, a token bucket
  int burst = 10;                  // requests that may go at once
  int timeoutSeconds = 30;         // per request (connect, send, receive)
  int maxAttempts = 5;             // tries per resource in one run before it waits in the outbox
  int64_t retryBaseMillis = 500;   // backoff: base * 2^(attempt-1), full jitter,
  int64_t retryMaxMillis = 60000;  // at most this (also the longest Retry-After waited in-run)
  int64_t failureDelayMillis = 3600000;  // a record the registry refuses waits this long
  // The identifier system of resources that have no identifier of their own (they are given
  // {system, value: "Type/id"} so that a conditional update can find them).
  std::string sourceSystem = "http://trialbridge.org/fhir/sid/resource";

  // kind "file"
  std::string directory;
  std::string format = "ctgov-json";     // ctgov-json | prs-xml | who-json | who-xml
  std::string prsOrg;                    // prs-xml: the PRS organization (login) name
  std::vector<std::string> prsSections;  // prs-xml: a partial upload of these sections
};

// The types a target publishes when its configuration names none: the study and what its
// registry record is made of (what `trialbridge map` writes for a trial).
const std::vector<std::string>& defaultPublishedTypes();
std::vector<std::string> registryFormats();  // ctgov-json, prs-xml, who-json, who-xml

// The outbox topic of a target: "registry:NAME".
std::string publishTopic(const std::string& target);

// Adds each target's topic to the outbox topics of its types.
void addPublishTopics(const std::vector<RegistryTarget>& targets,
                      std::map<std::string, std::vector<std::string>>& outboxTopics);

// Reads the `registries` section ({"NAME": {...}, ...}, one section per target: a target whose
// name is an identifier also takes its settings from environment variables, as every section
// does) into `out`, reporting bad members at their path or variable.
void readRegistries(core::JsonObjectReader& section, std::vector<RegistryTarget>& out);

}  // namespace trialbridge::service
