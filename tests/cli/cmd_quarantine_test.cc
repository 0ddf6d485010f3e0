// trialbridge quarantine: the command-line contract (docs/cli.md) against a store that the
// pipeline filled with quarantined messages.
#include "cli/cmd_quarantine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_capture.h"
#include "pipeline/pipeline.h"
#include "service/service.h"

namespace trialbridge::cli {
namespace {

Outcome quarantine(std::vector<std::string> args) {
  return runCommand(quarantineCommand(), std::move(args));
}

class QuarantineCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tb-quarantine-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_ = dir_ + "/tb.json";
    std::ofstream(config_) << R"({"store":{"database":")" << dir_ << R"(/q.db"}})";
    auto loaded = service::loadConfig(config_);
    ASSERT_TRUE(loaded) << loaded.message();
    auto opened = service::Service::open(loaded.value());
    ASSERT_TRUE(opened) << opened.message();
    for (const char* m : {kAdt, kBadStatus}) {
      pipeline::Change c = pipeline::Change::v2Message(m);
      c.source = "10.0.0.9";
      const pipeline::Result r = opened.value()->pipeline().apply(std::move(c), {});
      ASSERT_TRUE(r.v2.has_value());
      ids_.push_back(r.v2->quarantineId);
    }
    opened.value()->stop();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static constexpr const char* kAdt =
      "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ADT^A01^ADT_A01|Q-1|P|2.5.1\r"
      "PID|1||MRN123^^^HOSP^MR||Doe^Jane\r";
  static constexpr const char* kBadStatus =
      "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ORU^R01^ORU_R01|Q-2|P|2.5.1\r"
      "OBR|1||F1|26515-7^Platelets^LN|||20250301100000+0800|||||||||||||||20250301110000+0800"
      "|||F\r"
      "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||Q|||20250301100000+0800\r";
  std::string dir_, config_;
  std::vector<std::string> ids_;
};

TEST_F(QuarantineCommand, ListShowRetryDiscard) {
  Outcome list = quarantine({"--config", config_, "list"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find(ids_[0]), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("AR 200  LAB|HOSP  Q-1  MSH-9.1: unsupported message type"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("AE 103  LAB|HOSP  Q-2  OBX-11:"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("2 of 2 open entries"), std::string::npos);
  EXPECT_EQ(list.out.find("Doe"), std::string::npos);  // no bytes in the listing

  Outcome show = quarantine({"--config", config_, "show", ids_[1]});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("control id: Q-2"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("from 10.0.0.9"), std::string::npos);
  EXPECT_NE(show.out.find("\nOBX|1|NM|"), std::string::npos);  // segments on lines

  Outcome retry = quarantine({"--config", config_, "retry", ids_[0]});
  EXPECT_EQ(retry.status, 1);
  EXPECT_NE(retry.out.find("still fails: AR"), std::string::npos) << retry.out;
  EXPECT_NE(retry.err.find("MSH-9.1"), std::string::npos) << retry.err;

  // A discard needs a reason (it goes into the audit log).
  EXPECT_EQ(quarantine({"--config", config_, "discard", ids_[0]}).status, 2);
  Outcome discard =
      quarantine({"--config", config_, "discard", ids_[0], "--reason", "test message"});
  EXPECT_EQ(discard.status, 0) << discard.err;
  EXPECT_NE(discard.out.find("discarded " + ids_[0]), std::string::npos);
  EXPECT_EQ(quarantine({"--config", config_, "discard", ids_[0], "--reason", "again"}).status, 1);
  EXPECT_EQ(quarantine({"--config", config_, "retry", ids_[0]}).status, 1);
  Outcome discarded = quarantine({"--config", config_, "list", "--status", "discarded"});
  EXPECT_NE(discarded.out.find("1 of 1 discarded entries"), std::string::npos) << discarded.out;
  EXPECT_NE(quarantine({"--config", config_, "list", "--status", "all"}).out.find("2 of 2"),
            std::string::npos);
  EXPECT_EQ(quarantine({"--config", config_, "show", "nothing"}).status, 1);
}

TEST_F(QuarantineCommand, UsageErrors) {
  EXPECT_EQ(quarantine({}).status, 2);
  EXPECT_EQ(quarantine({"--config", config_, "list", "extra"}).status, 2);
  EXPECT_EQ(quarantine({"--config", config_, "show"}).status, 2);
  EXPECT_EQ(quarantine({"--config", config_, "list", "--status", "lost"}).status, 2);
  EXPECT_EQ(quarantine({"--config", config_, "list", "--count", "x"}).status, 2);
  EXPECT_EQ(quarantine({"--config", dir_ + "/none.json", "list"}).status, 2);
  EXPECT_EQ(quarantine({"--help"}).status, 0);
}

}  // namespace
}  // namespace trialbridge::cli
