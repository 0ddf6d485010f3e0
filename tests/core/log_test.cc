// The process log: JSON lines and text lines, the level filter, escaping, whole lines from threads.
#include "core/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace trialbridge::core {
namespace {

constexpr int64_t kTime = 1795428672345;  // 2026-11-23T10:11:12.345Z

TEST(Log, JsonLinesAreOneObjectWithTimeLevelEventMessageAndFields) {
  const std::string line = Log::formatLine(
      LogFormat::Json, kTime, LogLevel::Info, "serve.started", "serving",
      {{"base", "http://127.0.0.1:8080/fhir"}, {"port", 8080}, {"ms", 1.5}, {"tls", false}});
  EXPECT_EQ(line,
            "{\"time\":\"2026-11-23T10:11:12.345Z\",\"level\":\"info\",\"event\":\"serve.started\","
            "\"message\":\"serving\",\"base\":\"http://127.0.0.1:8080/fhir\",\"port\":8080,"
            "\"ms\":1.5,\"tls\":false}\n");
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(std::string(doc["level"].GetString()), "info");
}

TEST(Log, ValuesAreEscapedSoALineStaysOneLine) {
  const std::string reason = "a \"b\"\n\tc\\d\x01";
  const std::string json =
      Log::formatLine(LogFormat::Json, kTime, LogLevel::Error, "e", "m", {{"reason", reason}});
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(std::string(doc["reason"].GetString()), reason);
  const std::string text =
      Log::formatLine(LogFormat::Text, kTime, LogLevel::Error, "e", "m", {{"reason", reason}});
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  // A value with spaces or quotes is quoted in text; a plain one is not.
  EXPECT_NE(text.find("reason=\"a \\\"b\\\"\\n\\tc\\\\d\\u0001\""), std::string::npos) << text;
  const std::string plain =
      Log::formatLine(LogFormat::Text, kTime, LogLevel::Warning, "e", "stopped", {{"units", 3}});
  EXPECT_EQ(plain, "2026-11-23T10:11:12.345Z warning stopped  units=3\n");
}

TEST(Log, LevelsFilterAndNamesRoundTrip) {
  std::vector<std::string> lines;
  std::mutex m;
  Log::setSink([&](std::string_view l) {
    std::lock_guard lock(m);
    lines.emplace_back(l);
  });
  Log::configure({LogFormat::Json, LogLevel::Warning});
  Log::info("a", "dropped");
  Log::warning("b", "kept");
  Log::error("c", "kept");
  Log::configure({LogFormat::Text, LogLevel::Debug});
  Log::debug("d", "kept as text");
  Log::setSink({});
  Log::configure({});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("\"event\":\"b\""), std::string::npos);
  EXPECT_NE(lines[2].find(" debug   kept as text"), std::string::npos) << lines[2];
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error}) {
    LogLevel back = LogLevel::Info;
    ASSERT_TRUE(parseLogLevel(logLevelName(l), back));
    EXPECT_EQ(back, l);
  }
  LogFormat f = LogFormat::Auto;
  EXPECT_TRUE(parseLogFormat("json", f));
  EXPECT_EQ(f, LogFormat::Json);
  EXPECT_FALSE(parseLogFormat("xml", f));
  LogLevel unknown = LogLevel::Info;
  EXPECT_FALSE(parseLogLevel("verbose", unknown));
}

TEST(Log, AutoIsTextOnATerminalAndJsonOtherwise) {
  // ctest runs with standard error not a terminal.
  Log::configure({LogFormat::Auto, LogLevel::Info});
  EXPECT_EQ(Log::format(), isatty(2) ? LogFormat::Text : LogFormat::Json);
  Log::configure({});
}

TEST(Log, ThreadsNeverInterleaveLines) {
  std::vector<std::string> lines;
  std::mutex m;
  Log::setSink([&](std::string_view l) {
    std::lock_guard lock(m);
    lines.emplace_back(l);
  });
  Log::configure({LogFormat::Json, LogLevel::Info});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) Log::info("t", "line", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& t : threads) t.join();
  Log::setSink({});
  Log::configure({});
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& l : lines) {
    rapidjson::Document doc;
    doc.Parse(l.c_str());
    EXPECT_FALSE(doc.HasParseError()) << l;
  }
}

}  // namespace
}  // namespace trialbridge::core
