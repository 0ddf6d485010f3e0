// Colour and interactive output: only on a terminal, never with NO_COLOR, never under CI.
#include "cli/terminal.h"

#include <gtest/gtest.h>

namespace trialbridge::cli {
namespace {

TEST(Terminal, ColourOnlyOnATerminalAndNeverWithNoColor) {
  EXPECT_TRUE(colourWanted(true, "xterm-256color", nullptr));
  EXPECT_TRUE(colourWanted(true, "xterm", ""));  // NO_COLOR set but empty: no-color.org says on
  EXPECT_FALSE(colourWanted(true, "xterm", "1"));
  EXPECT_FALSE(colourWanted(false, "xterm", nullptr));  // a pipe or a file
  EXPECT_FALSE(colourWanted(true, "dumb", nullptr));
  EXPECT_FALSE(colourWanted(true, nullptr, nullptr));
}

TEST(Terminal, InteractiveNeverUnderCi) {
  EXPECT_TRUE(interactive(true, "xterm", nullptr));
  EXPECT_FALSE(interactive(true, "xterm", "true"));
  EXPECT_FALSE(interactive(false, "xterm", nullptr));
  EXPECT_FALSE(interactive(true, "dumb", nullptr));
}

TEST(Terminal, PainterWrapsOnlyWhenOn) {
  EXPECT_EQ(Painter(false)(Style::Error, "error:"), "error:");
  const std::string on = Painter(true)(Style::Error, "error:");
  EXPECT_EQ(on, "\033[1;31merror:\033[0m");
  EXPECT_NE(Painter(true)(Style::Warning, "w"), Painter(true)(Style::Information, "w"));
}

}  // namespace
}  // namespace trialbridge::cli
