// The progress bar's line: bar, count, rate and ETA within the width; nothing drawn when disabled.
#include "cli/progress.h"

#include <gtest/gtest.h>

namespace trialbridge::cli {
namespace {

TEST(Progress, LineHasBarCountRateAndEta) {
  const std::string line = Progress::render(250, 1000, 5.0, "files", 80);
  // 250 in 5 s: 50/s, 750 left: 15 s.
  EXPECT_EQ(line, "[##########..............................]  250/1000 files  50/s  ETA 0:15");
  EXPECT_LE(line.size(), 80u);
}

TEST(Progress, NoRateBeforeAnythingIsDoneAndAFullBarAtTheEnd) {
  // 40 columns: "  0/10 files" takes 12, the bar's brackets 2, the bar the 26 left.
  EXPECT_EQ(Progress::render(0, 10, 0.0, "files", 40),
            "[" + std::string(26, '.') + "]  0/10 files");
  const std::string done = Progress::render(10, 10, 4.0, "files", 60);
  EXPECT_NE(done.find("[####"), std::string::npos);
  EXPECT_EQ(done.substr(0, done.find(']')).find('.'), std::string::npos) << done;
  EXPECT_NE(done.find("2.5/s  ETA 0:00"), std::string::npos) << done;
}

TEST(Progress, NarrowTerminalsDropTheBarNotTheCount) {
  const std::string line = Progress::render(5, 10, 1.0, "files", 30);
  EXPECT_LE(line.size(), 30u) << line;
  EXPECT_EQ(line.rfind("5/10 files", 0), 0u) << line;
}

TEST(Progress, DurationsReadAsClockTimes) {
  EXPECT_EQ(Progress::duration(9.4), "0:09");
  EXPECT_EQ(Progress::duration(754), "12:34");
  EXPECT_EQ(Progress::duration(3723), "1:02:03");
  EXPECT_EQ(Progress::duration(-1), "0:00");
}

TEST(Progress, DisabledItWritesNothing) {
  ::testing::internal::CaptureStderr();
  {
    Progress p(100, "files", false);
    for (int i = 0; i < 100; ++i) p.advance();
    p.finish();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace trialbridge::cli
