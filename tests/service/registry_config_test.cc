// The `registries` section of the configuration (service/registry_config.h): targets, their
// defaults, their outbox topics, and clear messages for bad values.
#include "service/registry_config.h"

#include <gtest/gtest.h>

#include "core/json_overrides.h"
#include "service/service.h"

namespace trialbridge::service {
namespace {

std::string errorOf(const std::string& json) {
  auto r = parseConfig(json, "c.json");
  return r ? std::string() : r.message();
}

TEST(RegistryConfig, ReadsFhirAndFileTargets) {
  auto r = parseConfig(R"({"registries":{
      "hub":{"kind":"fhir","url":"https://registry.example.org/fhir/","tokenFile":"/run/t",
             "caFile":"/etc/ca.pem","requestsPerMinute":120,"burst":3,"timeoutSeconds":10,
             "maxAttempts":4,"retryBaseMillis":100,"retryMaxMillis":5000,
             "failureDelayMillis":60000,"intervalSeconds":30,"batch":20,
             "types":["ResearchStudy","Organization"],"sourceSystem":"urn:example:ids"},
      "uploads":{"kind":"file","directory":"/var/lib/tb/out","format":"prs-xml","prsOrg":"EX",
                 "prsSections":["overall_status","enrollment"]}}})",
                       "c.json");
  ASSERT_TRUE(r) << r.message();
  const std::vector<RegistryTarget>& t = r.value().registries;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "hub");
  EXPECT_EQ(t[0].kind, TargetKind::Fhir);
  EXPECT_EQ(t[0].url, "https://registry.example.org/fhir");  // the trailing '/' dropped
  EXPECT_EQ(t[0].tokenFile, "/run/t");
  EXPECT_EQ(t[0].caFile, "/etc/ca.pem");
  EXPECT_EQ(t[0].requestsPerMinute, 120);
  EXPECT_EQ(t[0].burst, 3);
  EXPECT_EQ(t[0].timeoutSeconds, 10);
  EXPECT_EQ(t[0].maxAttempts, 4);
  EXPECT_EQ(t[0].retryBaseMillis, 100);
  EXPECT_EQ(t[0].retryMaxMillis, 5000);
  EXPECT_EQ(t[0].failureDelayMillis, 60000);
  EXPECT_EQ(t[0].intervalSeconds, 30);
  EXPECT_EQ(t[0].batch, 20u);
  EXPECT_EQ(t[0].types, (std::vector<std::string>{"ResearchStudy", "Organization"}));
  EXPECT_EQ(t[0].sourceSystem, "urn:example:ids");
  EXPECT_EQ(t[1].kind, TargetKind::File);
  EXPECT_EQ(t[1].directory, "/var/lib/tb/out");
  EXPECT_EQ(t[1].format, "prs-xml");
  EXPECT_EQ(t[1].prsOrg, "EX");
  EXPECT_EQ(t[1].prsSections, (std::vector<std::string>{"overall_status", "enrollment"}));
  EXPECT_EQ(t[1].types, defaultPublishedTypes());
  EXPECT_EQ(t[1].intervalSeconds, 60);
}

TEST(RegistryConfig, TopicsGoToTheTargetsTypes) {
  auto r = parseConfig(R"({"store":{"outbox":{"ResearchStudy":["audit-feed"]}},"registries":{
      "a":{"url":"http://a/fhir","types":["ResearchStudy","Group"]},
      "b":{"kind":"file","directory":"/tmp/x","types":["ResearchStudy"]}}})",
                       "c.json");
  ASSERT_TRUE(r) << r.message();
  std::map<std::string, std::vector<std::string>> topics = r.value().store.outboxTopics;
  addPublishTopics(r.value().registries, topics);
  EXPECT_EQ(topics["ResearchStudy"],
            (std::vector<std::string>{"audit-feed", "registry:a", "registry:b"}));
  EXPECT_EQ(topics["Group"], std::vector<std::string>{"registry:a"});
  addPublishTopics(r.value().registries, topics);  // no duplicates
  EXPECT_EQ(topics["ResearchStudy"].size(), 3u);
  EXPECT_EQ(publishTopic("a"), "registry:a");
}

