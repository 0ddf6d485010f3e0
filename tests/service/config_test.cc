// The service's configuration (service/config.cc): the file over the defaults, environment
// variables over the file, secrets from files, every problem reported, the files it names checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/json_input.h"
#include "core/json_overrides.h"
#include "service/service.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

using Vars = std::map<std::string, std::string>;

// A node as JSON text (strings need no escapes in the example).
std::string toJson(const core::JsonNode& n) {
  using K = core::JsonNode::Kind;
  switch (n.kind()) {
    case K::String: return "\"" + n.str() + "\"";
    case K::Number: return n.number();
    case K::Bool: return n.isTrue() ? "true" : "false";
    case K::Array: {
      std::string out = "[";
      for (size_t i = 0; i < n.size(); ++i) out += (i ? "," : "") + toJson(n.item(i));
      return out + "]";
    }
    case K::Object: {
      std::string out = "{";
      for (const std::string& k : n.keys()) {
        out += (out.size() > 1 ? ",\"" : "\"") + k + "\":" + toJson(n.get(k));
      }
      return out + "}";
    }
    default: return "null";
  }
}

core::Result<service::ServiceConfig> parse(const std::string& json, Vars vars) {
  core::JsonOverrides env("TRIALBRIDGE_", std::move(vars));
  return service::parseConfig(json, "c.json", &env);
}

TEST(Config, VariablesWinOverTheFileAndTheDefaults) {
  auto r = parse(R"({"http": {"port": 80, "host": "10.0.0.1"}, "store": {"writers": 2}})",
                 {{"TRIALBRIDGE_HTTP_PORT", "9090"},
                  {"TRIALBRIDGE_HTTP_ACCESS_LOG", "true"},
                  {"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
                  {"TRIALBRIDGE_STORE_DATABASE", "host=db dbname=tb"},
                  {"TRIALBRIDGE_FHIR_PACKAGES", R"(["a.tgz"])"},
                  {"TRIALBRIDGE_STORE_OUTBOX", R"({"ResearchStudy": ["registry"]})"},
                  {"TRIALBRIDGE_LOG_FORMAT", "json"},
                  {"TRIALBRIDGE_TRIALS", R"(["t.json"])"}});
  ASSERT_TRUE(r) << r.message();
  const service::ServiceConfig& c = r.value();
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.http.host, "10.0.0.1");  // from the file
  EXPECT_TRUE(c.http.accessLog);
  EXPECT_EQ(c.store.backend, "postgresql");
  EXPECT_EQ(c.store.database, "host=db dbname=tb");
  EXPECT_FALSE(c.store.cache);  // the backend's default, decided after the variable
  EXPECT_EQ(c.store.writers, 2);
  EXPECT_EQ(c.packages, std::vector<std::string>{"a.tgz"});
  EXPECT_EQ(c.store.outboxTopics.at("ResearchStudy"), std::vector<std::string>{"registry"});
  EXPECT_EQ(c.log.format, core::LogFormat::Json);
  EXPECT_EQ(c.trials, std::vector<std::string>{"t.json"});
  EXPECT_EQ(c.environment.size(), 8u);
}

