#include "service/service.h"

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "mapping/oru_mapping.h"
#include "mapping/v2_terminology.h"
#include "mapping/v2_time.h"
#include "pipeline/v2_study.h"
#include "service/loaded_study.h"
#include "store/search_parameters.h"
#include "validation/validator.h"

namespace trialbridge::service {

core::Result<std::unique_ptr<Service>> Service::start(const ServiceConfig& config) {
  using SR = core::Result<std::unique_ptr<Service>>;
  auto opened = open(config);
  if (!opened) return opened;
  std::unique_ptr<Service> s = std::move(opened.value());
  s->quarantine_ = std::make_unique<QuarantineView>(*s->store_, *s->pipeline_);
  std::function<bool()> mllpListening;
  if (config.mllp.enabled) {
    mllpListening = [svc = s.get()] { return svc->mllpListening_.load(); };
  }
  s->health_ = std::make_unique<HealthView>(*s->store_, std::move(mllpListening));
  s->metricsView_ = std::make_unique<MetricsView>(*s->metrics_);
  auto http = HttpService::start(*s->api_, s->verifier_.get(), config.http,
                                 {s->health_.get(), s->metricsView_.get(), s->quarantine_.get()},
                                 s->metrics_.get());
  if (!http) return SR::error(http.message());
  s->http_ = std::move(http.value());
  if (config.mllp.enabled) {
    auto mllp = MllpListener::start(*s->pipeline_, config.mllp, s->metrics_.get());
    if (!mllp) return SR::error(mllp.message());
    s->mllp_ = std::move(mllp.value());
    s->mllpListening_ = true;
  }
  s->publishing_->startSchedule();
  return SR(std::move(s));
}

core::Result<std::unique_ptr<Service>> Service::open(const ServiceConfig& config) {
  using SR = core::Result<std::unique_ptr<Service>>;
  std::unique_ptr<Service> s(new Service());
  s->config_ = config;
  s->context_ = conformance::Context::withCore();
  ApiOptions api = config.api;
  if (config.projectProfiles) s->context_->addPackage(conformance::profilesPackage());
  for (const std::string& p : config.packages) {
    if (auto st = s->context_->loadPackage(p); !st) {
      return SR::error("cannot load the FHIR package '" + p + "': " + st.message());
    }
  }
  // A required profile that is not loaded would make every write of its type fail.
  for (auto it = api.requiredProfiles.begin(); it != api.requiredProfiles.end();) {
    if (s->context_->structureDefinition(it->second) != nullptr) {
      ++it;
      continue;
    }
    if (config.projectProfiles || !config.defaultProfiles) {
      return SR::error("the profile required for " + it->first + " (" + it->second +
                       ") is not in the loaded packages");
    }
    it = api.requiredProfiles.erase(it);
  }
  s->registry_ = std::make_unique<store::SearchParameterRegistry>(*s->context_);
  store::StoreOptions so = config.store;
  so.registry = s->registry_.get();
  s->metrics_ = std::make_unique<core::MetricsRegistry>();
  so.commitSizes = &s->metrics_
                        ->histogram("trialbridge_store_commit_units",
                                    "units of work per database commit (group commit: its count is "
                                    "the commits, its sum the units)",
                                    core::sizeBuckets())
                        .histogram();
  registerProcessMetrics(*s->metrics_);
  addPublishTopics(config.registries, so.outboxTopics);
  auto st = store::openStore(so);
  if (!st) return SR::error(st.message());
  s->store_ = std::move(st.value());
  registerStoreMetrics(*s->metrics_, *s->store_);
  if (config.api.validateWrites) {
    s->validator_ = std::make_unique<validation::Validator>(*s->context_);
  }
  s->audit_ = std::make_unique<AuditLog>(*s->store_, config.audit);
  s->metrics_->callback("trialbridge_audit_records_queued",
                        "audit records waiting to be written (audit back-pressure past 50,000)",
                        core::MetricType::Gauge,
                        [log = s->audit_.get()] { return static_cast<double>(log->queued()); });
  pipeline::Config pc;
  pc.requiredProfiles = api.requiredProfiles;
  pc.searchLimits = api.searchLimits;
  pc.maxBundleEntries = api.maxBundleEntries;
  pc.audit = &s->audit_->policy();
  pc.recordFailure = [log = s->audit_.get()](AuditRecord r) { log->record(std::move(r)); };
  // The v2 mapping's site maps and zone (mllp.maps, mllp.timezone); the site's assigning
  // authorities also give systems to hospital identifiers that come without one ($ingest, MLLP).
  mapping::V2MapOptions v2Options;
  if (!config.mllp.timezone.empty()) {
    v2Options.defaultTimezone = mapping::v2time::zoneSetting(config.mllp.timezone).value_or("");
  }
  if (!config.mllp.maps.empty()) {
    core::Issues issues;
    v2Options.terminology =
        mapping::V2Terminology::withSiteDirectory(config.mllp.maps, *s->context_, issues);
    if (!v2Options.terminology) {
      std::string why;
      for (const core::Issue& i : issues.items()) {
        if (i.severity > core::Severity::Error) continue;
        why += (why.empty() ? "" : "; ") + i.message;
      }
      return SR::error("the v2 maps of 'mllp.maps' (" + config.mllp.maps + "): " + why);
    }
    api.identifierSystems = v2Options.terminology->assigningAuthorities();
  }
  s->v2Mapper_ = std::make_unique<mapping::V2Mapper>(*s->context_, v2Options);
  pc.v2Mapper = s->v2Mapper_.get();
  // Messages over MLLP go through the same study context as $ingest, over the trials loaded
  // when each arrives; the fullUrls of what it writes are under the service's base.
  // A message whose patient is no study subject is counted (its receipt is all it leaves).
  core::Counter& notASubject =
      s->metrics_
          ->counter("trialbridge_v2_not_a_subject_total",
                    "HL7 v2 messages whose patient is not a study subject (receipt only)")
          .counter();
  s->v2Study_ = std::make_unique<pipeline::V2StudyAdapter>(
      [svc = s.get(), systems = api.identifierSystems](core::Issues& issues) {
        pipeline::StudyContextOptions options;
        options.fullUrlBase = svc->baseUrl();
        options.identifierSystems = systems;
        return loadedStudy(*svc->trials_, *svc->store_, svc->store_->types(), std::move(options),
                           issues);
      },
      [&notASubject](const pipeline::StudyOutcome& out) {
        if (out.notSubjects > 0) notASubject.inc();
      });
  pc.v2Study = s->v2Study_.get();
  pc.v2Limits.maxBytes = config.mllp.maxFrameBytes;
  pc.v2Limits.maxSegments = config.mllp.maxSegments;
  s->pipeline_ = std::make_unique<pipeline::Pipeline>(*s->store_, s->validator_.get(), pc);
  api.authentication = config.authEnabled;
  s->api_ = std::make_unique<FhirApi>(*s->pipeline_, s->audit_.get(), api);
  s->api_->setTrials(s->trials_.get());
  if (config.authEnabled) {
    auto v = TokenVerifier::create(config.auth);
    if (!v) return SR::error(v.message());
    s->verifier_ = std::move(v.value());
  }
  auto publishing = Publishing::create(*s->store_, config.registries, config.api.publicBase);
  if (!publishing) return SR::error(publishing.message());
  s->publishing_ = std::move(publishing.value());
  s->publishing_->registerMetrics(*s->metrics_);
  s->api_->addSystemOperation(
      "$registry-status", "ResearchStudy",
      [p = s->publishing_.get()](const store::QueryParams&) -> FhirApi::OperationAnswer {
        return {200, registryStatusParameters(p->status())};
      });
  // The publisher's own dry run of one target (docs/registries.md): nothing is sent or saved.
  s->api_->addSystemOperation(
      "$registry-dry-run", "ResearchStudy",
      [p = s->publishing_.get()](const store::QueryParams& params) -> FhirApi::OperationAnswer {
        std::string name;
        for (const auto& [n, v] : params) {
          if (n != "target") return {400, "unknown parameter '" + n + "' (target=NAME)"};
          name = v;
        }
        if (name.empty()) return {400, "target=NAME is required: a registry target's name"};
        Publisher* publisher = p->find(name);
        if (publisher == nullptr) return {404, "no registry target '" + name + "'"};
        return {200, registryDryRunParameters(publisher->run(true))};
      });
  return SR(std::move(s));
}

Service::~Service() { stop(); }

int Service::port() const { return http_ != nullptr ? http_->port() : 0; }

std::string Service::baseUrl() const {
  if (!config_.api.publicBase.empty()) return config_.api.publicBase;
  std::string host = config_.http.host;
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(config_.http.tls ? "https://" : "http://") + host + ":" +
         std::to_string(port()) + config_.api.basePath;
}

store::Store& Service::store() { return *store_; }
const pipeline::Pipeline& Service::pipeline() const { return *pipeline_; }

TrialLoad Service::loadTrial(const study::Trial& trial, const std::vector<study::Entity>& entities,
                             mapping::MapOptions options) const {
  options.fullUrlBase = baseUrl();
  pipeline::Options write;
  write.actor = {"trialbridge", "local"};
  write.baseUrl = baseUrl();
  write.validation = config_.api.validateWrites ? pipeline::ValidationPolicy::Full
                                                : pipeline::ValidationPolicy::None;
  if (!options.pseudonymizer) {
    auto file = config_.trialSecrets.find(trial.id);
    auto secret = mapping::Pseudonymizer::forTrial(
        trial.id, file == config_.trialSecrets.end() ? std::nullopt
                                                     : std::optional<std::string>(file->second));
    if (!secret) {
      TrialLoad failed;
      failed.status = pipeline::Status::Invalid;
      failed.issues.add(core::Severity::Error, core::IssueType::Security, secret.message());
      return failed;
    }
    options.pseudonymizer = std::move(secret.value());
  }
  TrialLoad load = service::loadTrial(*pipeline_, trial, entities, options, write);
  if (load.ok()) trials_->add(trial, options.pseudonymizer);
  return load;
}
const FhirApi& Service::api() const { return *api_; }
const conformance::Context& Service::context() const { return *context_; }
AuditLog* Service::audit() { return audit_.get(); }

Publishing& Service::publishing() { return *publishing_; }

void Service::drain(std::chrono::steady_clock::time_point deadline) {
  if (health_) health_->setStopping();
  mllpListening_ = false;
  if (http_) http_->drain(deadline);
  if (mllp_) mllp_->stop();  // each connection ends after the message it is processing
}

void Service::stop() {
  if (publishing_) publishing_->stop();
  if (health_) health_->setStopping();
  mllpListening_ = false;
  if (mllp_) mllp_->stop();
  mllp_.reset();
  if (http_) http_->stop();
  http_.reset();
  if (audit_) audit_->flush();
  api_.reset();
  quarantine_.reset();
  health_.reset();
  metricsView_.reset();
  pipeline_.reset();
  audit_.reset();
  publishing_.reset();
  store_.reset();
}

}  // namespace trialbridge::service
