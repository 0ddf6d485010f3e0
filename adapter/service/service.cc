#include "service/service.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "conformance/context.h"
#include "mapping/profiles_package.h"
#include "store/search_parameters.h"
#include "validation/validator.h"

namespace trialbridge::service {

namespace {

using R = core::Result<ServiceConfig>;

// Reads an object's members with type checks, refusing unknown keys.
class Section {
 public:
  Section(const rapidjson::Value& v, std::string path, std::string& error)
      : v_(v), path_(std::move(path)), error_(error) {
    if (!v_.IsObject()) fail("must be an object");
  }
  bool ok() const { return error_.empty(); }

  void str(const char* key, std::string& out) {
    if (const auto* m = member(key)) {
      if (m->IsString()) {
        out.assign(m->GetString(), m->GetStringLength());
      } else {
        fail(key, "must be a string");
      }
    }
  }
  template <typename T>
  void integer(const char* key, T& out, int64_t min, int64_t max) {
    if (const auto* m = member(key)) {
      if (!m->IsInt64() || m->GetInt64() < min || m->GetInt64() > max) {
        fail(key,
             "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      } else {
        out = static_cast<T>(m->GetInt64());
      }
    }
  }
  void boolean(const char* key, bool& out) {
    if (const auto* m = member(key)) {
      if (m->IsBool()) {
        out = m->GetBool();
      } else {
        fail(key, "must be true or false");
      }
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
    if (const auto* m = member(key)) {
      if (!m->IsArray()) return fail(key, "must be an array of strings");
      out.clear();
      for (const auto& s : m->GetArray()) {
        if (!s.IsString()) return fail(key, "must be an array of strings");
        out.emplace_back(s.GetString(), s.GetStringLength());
      }
    }
  }
  void stringMap(const char* key, std::map<std::string, std::string>& out) {
    if (const auto* m = member(key)) {
      if (!m->IsObject()) return fail(key, "must be an object of strings");
      out.clear();
      for (const auto& kv : m->GetObject()) {
        if (!kv.value.IsString()) return fail(key, "must be an object of strings");
        out[kv.name.GetString()] = kv.value.GetString();
      }
    }
  }
  void listMap(const char* key, std::map<std::string, std::vector<std::string>>& out) {
    if (const auto* m = member(key)) {
      if (!m->IsObject()) return fail(key, "must be an object of string arrays");
      out.clear();
      for (const auto& kv : m->GetObject()) {
        if (!kv.value.IsArray()) return fail(key, "must be an object of string arrays");
        auto& list = out[kv.name.GetString()];
        for (const auto& s : kv.value.GetArray()) {
          if (!s.IsString()) return fail(key, "must be an object of string arrays");
          list.emplace_back(s.GetString());
        }
      }
    }
  }
  const rapidjson::Value* section(const char* key) { return member(key); }
  // Call last: names the first key nobody asked for.
  void noOthers() {
    if (!ok() || !v_.IsObject()) return;
    for (const auto& kv : v_.GetObject()) {
      if (known_.count(kv.name.GetString()) == 0) {
        fail(kv.name.GetString(), "is not a known setting");
        return;
      }
    }
  }
  void fail(const char* key, const std::string& what) {
    if (error_.empty()) error_ = "'" + path_ + (path_.empty() ? "" : ".") + key + "' " + what;
  }

 private:
  void fail(const std::string& what) {
    if (error_.empty()) error_ = "'" + path_ + "' " + what;
  }
  const rapidjson::Value* member(const char* key) {
    known_.insert(key);
    if (!v_.IsObject()) return nullptr;
    auto it = v_.FindMember(key);
    return it == v_.MemberEnd() ? nullptr : &it->value;
  }
  const rapidjson::Value& v_;
  std::string path_;
  std::string& error_;
  std::set<std::string> known_;
};

}  // namespace

ServiceConfig defaultConfig() {
  ServiceConfig c;
  c.store.backend = "sqlite";
  c.store.database = "trialbridge.db";
  // The trial's resource types are validated against the project's profiles (mapping/profiles.h;
  // the package is embedded in the binary).
  constexpr std::string_view kProfiles = "http://trialbridge.org/fhir/StructureDefinition/";
  c.api.requiredProfiles = {
      {"ResearchStudy", std::string(kProfiles) + "tb-research-study"},
      {"ResearchSubject", std::string(kProfiles) + "tb-research-subject"},
      {"Observation", std::string(kProfiles) + "tb-observation"},
      {"AdverseEvent", std::string(kProfiles) + "tb-adverse-event"},
  };
  c.defaultProfiles = true;
  return c;
}

R parseConfig(std::string_view json, const std::string& source) {
  ServiceConfig c = defaultConfig();
  c.source = source;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    return R::error(source + ": not JSON (" + rapidjson::GetParseError_En(d.GetParseError()) +
                    " at byte " + std::to_string(d.GetErrorOffset()) + ")");
  }
  std::string error;
  Section top(d, "", error);
  if (const auto* v = top.section("http")) {
    Section s(*v, "http", error);
    s.str("host", c.http.host);
    s.integer("port", c.http.port, 0, 65535);
    s.integer("threads", c.http.threads, 1, 4096);
    s.integer("maxQueued", c.http.maxQueued, 1, 1 << 20);
    s.integer("keepAliveSeconds", c.http.keepAliveSeconds, 1, 3600);
    s.boolean("accessLog", c.http.accessLog);
    s.str("publicBaseUrl", c.api.publicBase);
    s.noOthers();
  }
  if (const auto* v = top.section("tls")) {
    Section s(*v, "tls", error);
    c.http.tls = true;
    s.boolean("enabled", c.http.tls);
    s.str("certificate", c.http.certificateFile);
    s.str("privateKey", c.http.privateKeyFile);
    s.noOthers();
    if (error.empty() && c.http.tls &&
        (c.http.certificateFile.empty() || c.http.privateKeyFile.empty())) {
      error = "'tls' needs both 'certificate' and 'privateKey' (PEM files)";
    }
  }
  if (const auto* v = top.section("auth")) {
    Section s(*v, "auth", error);
    c.authEnabled = true;
    s.boolean("enabled", c.authEnabled);
    s.str("jwks", c.auth.jwksFile);
    s.str("issuer", c.auth.issuer);
    s.str("audience", c.auth.audience);
    s.integer("leewaySeconds", c.auth.leewaySeconds, 0, 3600);
    s.noOthers();
    if (error.empty() && c.authEnabled && c.auth.jwksFile.empty()) {
      error = "'auth' needs 'jwks' (the JWKS file with the token signing keys)";
    }
  }
  if (const auto* v = top.section("store")) {
    Section s(*v, "store", error);
    s.str("backend", c.store.backend);
    s.str("database", c.store.database);
    s.integer("readConnections", c.store.readConnections, 1, 256);
    s.integer("maxGroup", c.store.maxGroup, 1, 100000);
    s.integer("writers", c.store.writers, 0, 64);
    bool cache = c.store.backend == "sqlite";
    bool hasCache = false;
    if (v->IsObject() && v->HasMember("cache")) hasCache = true;
    s.boolean("cache", cache);
    if (hasCache) c.store.cache = cache;
    s.integer("cacheEntries", c.store.cacheEntries, 0, 100000000);
    s.listMap("outbox", c.store.outboxTopics);
    s.noOthers();
    if (error.empty() && c.store.backend != "sqlite" && c.store.backend != "postgresql") {
      error = "'store.backend' must be \"sqlite\" or \"postgresql\"";
    }
  }
  if (const auto* v = top.section("fhir")) {
    Section s(*v, "fhir", error);
    s.str("basePath", c.api.basePath);
    s.integer("maxBodyBytes", c.api.maxBodyBytes, 1024, int64_t{1} << 32);
    s.integer("maxBundleEntries", c.api.maxBundleEntries, 1, 100000);
    s.integer("defaultCount", c.api.searchLimits.defaultCount, 1, 10000);
    s.integer("maxCount", c.api.searchLimits.maxCount, 1, 10000);
    s.boolean("validateWrites", c.api.validateWrites);
    if (v->IsObject() && v->HasMember("requiredProfiles")) c.defaultProfiles = false;
    s.boolean("projectProfiles", c.projectProfiles);
    s.strings("packages", c.packages);
    s.stringMap("requiredProfiles", c.api.requiredProfiles);
    s.noOthers();
    if (error.empty() &&
        (c.api.basePath.empty() || c.api.basePath[0] != '/' || c.api.basePath.back() == '/')) {
      error = "'fhir.basePath' must start with '/' and not end with one (e.g. \"/fhir\")";
    }
  }
  if (const auto* v = top.section("audit")) {
    Section s(*v, "audit", error);
    s.boolean("enabled", c.audit.enabled);
    s.strings("extraTypes", c.audit.extraTypes);
    s.integer("flushMillis", c.audit.flushMillis, 1, 60000);
    s.noOthers();
  }
  top.strings("trials", c.trials);
  top.noOthers();
  if (!error.empty()) return R::error(source + ": " + error);
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
  if (config.projectProfiles) s->context_->addPackage(mapping::profilesPackage());
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
  api.authentication = config.authEnabled;
  s->api_ = std::make_unique<FhirApi>(*s->store_, s->validator_.get(), s->audit_.get(), api);
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
const FhirApi& Service::api() const { return *api_; }
const conformance::Context& Service::context() const { return *context_; }
AuditLog* Service::audit() { return audit_.get(); }

void Service::stop() {
  if (http_) http_->stop();
  http_.reset();
  if (audit_) audit_->flush();
  audit_.reset();
  api_.reset();
  store_.reset();
}

}  // namespace trialbridge::service