// Sections that enable something when present (tls, auth) are present when a variable sets one
// of their settings.
TEST(Config, AVariableMakesASectionPresent) {
  auto r = parse("{}", {{"TRIALBRIDGE_AUTH_JWKS", "/etc/jwks.json"}});
  ASSERT_TRUE(r) << r.message();
  EXPECT_TRUE(r.value().authEnabled);
  EXPECT_EQ(r.value().auth.jwksFile, "/etc/jwks.json");
  r = parse("{}", {{"TRIALBRIDGE_TLS_CERTIFICATE", "c.pem"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "c.json: 'tls' needs both 'certificate' and 'privateKey' (PEM files)");
  r = parse("{}", {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value().authEnabled);
  EXPECT_FALSE(r.value().http.tls);
}

TEST(Config, EveryProblemIsReportedOnItsOwnLine) {
  auto r = parse(R"({"http": {"port": "x", "prot": 1}, "stor": {}, "log": {"level": "loud"}})",
                 {{"TRIALBRIDGE_HTTP_THREADS", "many"},
                  {"TRIALBRIDGE_HTTP_PROT", "1"},
                  {"TRIALBRIDGE_SECRET_NCT06813157", "not a setting, and not an error"}});
  ASSERT_FALSE(r);
  const std::string m = r.message();
  for (const char* line : {
           "c.json: 'http.port' must be a whole number from 0 to 65535",
           "c.json: 'http.prot' is not a known setting",
           "c.json: 'stor' is not a known setting",
           "c.json: 'log.level' must be \"debug\", \"info\", \"warning\" or \"error\"",
           "environment variable TRIALBRIDGE_HTTP_THREADS must be a whole number from 1 to 4096",
           "environment variable TRIALBRIDGE_HTTP_PROT is not a known setting",
       }) {
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n--- in:\n" << m;
  }
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 5) << m;
  EXPECT_EQ(m.find("SECRET"), std::string::npos) << m;
}

TEST(Config, MissingSettingsAreNamed) {
  auto r = parse(R"({"store": {"backend": "postgresql"}})", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message().rfind("c.json: 'store.database' is required with the \"postgresql\"", 0),
            0u)
      << r.message();
  r = parse("{}", {{"TRIALBRIDGE_STORE_BACKEND", "postgresql"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'store.database' is required"), std::string::npos);
  r = parse(R"({"auth": {"issuer": "x"}})", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'auth' needs 'jwks'"), std::string::npos) << r.message();
  r = parse(R"({"http": {"host": ""}})", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'http.host' must not be empty"), std::string::npos);
}

TEST(Config, TheDatabaseIsASecretReadFromAFile) {
  const std::string dir = tempDir();
  writeFile(dir + "/db", "host=db password=s3cret\n");
  auto r =
      parse(R"({"store": {"backend": "postgresql", "databaseFile": ")" + dir + R"(/db"}})", {});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().store.database, "host=db password=s3cret");
  r = parse(R"({"store": {"backend": "postgresql"}})",
            {{"TRIALBRIDGE_STORE_DATABASE_FILE", dir + "/db"}});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().store.database, "host=db password=s3cret");
  r = parse(R"({"store": {"databaseFile": ")" + dir + R"(/none"}})", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'store.databaseFile' names the file '" + dir +
                             "/none', which cannot be read"),
            std::string::npos)
      << r.message();
  std::filesystem::remove_all(dir);
}

TEST(Config, StoreMemoryIsGivenInMiBWithinItsRange) {
  auto r = parse("{}", {});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().store.pageCacheKiB, 2048);  // the defaults (docs/configuration.md)
  EXPECT_EQ(r.value().store.sqliteHeapLimitKiB, 65536);
  EXPECT_EQ(r.value().store.cacheBytes, size_t{64} << 20);
  r = parse(
      R"({"store": {"pageCacheMegabytes": 8, "sqliteHeapLimitMegabytes": 0, "cacheMegabytes": 3}})",
      {});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().store.cacheBytes, size_t{3} << 20);
  EXPECT_EQ(r.value().store.pageCacheKiB, 8192);
  EXPECT_EQ(r.value().store.sqliteHeapLimitKiB, 0);  // no limit
  r = parse("{}", {{"TRIALBRIDGE_STORE_PAGE_CACHE_MEGABYTES", "32"}});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().store.pageCacheKiB, 32768);
  r = parse(
      R"({"store": {"pageCacheMegabytes": 0, "sqliteHeapLimitMegabytes": "64", "cacheMegabytes": 0}})",
      {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'store.cacheMegabytes' must be a whole number from 1 to 65536"),
            std::string::npos)
      << r.message();
  EXPECT_NE(
      r.message().find("c.json: 'store.pageCacheMegabytes' must be a whole number from 1 to 1024"),
      std::string::npos)
      << r.message();
  EXPECT_NE(
      r.message().find("'store.sqliteHeapLimitMegabytes' must be a whole number from 0 to 65536"),
      std::string::npos)
      << r.message();
  r = parse(
      R"({"store": {"backend": "postgresql", "database": "host=db", "pageCacheMegabytes": 4}})",
      {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("'store.pageCacheMegabytes' applies to the \"sqlite\" backend only"),
            std::string::npos)
      << r.message();
}

TEST(Config, WithoutAFileTheVariablesApplyToTheDefaults) {
  core::JsonOverrides env("TRIALBRIDGE_", {{"TRIALBRIDGE_HTTP_PORT", "0"}});
  auto r = service::environmentConfig(env);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value().http.port, 0);
  EXPECT_EQ(r.value().http.host, "127.0.0.1");
  EXPECT_EQ(r.value().source, "");
  EXPECT_EQ(r.value().environment, std::vector<std::string>{"TRIALBRIDGE_HTTP_PORT"});
}

// Every setting of the example configuration, given instead as its variable (the value as JSON,
// a string as it is), gives the same configuration: every key has a variable, by the one rule.
TEST(Config, EverySettingOfTheExampleHasItsVariable) {
  const std::string path = std::string(TB_SOURCE_ROOT) + "/deploy/trialbridge.example.json";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  // The example reads the database's connection string from a secret file; here, from this one.
  const std::string dir = tempDir();
  writeFile(dir + "/database", "host=db dbname=trialbridge user=tb password=p\n");
  const Vars secret = {{"TRIALBRIDGE_STORE_DATABASE_FILE", dir + "/database"}};
  auto fromFile = parse(text, secret);
  ASSERT_TRUE(fromFile) << fromFile.message();

  core::JsonInput input;
  core::Issues issues;
  ASSERT_TRUE(input.parse(text, issues));
  core::JsonOverrides naming("TRIALBRIDGE_", {});
  Vars vars;
  // A setting is a member of a section, or a top-level member that is not an object.
  const auto addSetting = [&](const core::JsonNode& n) {
    const std::string name = naming.nameFor(n.path());
    ASSERT_FALSE(name.empty()) << n.path();
    ASSERT_EQ(vars.count(name), 0u) << "two settings share " << name;
    vars[name] = n.isString() ? n.str() : toJson(n);
  };
  for (const std::string& key : input.root().keys()) {
    const core::JsonNode section = input.root().get(key);
    if (!section.isObject()) {
      addSetting(section);
      continue;
    }
    for (const std::string& member : section.keys()) addSetting(section.get(member));
  }
  ASSERT_GT(vars.size(), 35u);
  vars["TRIALBRIDGE_STORE_DATABASE_FILE"] = dir + "/database";
  core::JsonOverrides env("TRIALBRIDGE_", vars);
  auto fromVars = service::environmentConfig(env);
  ASSERT_TRUE(fromVars) << fromVars.message();
  EXPECT_EQ(fromVars.value().environment.size(), vars.size());
  const service::ServiceConfig& a = fromFile.value();
  const service::ServiceConfig& b = fromVars.value();
  EXPECT_EQ(a.http.host, b.http.host);
  EXPECT_EQ(a.http.port, b.http.port);
  EXPECT_EQ(a.http.threads, b.http.threads);
  EXPECT_EQ(a.http.accessLog, b.http.accessLog);
  EXPECT_EQ(a.http.tls, b.http.tls);
  EXPECT_EQ(a.http.certificateFile, b.http.certificateFile);
  EXPECT_EQ(a.authEnabled, b.authEnabled);
  EXPECT_EQ(a.auth.jwksFile, b.auth.jwksFile);
  EXPECT_EQ(a.auth.leewaySeconds, b.auth.leewaySeconds);
  EXPECT_EQ(a.store.backend, b.store.backend);
  EXPECT_EQ(a.store.database, b.store.database);
  EXPECT_EQ(a.store.readConnections, b.store.readConnections);
  EXPECT_EQ(a.store.outboxTopics, b.store.outboxTopics);
  EXPECT_EQ(a.api.basePath, b.api.basePath);
  EXPECT_EQ(a.api.maxBodyBytes, b.api.maxBodyBytes);
  EXPECT_EQ(a.api.requiredProfiles, b.api.requiredProfiles);
  EXPECT_EQ(a.packages, b.packages);
  EXPECT_EQ(a.audit.extraTypes, b.audit.extraTypes);
  EXPECT_EQ(a.audit.flushMillis, b.audit.flushMillis);
  EXPECT_EQ(a.log.format, b.log.format);
  EXPECT_EQ(a.log.level, b.log.level);
  EXPECT_EQ(a.mllp.enabled, b.mllp.enabled);
  EXPECT_EQ(a.mllp.port, b.mllp.port);
  EXPECT_EQ(a.mllp.allow, b.mllp.allow);
  EXPECT_EQ(a.mllp.tls, b.mllp.tls);
  EXPECT_EQ(a.mllp.clientCaFile, b.mllp.clientCaFile);
  EXPECT_EQ(a.mllp.requireClientCertificate, b.mllp.requireClientCertificate);
  EXPECT_EQ(a.trials, b.trials);
  EXPECT_EQ(a.store.database, "host=db dbname=trialbridge user=tb password=p");
  std::filesystem::remove_all(dir);
}

TEST(Config, CheckingTheFilesNamesEachProblem) {
  const std::string dir = tempDir();
  auto r = parse(R"({"tls": {"certificate": ")" + dir + R"(/c.pem", "privateKey": ")" + dir +
                     R"(/k.pem"}, "auth": {"jwks": ")" + dir + R"(/jwks.json"},
                     "fhir": {"packages": [")" +
                     dir + R"(/p.tgz"]},
                     "store": {"database": ")" +
                     dir + R"(/no/such/dir/tb.db"},
                     "trials": [")" +
                     dir + R"(/t.json"]})",
                 {});
  ASSERT_TRUE(r) << r.message();
  const std::vector<std::string> problems = service::checkConfigFiles(r.value());
  ASSERT_EQ(problems.size(), 6u);
  EXPECT_EQ(problems[0], "cannot read the TLS certificate (tls.certificate) '" + dir + "/c.pem'");
  EXPECT_EQ(problems[1], "cannot read the TLS private key (tls.privateKey) '" + dir + "/k.pem'");
  EXPECT_NE(problems[2].find(dir + "/jwks.json"), std::string::npos) << problems[2];
  EXPECT_EQ(problems[3], "the FHIR package '" + dir + "/p.tgz' (fhir.packages) is missing");
  EXPECT_EQ(problems[4], "cannot read the trial definition '" + dir + "/t.json'");
  EXPECT_NE(problems[5].find("the folder of the SQLite database"), std::string::npos);
  // The defaults name no file but the database, in a folder that can be written.
  auto defaults = parse("{}", {});
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(service::checkConfigFiles(defaults.value()).empty());
  std::filesystem::remove_all(dir);
}