TEST(RegistryConfig, BadValuesNameTheSetting) {
  EXPECT_NE(errorOf(R"({"registries":[]})").find("'registries' must be an object"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a b":{"url":"http://x"}}})").find("is not a target name"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"kind":"ftp"}}})").find("'registries.a.kind' must be"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"url":"registry.example.org"}}})")
                .find("'registries.a.url' must be the registry's FHIR base"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"url":"http://x","burst":0}}})")
                .find("'registries.a.burst' must be a whole number from 1"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"url":"http://x","types":["Studdy"]}}})")
                .find("'registries.a.types' has 'Studdy', which is not an R4 resource type"),
            std::string::npos);
  EXPECT_NE(
      errorOf(R"({"registries":{"a":{"url":"http://x","retryBaseMillis":9,"retryMaxMillis":5}}})")
          .find("retryMaxMillis"),
      std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"url":"http://x","directory":"/tmp"}}})")
                .find("'registries.a.directory' is not a known setting"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"burst":2}}})").find("'registries.a' needs 'url'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"kind":"file"}}})").find("needs 'directory'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"registries":{"a":{"kind":"file","directory":"/t","format":"csv"}}})")
                .find("'registries.a.format' must be one of"),
            std::string::npos);
  EXPECT_NE(
      errorOf(R"({"registries":{"a":{"kind":"file","directory":"/t","format":"prs-xml",)"
              R"("prsSections":["no_such_section"]}}})")
          .find("'registries.a.prsSections' has 'no_such_section', which is not a PRS section"),
      std::string::npos);
}

// A target named like an identifier takes its settings from variables too, checked the same way;
// a variable of a target the file does not have is not a setting.
TEST(RegistryConfig, TargetsTakeEnvironmentVariables) {
  core::JsonOverrides env("TRIALBRIDGE_", {{"TRIALBRIDGE_REGISTRIES_HUB_URL", "https://b/fhir"},
                                           {"TRIALBRIDGE_REGISTRIES_HUB_BURST", "7"}});
  auto r = parseConfig(R"({"registries":{"hub":{"url":"http://a/fhir"}}})", "c.json", &env);
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r.value().registries.size(), 1u);
  EXPECT_EQ(r.value().registries[0].url, "https://b/fhir");
  EXPECT_EQ(r.value().registries[0].burst, 7);

  core::JsonOverrides bad("TRIALBRIDGE_", {{"TRIALBRIDGE_REGISTRIES_HUB_URL", "ftp://b"},
                                           {"TRIALBRIDGE_REGISTRIES_OTHER_URL", "http://c"}});
  const auto e = parseConfig(R"({"registries":{"hub":{"url":"http://a/fhir"}}})", "c.json", &bad);
  ASSERT_FALSE(e);
  EXPECT_NE(e.message().find("environment variable TRIALBRIDGE_REGISTRIES_HUB_URL must be the "
                             "registry's FHIR base"),
            std::string::npos)
      << e.message();
  EXPECT_NE(e.message().find("TRIALBRIDGE_REGISTRIES_OTHER_URL is not a known setting"),
            std::string::npos)
      << e.message();
}

// --check-config names a target's CA and token files when they cannot be read.
TEST(RegistryConfig, CheckingTheFilesNamesTheTargetsFiles) {
  auto r = parseConfig(R"({"registries":{"hub":{"url":"https://a/fhir",
      "caFile":"/no/such/ca.pem","tokenFile":"/no/such/token"},
      "plain":{"url":"http://b/fhir"}}})",
                       "c.json");
  ASSERT_TRUE(r) << r.message();
  const std::vector<std::string> problems = checkConfigFiles(r.value());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0],
            "cannot read the registry's CA file (registries.hub.caFile) '/no/such/ca.pem'");
  EXPECT_EQ(problems[1],
            "cannot read the registry's token file (registries.hub.tokenFile) '/no/such/token'");
}

}  // namespace
}  // namespace trialbridge::service
