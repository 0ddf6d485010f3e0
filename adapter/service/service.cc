#include "service/service.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "conformance/profiles.h"
#include "conformance/profiles_package.h"
#include "core/json_input.h"
#include "store/search_parameters.h"
#include "validation/validator.h"

namespace trialbridge::service {

namespace {

using R = core::Result<ServiceConfig>;

using core::JsonNode;
using Section = core::JsonObjectReader;

// A configuration error as the message says it: for a file that does not parse, the reason with
// its line and column; otherwise "'http.port' must be ..." (the JSON path without "$.").
std::string describe(const core::Issue& issue, bool parsed) {
  if (!parsed) {
    constexpr std::string_view kMalformed = "malformed JSON: ";
    std::string out = issue.message;
    if (out.rfind(kMalformed, 0) == 0) out = "not JSON (" + out.substr(kMalformed.size()) + ")";
    if (issue.line > 0) {
      out += " at line " + std::to_string(issue.line) + ", column " + std::to_string(issue.column);
    }
    return out;
  }
  std::string_view where = issue.location;
  if (where.rfind("$.", 0) == 0) where.remove_prefix(2);
  return "'" + std::string(where) + "' " + issue.message;
}

}  // namespace

ServiceConfig defaultConfig() {
  ServiceConfig c;
  c.store.backend = "sqlite";
  c.store.database = "trialbridge.db";
  // The trial's resource types are validated against the project's profiles (the package is
  // embedded in the binary).
  for (const auto& [type, profile] : conformance::profiles::kTrialRecordProfiles) {
    c.api.requiredProfiles.emplace(type, profile);
  }
  c.defaultProfiles = true;
  return c;
}

R parseConfig(std::string_view json, const std::string& source) {
  ServiceConfig c = defaultConfig();
  c.source = source;
  core::JsonInput input;
  core::Issues issues;
  const auto firstError = [&](bool parsed) {
    for (const core::Issue& i : issues.items()) {
      if (i.severity <= core::Severity::Error) return source + ": " + describe(i, parsed);
    }
    return source + ": not a configuration";
  };
  if (!input.parse(json, issues)) return R::error(firstError(false));
  Section top(input.root(), issues);
  if (const JsonNode v = top.member("http"); v.exists()) {
    Section s(v, issues);
    s.str("host", c.http.host);
    s.integer("port", c.http.port, 0, 65535);
    s.integer("threads", c.http.threads, 1, 4096);
    s.integer("maxQueued", c.http.maxQueued, 1, 1 << 20);
    s.integer("keepAliveSeconds", c.http.keepAliveSeconds, 1, 3600);
    s.boolean("accessLog", c.http.accessLog);
    s.str("publicBaseUrl", c.api.publicBase);
    s.noOthers("setting");
  }
  if (const JsonNode v = top.member("tls"); v.exists()) {
    Section s(v, issues);
    c.http.tls = true;
    s.boolean("enabled", c.http.tls);
    s.str("certificate", c.http.certificateFile);
    s.str("privateKey", c.http.privateKeyFile);
    s.noOthers("setting");
    if (!issues.hasErrors() && c.http.tls &&
        (c.http.certificateFile.empty() || c.http.privateKeyFile.empty())) {
      input.report(issues, v.path(), "needs both 'certificate' and 'privateKey' (PEM files)");
    }
  }
  if (const JsonNode v = top.member("auth"); v.exists()) {
    Section s(v, issues);
    c.authEnabled = true;
    s.boolean("enabled", c.authEnabled);
    s.str("jwks", c.auth.jwksFile);
    s.str("issuer", c.auth.issuer);
    s.str("audience", c.auth.audience);
    s.integer("leewaySeconds", c.auth.leewaySeconds, 0, 3600);
    s.noOthers("setting");
    if (!issues.hasErrors() && c.authEnabled && c.auth.jwksFile.empty()) {
      input.report(issues, v.path(), "needs 'jwks' (the JWKS file with the token signing keys)");
    }
  }
  if (const JsonNode v = top.member("store"); v.exists()) {
    Section s(v, issues);
    s.str("backend", c.store.backend);
    s.str("database", c.store.database);
    s.integer("readConnections", c.store.readConnections, 1, 256);
    s.integer("maxGroup", c.store.maxGroup, 1, 100000);
    s.integer("writers", c.store.writers, 0, 64);
    bool cache = c.store.backend == "sqlite";
    bool hasCache = false;
    if (v.has("cache")) hasCache = true;
    s.boolean("cache", cache);
    if (hasCache) c.store.cache = cache;
    s.integer("cacheEntries", c.store.cacheEntries, 0, 100000000);
    s.listMap("outbox", c.store.outboxTopics);
    s.noOthers("setting");
    if (!issues.hasErrors() && c.store.backend != "sqlite" && c.store.backend != "postgresql") {
      input.report(issues, v.get("backend").path(), "must be \"sqlite\" or \"postgresql\"");
    }
  }
  if (const JsonNode v = top.member("fhir"); v.exists()) {
    Section s(v, issues);
    s.str("basePath", c.api.basePath);
    s.integer("maxBodyBytes", c.api.maxBodyBytes, 1024, int64_t{1} << 32);
    s.integer("maxBundleEntries", c.api.maxBundleEntries, 1, 100000);
    s.integer("defaultCount", c.api.searchLimits.defaultCount, 1, 10000);
    s.integer("maxCount", c.api.searchLimits.maxCount, 1, 10000);
    s.boolean("validateWrites", c.api.validateWrites);
    if (v.has("requiredProfiles")) c.defaultProfiles = false;
    s.boolean("projectProfiles", c.projectProfiles);
    s.strings("packages", c.packages);
    s.stringMap("requiredProfiles", c.api.requiredProfiles);
    s.noOthers("setting");
    if (!issues.hasErrors() &&
        (c.api.basePath.empty() || c.api.basePath[0] != '/' || c.api.basePath.back() == '/')) {
      input.report(issues, v.get("basePath").path(),
                   "must start with '/' and not end with one (e.g. \"/fhir\")");
    }
  }
  if (const JsonNode v = top.member("audit"); v.exists()) {
    Section s(v, issues);
    s.boolean("enabled", c.audit.enabled);
    s.strings("extraTypes", c.audit.extraTypes);
    s.integer("flushMillis", c.audit.flushMillis, 1, 60000);
    s.noOthers("setting");
  }
  top.strings("trials", c.trials);
  top.noOthers("setting");
  if (issues.hasErrors()) return R::error(firstError(true));
  return R(std::move(c));
}

R loadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return R::error("cannot read the configuration file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), path);
}

core::Result<std::unique_ptr<Service>> Service::start(const ServiceConfig& config) {
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
  auto st = store::openStore(so);
  if (!st) return SR::error(st.message());
  s->store_ = std::move(st.value());
  if (config.api.validateWrites) {
    s->validator_ = std::make_unique<validation::Validator>(*s->context_);
  }
  s->audit_ = std::make_unique<AuditLog>(*s->store_, config.audit);
  pipeline::Config pc;
  pc.requiredProfiles = api.requiredProfiles;
  pc.searchLimits = api.searchLimits;
  pc.maxBundleEntries = api.maxBundleEntries;
  pc.audit = &s->audit_->policy();
  pc.recordFailure = [log = s->audit_.get()](AuditRecord r) { log->record(std::move(r)); };
  s->pipeline_ = std::make_unique<pipeline::Pipeline>(*s->store_, s->validator_.get(), pc);
  api.authentication = config.authEnabled;
  s->api_ = std::make_unique<FhirApi>(*s->pipeline_, s->audit_.get(), api);
  if (config.authEnabled) {
    auto v = TokenVerifier::create(config.auth);
    if (!v) return SR::error(v.message());
    s->verifier_ = std::move(v.value());
  }
  auto http = HttpService::start(*s->api_, s->verifier_.get(), config.http);
  if (!http) return SR::error(http.message());
  s->http_ = std::move(http.value());
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
  return service::loadTrial(*pipeline_, trial, entities, options, write);
}
const FhirApi& Service::api() const { return *api_; }
const conformance::Context& Service::context() const { return *context_; }
AuditLog* Service::audit() { return audit_.get(); }

void Service::stop() {
  if (http_) http_->stop();
  http_.reset();
  if (audit_) audit_->flush();
  api_.reset();
  pipeline_.reset();
  audit_.reset();
  store_.reset();
}

}  // namespace trialbridge::service
