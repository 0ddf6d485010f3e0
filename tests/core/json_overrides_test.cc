// Environment variables over a settings file: the naming rule, what is asked for and what is left.
#include "core/json_overrides.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/json_input.h"

namespace trialbridge::core {
namespace {

TEST(JsonOverrides, NamesFollowTheKeyPath) {
  JsonOverrides o("TRIALBRIDGE_", {});
  EXPECT_EQ(o.nameFor("$.http.port"), "TRIALBRIDGE_HTTP_PORT");
  EXPECT_EQ(o.nameFor("$.http.keepAliveSeconds"), "TRIALBRIDGE_HTTP_KEEP_ALIVE_SECONDS");
  EXPECT_EQ(o.nameFor("$.store.databaseFile"), "TRIALBRIDGE_STORE_DATABASE_FILE");
  EXPECT_EQ(o.nameFor("$.fhir.maxBodyBytes"), "TRIALBRIDGE_FHIR_MAX_BODY_BYTES");
  EXPECT_EQ(o.nameFor("$.trials"), "TRIALBRIDGE_TRIALS");
  EXPECT_EQ(o.nameFor("$.a.v2Port"), "TRIALBRIDGE_A_V2_PORT");
  EXPECT_EQ(o.nameFor("$.a.already_snake"), "TRIALBRIDGE_A_ALREADY_SNAKE");
  // Not addressable: the root, array items, names that are not identifiers, other paths.
  EXPECT_EQ(o.nameFor("$"), "");
  EXPECT_EQ(o.nameFor("$.trials[0]"), "");
  EXPECT_EQ(o.nameFor("$['a-b']"), "");
  EXPECT_EQ(o.nameFor("http.port"), "");
}

TEST(JsonOverrides, KeepsOnlyItsPrefixAndTellsWhatWasNotAskedFor) {
  JsonOverrides o("TRIALBRIDGE_", {{"TRIALBRIDGE_HTTP_PORT", "1"},
                                   {"TRIALBRIDGE_HTTP_PROT", "2"},
                                   {"TRIALBRIDGE_SECRET_NCT1", "s"},
                                   {"HOME", "/root"}});
  ASSERT_NE(o.take("TRIALBRIDGE_HTTP_PORT"), nullptr);
  EXPECT_EQ(*o.take("TRIALBRIDGE_HTTP_PORT"), "1");
  EXPECT_EQ(o.take("TRIALBRIDGE_HTTP_HOST"), nullptr);
  EXPECT_FALSE(o.isSet("HOME"));
  EXPECT_EQ(o.unused(),
            (std::vector<std::string>{"TRIALBRIDGE_HTTP_PROT", "TRIALBRIDGE_SECRET_NCT1"}));
  const std::vector<std::string> reserved = {"TRIALBRIDGE_SECRET_"};
  EXPECT_EQ(o.unused(reserved), std::vector<std::string>{"TRIALBRIDGE_HTTP_PROT"});
  EXPECT_EQ(o.applied(), std::vector<std::string>{"TRIALBRIDGE_HTTP_PORT"});
  EXPECT_TRUE(o.anyUnder("$.http"));
  EXPECT_FALSE(o.anyUnder("$.tls"));
  // "TRIALBRIDGE_HTTP" alone would not be under $.http (no '_' after it).
  JsonOverrides bare("TRIALBRIDGE_", {{"TRIALBRIDGE_HTTPS", "1"}});
  EXPECT_FALSE(bare.anyUnder("$.http"));
}

TEST(JsonOverrides, ReadsTheProcessEnvironment) {
  ::setenv("TBTEST_ENV_A", "x=y", 1);
  ::setenv("OTHER_TBTEST", "1", 1);
  JsonOverrides o = JsonOverrides::fromEnvironment("TBTEST_");
  ASSERT_NE(o.take("TBTEST_ENV_A"), nullptr);
  EXPECT_EQ(*o.take("TBTEST_ENV_A"), "x=y");  // only the first '=' separates
  EXPECT_TRUE(o.unused().empty());
  ::unsetenv("TBTEST_ENV_A");
  ::unsetenv("OTHER_TBTEST");
}

TEST(JsonOverrides, ParsesValuesAsJsonOrAsAString) {
  JsonOverrides o("P_", {});
  Issues issues;
  EXPECT_EQ(o.parse("P_A", "8080", issues).int64(), 8080);
  EXPECT_TRUE(o.parse("P_A", "true", issues).isTrue());
  EXPECT_EQ(o.parse("P_A", R"(["a","b"])", issues).size(), 2u);
  EXPECT_TRUE(issues.empty());
  // Not JSON and not starting like a structure: a string, for the setting's own check.
  const JsonNode x = o.parse("P_A", "eighty", issues);
  ASSERT_TRUE(x.isString());
  EXPECT_EQ(x.str(), "eighty");
  EXPECT_TRUE(o.parse("P_A", "a \"quoted\" \\ value", issues).isString());
  EXPECT_TRUE(issues.empty());
  // A broken structure says why, at the variable.
  EXPECT_FALSE(o.parse("P_LIST", R"(["a",])", issues).exists());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].location, "P_LIST");
  EXPECT_EQ(issues.items()[0].message.rfind("is not JSON (", 0), 0u) << issues.items()[0].message;
  // Over the limit.
  Issues big;
  EXPECT_FALSE(o.parse("P_BIG", std::string(JsonOverrides::kMaxValueBytes + 1, '1'), big).exists());
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big.items()[0].code, IssueType::TooLong);
}

}  // namespace
}  // namespace trialbridge::core
