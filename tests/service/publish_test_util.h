#pragma once
// Helpers of the publishing tests: the reference trial loaded into a test service, and a check
// that a registry holds every published resource exactly once, matching what the store holds.
#include <map>
#include <string>
#include <vector>

#include "service/publish_json.h"
#include "test_client.h"

namespace trialbridge::testing {

// Loads samples/trials/NCT06813157.json into the service through the pipeline; "" or why not.
std::string loadReferenceTrial(service::Service& service);

// A client of `base` ("http://127.0.0.1:8080/fhir"): path requests are made under its path.
struct Registry {
  Client client;
  std::string path;  // "/fhir"
};
Registry registryAt(const std::string& base);

struct Mirror {
  std::string problems;                    // "" when the registry mirrors the store
  size_t records = 0;                      // records compared
  std::map<std::string, size_t> versions;  // "Type/localId" -> versions the registry has
};

// For each resource of `types` in the store of `local`: the registry has exactly one record with
// its identifier (or {sourceSystem, "Type/id"}), no other records of the type, and the record's
// content is the resource's (references mapped back to local ids, the added identifier left
// out, id and meta ignored).
Mirror checkMirror(const Client& local, const Registry& registry,
                   const std::vector<std::string>& types,
                   const std::string& sourceSystem = "http://trialbridge.org/fhir/sid/resource");

// A member of the first target's part of a $registry-status Parameters: its value's text
// ("pending" -> "0"), "part" when it has parts of its own, "" when absent.
std::string statusValue(const std::string& parameters, const std::string& name);

// The resources of a search Bundle's entries.
std::vector<service::JsonTree> entries(const std::string& bundleJson);

}  // namespace trialbridge::testing