// The trials' pseudonymisation secrets (for enrolment), by trial id: a file each, from the file or
// its variable; a secret file that cannot be read is a problem --check-config names.
TEST(Config, TrialSecretsByTrial) {
  auto file = parse(R"({"trialSecrets": {"nct06813157": "/etc/tb/nct.secret"}})", {});
  ASSERT_TRUE(file) << file.message();
  EXPECT_EQ(file.value().trialSecrets.at("nct06813157"), "/etc/tb/nct.secret");
  auto variable =
      parse("{}", {{"TRIALBRIDGE_TRIAL_SECRETS", R"({"tbx101-fih-01": "/run/secrets/tbx"})"},
                   {"TRIALBRIDGE_SECRET_NCT06813157", "0123456789abcdef0123456789abcdef"}});
  ASSERT_TRUE(variable) << variable.message();  // TRIALBRIDGE_SECRET_* is not a setting
  EXPECT_EQ(variable.value().trialSecrets.at("tbx101-fih-01"), "/run/secrets/tbx");
  EXPECT_FALSE(parse(R"({"trialSecrets": ["a"]})", {}));
  const std::string dir = tempDir();
  auto missing = parse(R"({"trialSecrets": {"nct06813157": ")" + dir + R"(/none"}})", {});
  ASSERT_TRUE(missing);
  const std::vector<std::string> problems = service::checkConfigFiles(missing.value());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "cannot read the pseudonymisation secret of nct06813157 (trialSecrets) '" +
                             dir + "/none'");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
