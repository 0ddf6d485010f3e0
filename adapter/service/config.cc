// The service's configuration: a JSON file over the defaults, then environment variables over the
// file (core/json_overrides.h), each section read by its own function of the table kSections. A
// new section (`mllp`, `registries`) is one function and one row; its settings get their
// variables, their checks and their "is not a known setting" from the same reader.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/profiles.h"
#include "core/json_input.h"
#include "core/json_overrides.h"
#include "service/service.h"

namespace trialbridge::service {

namespace {

using R = core::Result<ServiceConfig>;
using Section = core::JsonObjectReader;

void readHttp(Section& s, ServiceConfig& c) {
  s.str("host", c.http.host);
  s.integer("port", c.http.port, 0, 65535);
  s.integer("threads", c.http.threads, 1, 4096);
  s.integer("maxQueued", c.http.maxQueued, 1, 1 << 20);
  s.integer("keepAliveSeconds", c.http.keepAliveSeconds, 1, 3600);
  s.boolean("accessLog", c.http.accessLog);
  s.str("publicBaseUrl", c.api.publicBase);
  if (c.http.host.empty()) s.error("host", "must not be empty (\"0.0.0.0\": every interface)");
}

// Present (in the file, or by a variable): TLS on unless `enabled` is false.
void readTls(Section& s, ServiceConfig& c) {
  c.http.tls = s.present();
  s.boolean("enabled", c.http.tls);
  s.str("certificate", c.http.certificateFile);
  s.str("privateKey", c.http.privateKeyFile);
  if (c.http.tls && (c.http.certificateFile.empty() || c.http.privateKeyFile.empty())) {
    s.error("needs both 'certificate' and 'privateKey' (PEM files)");
  }
}

// Present: bearer tokens required unless `enabled` is false.
void readAuth(Section& s, ServiceConfig& c) {
  c.authEnabled = s.present();
  s.boolean("enabled", c.authEnabled);
  s.str("jwks", c.auth.jwksFile);
  s.str("issuer", c.auth.issuer);
  s.str("audience", c.auth.audience);
  s.integer("leewaySeconds", c.auth.leewaySeconds, 0, 3600);
  if (c.authEnabled && c.auth.jwksFile.empty()) {
    s.error("needs 'jwks' (the JWKS file with the token signing keys)");
  }
}

void readStore(Section& s, ServiceConfig& c) {
  s.str("backend", c.store.backend);
  const bool database = s.secret("database", c.store.database);
  s.integer("readConnections", c.store.readConnections, 1, 256);
  s.integer("maxGroup", c.store.maxGroup, 1, 100000);
  s.integer("writers", c.store.writers, 0, 64);
  // The cache's default depends on the backend: only safe for the one writer of an SQLite file.
  bool cache = c.store.backend == "sqlite";
  s.boolean("cache", cache);
  if (s.given("cache")) c.store.cache = cache;
  s.integer("cacheEntries", c.store.cacheEntries, 0, 100000000);
  // Memory in megabytes of 2^20 bytes in the file (docs/configuration.md, "Memory"); StoreOptions
  // has bytes and KiB.
  int64_t cacheMegabytes = static_cast<int64_t>(c.store.cacheBytes >> 20);
  int64_t pageCacheMegabytes = c.store.pageCacheKiB / 1024;
  int64_t heapLimitMegabytes = c.store.sqliteHeapLimitKiB / 1024;
  s.integer("cacheMegabytes", cacheMegabytes, 1, 65536);
  s.integer("pageCacheMegabytes", pageCacheMegabytes, 1, 1024);
  s.integer("sqliteHeapLimitMegabytes", heapLimitMegabytes, 0, 65536);
  c.store.cacheBytes = static_cast<size_t>(cacheMegabytes) << 20;
  c.store.pageCacheKiB = pageCacheMegabytes * 1024;
  c.store.sqliteHeapLimitKiB = heapLimitMegabytes * 1024;
  s.listMap("outbox", c.store.outboxTopics);
  if (c.store.backend != "sqlite" && c.store.backend != "postgresql") {
    s.error("backend", "must be \"sqlite\" or \"postgresql\"");
  } else if (c.store.backend == "postgresql" &&
             (s.given("pageCacheMegabytes") || s.given("sqliteHeapLimitMegabytes"))) {
    s.error(s.given("pageCacheMegabytes") ? "pageCacheMegabytes" : "sqliteHeapLimitMegabytes",
            "applies to the \"sqlite\" backend only (PostgreSQL's memory is the server's)");
  } else if (c.store.backend == "postgresql" && !database) {
    s.error("database",
            "is required with the \"postgresql\" backend (a libpq connection string, "
            "or 'databaseFile' naming a file that holds one)");
  }
}

void readFhir(Section& s, ServiceConfig& c) {
  s.str("basePath", c.api.basePath);
  s.integer("maxBodyBytes", c.api.maxBodyBytes, 1024, int64_t{1} << 32);
  s.integer("maxBundleEntries", c.api.maxBundleEntries, 1, 100000);
  s.integer("defaultCount", c.api.searchLimits.defaultCount, 1, 10000);
  s.integer("maxCount", c.api.searchLimits.maxCount, 1, 10000);
  s.boolean("validateWrites", c.api.validateWrites);
  s.boolean("projectProfiles", c.projectProfiles);
  s.strings("packages", c.packages);
  if (s.given("requiredProfiles")) c.defaultProfiles = false;
  s.stringMap("requiredProfiles", c.api.requiredProfiles);
  if (c.api.basePath.empty() || c.api.basePath[0] != '/' || c.api.basePath.back() == '/') {
    s.error("basePath", "must start with '/' and not end with one (e.g. \"/fhir\")");
  }
}

void readAudit(Section& s, ServiceConfig& c) {
  s.boolean("enabled", c.audit.enabled);
  s.strings("extraTypes", c.audit.extraTypes);
  s.integer("flushMillis", c.audit.flushMillis, 1, 60000);
}

void readLog(Section& s, ServiceConfig& c) {
  std::string format(core::logFormatName(c.log.format));
  std::string level(core::logLevelName(c.log.level));
  s.str("format", format);
  s.str("level", level);
  if (!core::parseLogFormat(format, c.log.format)) {
    s.error("format", "must be \"auto\", \"json\" or \"text\"");
  }
  if (!core::parseLogLevel(level, c.log.level)) {
    s.error("level", "must be \"debug\", \"info\", \"warning\" or \"error\"");
  }
}

void readRegistriesSection(Section& s, ServiceConfig& c) { readRegistries(s, c.registries); }

struct SectionRule {
  std::string_view name;
  void (*read)(Section&, ServiceConfig&);
};

void readMllp(Section& s, ServiceConfig& c) { readMllpConfig(s, c.mllp); }

constexpr SectionRule kSections[] = {
    {"http", readHttp},   {"tls", readTls},   {"auth", readAuth},
    {"store", readStore}, {"fhir", readFhir}, {"audit", readAudit},
    {"log", readLog},     {"mllp", readMllp}, {"registries", readRegistriesSection},
};

// One problem as its line: "c.json: 'http.port' must be ..." for the file (its path without
// "$."), "environment variable TRIALBRIDGE_HTTP_PORT must be ..." for a variable; for a file that
// does not parse, the reason with its line and column.
std::string describe(const core::Issue& issue, const std::string& source, bool parsed) {
  if (!parsed) {
    constexpr std::string_view kMalformed = "malformed JSON: ";
    std::string out = issue.message;
    if (out.rfind(kMalformed, 0) == 0) out = "not JSON (" + out.substr(kMalformed.size()) + ")";
    if (issue.line > 0) {
      out += " at line " + std::to_string(issue.line) + ", column " + std::to_string(issue.column);
    }
    return source + ": " + out;
  }
  std::string_view where = issue.location;
  if (where.rfind('$', 0) != 0)
    return "environment variable " + issue.location + " " + issue.message;
  if (where == "$") return source + ": " + issue.message;
  where.remove_prefix(where.rfind("$.", 0) == 0 ? 2 : 1);
  return source + ": '" + std::string(where) + "' " + issue.message;
}

std::string describeAll(const core::Issues& issues, const std::string& source, bool parsed) {
  std::string out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity > core::Severity::Error) continue;
    if (!out.empty()) out += '\n';
    out += describe(i, source, parsed);
  }
  return out.empty() ? source + ": not a configuration" : out;
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

R parseConfig(std::string_view json, const std::string& source, core::JsonOverrides* overrides) {
  ServiceConfig c = defaultConfig();
  c.source = source;
  core::JsonInput input;
  core::Issues issues;
  if (!input.parse(json, issues)) return R::error(describeAll(issues, source, false));
  Section top(input.root(), issues, overrides);
  for (const SectionRule& rule : kSections) {
    Section s = top.section(rule.name);
    rule.read(s, c);
    s.noOthers("setting");
  }
  top.strings("trials", c.trials);
  top.stringMap("trialSecrets", c.trialSecrets);
  top.integer("shutdownGraceSeconds", c.shutdownGraceSeconds, 1, 3600);
  top.noOthers("setting");
  if (overrides != nullptr) {
    const std::vector<std::string> reserved = {std::string(kReservedVariablePrefix)};
    for (const std::string& name : overrides->unused(reserved)) {
      issues.add(core::Severity::Error, core::IssueType::Structure,
                 "is not a known setting (the variables are named after the settings: "
                 "docs/configuration.md)",
                 name);
    }
    c.environment = overrides->applied();
  }
  if (issues.hasErrors()) return R::error(describeAll(issues, source, true));
  return R(std::move(c));
}

R loadConfig(const std::string& path, core::JsonOverrides* overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return R::error("cannot read the configuration file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), path, overrides);
}

R environmentConfig(core::JsonOverrides& overrides) {
  auto r = parseConfig("{}", "configuration", &overrides);
  if (r) r.value().source.clear();
  return r;
}

std::vector<std::string> checkConfigFiles(const ServiceConfig& c) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  const auto readable = [&](const std::string& file, const std::string& what) {
    std::ifstream in(file, std::ios::binary);
    if (!in) out.push_back("cannot read " + what + " '" + file + "'");
  };
  if (c.http.tls) {
    readable(c.http.certificateFile, "the TLS certificate (tls.certificate)");
    readable(c.http.privateKeyFile, "the TLS private key (tls.privateKey)");
  }
  if (c.authEnabled) {
    if (auto v = TokenVerifier::create(c.auth); !v) out.push_back(v.message());
  }
  for (const std::string& p : c.packages) {
    std::error_code ec;
    if (!fs::exists(p, ec))
      out.push_back("the FHIR package '" + p + "' (fhir.packages) is missing");
  }
  if (c.mllp.enabled && c.mllp.tls) {
    readable(c.mllp.certificateFile, "the MLLP TLS certificate (mllp.tlsCertificate)");
    readable(c.mllp.privateKeyFile, "the MLLP TLS private key (mllp.tlsPrivateKey)");
    if (!c.mllp.clientCaFile.empty()) {
      readable(c.mllp.clientCaFile, "the MLLP client CA (mllp.tlsClientCa)");
    }
  }
  if (!c.mllp.maps.empty()) {
    std::error_code ec;
    if (!fs::is_directory(c.mllp.maps, ec))
      out.push_back("the v2 maps folder '" + c.mllp.maps + "' (mllp.maps) is not a folder");
  }
  for (const std::string& t : c.trials) readable(t, "the trial definition");
  for (const auto& [trial, file] : c.trialSecrets)
    readable(file, "the pseudonymisation secret of " + trial + " (trialSecrets)");
  for (const RegistryTarget& t : c.registries) {
    const std::string at = " (registries." + t.name;
    if (!t.caFile.empty()) readable(t.caFile, "the registry's CA file" + at + ".caFile)");
    if (!t.tokenFile.empty())
      readable(t.tokenFile, "the registry's token file" + at + ".tokenFile)");
  }
  if (c.store.backend == "sqlite") {
    fs::path dir = fs::path(c.store.database).parent_path();
    if (dir.empty()) dir = ".";
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
      out.push_back("cannot write in '" + dir.string() + "', the folder of the SQLite database '" +
                    c.store.database + "' (store.database)");
    }
  }
  return out;
}

}  // namespace trialbridge::service
