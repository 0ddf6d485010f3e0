#pragma once
// The FHIR service assembled from its configuration: the conformance context (the R4 core and
// the project's profile packages), the store, the validator, the audit log, the API and the HTTP
// server. `trialbridge serve` runs one; tests start one on port 0.
//
// Configuration is a JSON file (docs/configuration.md, deploy/trialbridge.example.json) and
// environment variables over it, one per setting (TRIALBRIDGE_HTTP_PORT...; the rule is in
// core/json_overrides.h). Unknown keys and variables, bad values and missing settings stop
// start-up with one message for each, naming the key or the variable (service/config.cc).
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"
#include "service/audit.h"
#include "service/auth.h"
#include "service/enrolment.h"
#include "service/fhir_api.h"
#include "service/health_view.h"
#include "service/http_server.h"
#include "service/metrics_view.h"
#include "service/mllp_listener.h"
#include "service/publishing.h"
#include "service/quarantine_view.h"
#include "service/registry_config.h"
#include "service/trial_loader.h"
#include "store/store.h"

namespace trialbridge::conformance {
class Context;
}
namespace trialbridge::core {
class JsonOverrides;
}
namespace trialbridge::validation {
class Validator;
}
namespace trialbridge::mapping {
class V2Mapper;
}

namespace trialbridge::service {

struct ServiceConfig {
  HttpServerOptions http;
  ApiOptions api;
  store::StoreOptions store;
  bool authEnabled = false;
  AuthOptions auth;
  AuditOptions audit;
  core::LogOptions log;
  // The HL7 v2 MLLP listener (the "mllp" section; off without it).
  MllpOptions mllp;
  // The project's profiles (fhir-profiles/trialbridge, embedded in the binary) are loaded.
  bool projectProfiles = true;
  // FHIR packages to load besides the R4 core and the project's (folders or .tgz).
  std::vector<std::string> packages;
  // Graceful stop: how long SIGTERM waits for the work in progress (requests, MLLP messages and
  // their commits) before the process exits anyway.
  int shutdownGraceSeconds = 30;
  // Trial definitions to map and load at start (samples/trials/*.json).
  std::vector<std::string> trials;
  // The pseudonymisation secret of each trial (trial id -> file), for subjects loaded at start
  // and enrolled later; without one here the environment's TRIALBRIDGE_SECRET_{TRIAL}.
  std::map<std::string, std::string> trialSecrets;
  // Registry targets (the `registries` section): their outbox topics are added to the store's,
  // and serve publishes to them on their schedule.
  std::vector<RegistryTarget> registries;
  // Where the configuration came from ("" for the defaults), for messages.
  std::string source;
  // The environment variables that set a value, by name.
  std::vector<std::string> environment;
  // requiredProfiles are the defaults (the project's profiles for the trial's types); when the
  // project's profiles are not loaded they are dropped instead of stopping start-up.
  bool defaultProfiles = false;
};

// The environment variables of the configuration start with this prefix; those that start with
// the reserved one are read elsewhere (`trialbridge map`'s TRIALBRIDGE_SECRET_{TRIAL}) and are not
// settings.
inline constexpr std::string_view kEnvironmentPrefix = "TRIALBRIDGE_";
inline constexpr std::string_view kReservedVariablePrefix = "TRIALBRIDGE_SECRET_";

// The defaults: 127.0.0.1:8080, no TLS, no authentication, SQLite trialbridge.db in the working
// directory, writes validated, audit on, logs as text on a terminal and JSON otherwise.
ServiceConfig defaultConfig();
// Reads a JSON configuration file over the defaults, and `overrides` (may be null) over the file.
// The error, when there is one, has one line per problem.
core::Result<ServiceConfig> loadConfig(const std::string& path,
                                       core::JsonOverrides* overrides = nullptr);
// Parses configuration text (for tests); `source` names it in messages.
core::Result<ServiceConfig> parseConfig(std::string_view json, const std::string& source,
                                        core::JsonOverrides* overrides = nullptr);
// The defaults and `overrides`, without a file.
core::Result<ServiceConfig> environmentConfig(core::JsonOverrides& overrides);
// What start-up would refuse in the files the configuration names, one message each: TLS files
// that cannot be read, a JWKS that cannot be used, missing packages or trial files, an SQLite
// folder that cannot be written. It neither binds the port nor connects to the database.
std::vector<std::string> checkConfigFiles(const ServiceConfig& config);

class Service {
 public:
  static core::Result<std::unique_ptr<Service>> start(const ServiceConfig& config);
  // The same without listening (no HTTP, no MLLP): the store and the pipeline for commands
  // (`trialbridge quarantine`).
  static core::Result<std::unique_ptr<Service>> open(const ServiceConfig& config);
  ~Service();

  int port() const;
  // The MLLP listener, or null when it is off.
  const MllpListener* mllp() const { return mllp_.get(); }
  // "http://127.0.0.1:8080/fhir" (the public base when configured).
  std::string baseUrl() const;
  store::Store& store();
  // The one write path, for every way in.
  const pipeline::Pipeline& pipeline() const;
  const FhirApi& api() const;
  // Maps a trial (and its entities) and stores it through the pipeline as one transaction,
  // written by "trialbridge" from "local"; the fullUrls are under baseUrl(). Once stored, the
  // trial's subjects can be enrolled (POST ResearchSubject/$enrol) with its secret: the
  // options' pseudonymizer, else the configuration's trialSecrets, else the environment's
  // TRIALBRIDGE_SECRET_{TRIAL}; a secret that cannot be read fails the load (Invalid).
  TrialLoad loadTrial(const study::Trial& trial, const std::vector<study::Entity>& entities,
                      mapping::MapOptions options = {}) const;
  // The trials loaded so far.
  const TrialCatalog& trials() const { return *trials_; }
  const conformance::Context& context() const;
  AuditLog* audit();
  // The service's metrics (GET /metrics), the registry publishers' among them (outbox backlog
  // and publish failures per target).
  core::MetricsRegistry& metrics() { return *metrics_; }
  // The registry publishers (one per configured target).
  Publishing& publishing();
  // Things start() wants said (a default package not found...).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Graceful stop, first step: /readyz answers 503, new HTTP requests get 503, the MLLP
  // listener stops accepting and closes each connection after its current ACK; waits for the
  // work in progress until `deadline`. stop() does the rest.
  void drain(std::chrono::steady_clock::time_point deadline);
  // Stops the registry publishers, the MLLP listener and the HTTP server, then writes what the
  // audit log holds, then closes the store.
  void stop();

 private:
  Service() = default;
  ServiceConfig config_;
  std::vector<std::string> warnings_;
  // First, so that it goes last: the store, the listeners and the views record into it.
  std::unique_ptr<core::MetricsRegistry> metrics_;
  std::unique_ptr<conformance::Context> context_;
  std::unique_ptr<store::SearchParameterRegistry> registry_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<validation::Validator> validator_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<mapping::V2Mapper> v2Mapper_;
  // The study context of HL7 v2 messages (pipeline::Config::v2Study), over trials_.
  std::unique_ptr<pipeline::V2StudyContext> v2Study_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<TrialCatalog> trials_ = std::make_unique<TrialCatalog>();
  std::unique_ptr<FhirApi> api_;
  std::unique_ptr<QuarantineView> quarantine_;
  std::unique_ptr<HealthView> health_;
  std::unique_ptr<MetricsView> metricsView_;
  std::atomic<bool> mllpListening_{false};  // what /readyz says of the listener
  std::unique_ptr<MllpListener> mllp_;
  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<HttpService> http_;
  std::unique_ptr<Publishing> publishing_;
};

}  // namespace trialbridge::service
