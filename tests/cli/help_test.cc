// Help everywhere, from the same option tables the commands parse: every command's --help has its
// usage, exit status and examples; the man page and the bash completion name every option.
#include "cli/help.h"

#include <gtest/gtest.h>

#include "cli/version.h"

namespace trialbridge::cli {
namespace {

std::string helpOf(const Command& c) {
  const std::string flag = "--help";
  ::testing::internal::CaptureStdout();
  const int status = c.run(std::span<const std::string>(&flag, 1));
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, kExitOk) << c.name;
  return out;
}

TEST(Help, EveryCommandHasUsageExitStatusExamplesAndItsOptions) {
  ASSERT_GE(commands().size(), 6u);
  for (const Command& c : commands()) {
    ASSERT_FALSE(c.help.empty()) << c.name << " has no help text";
    ASSERT_TRUE(c.options) << c.name << " has no option table";
    const std::string help = helpOf(c);
    EXPECT_EQ(help.rfind("Usage: trialbridge " + c.name, 0), 0u) << help;
    EXPECT_NE(help.find("Exit status"), std::string::npos) << c.name;
    const size_t examples = help.find("Examples:\n");
    ASSERT_NE(examples, std::string::npos) << c.name;
    EXPECT_NE(help.find("  trialbridge " + c.name, examples), std::string::npos) << c.name;
    for (const ArgParser::Spec& s : c.options().specs()) {
      EXPECT_NE(help.find("  " + s.name), std::string::npos) << c.name << " " << s.name;
    }
  }
}

TEST(Help, TheManPageHasEveryCommandAndOption) {
  const std::string man = manPage();
  EXPECT_EQ(man.find("\n.TH TRIALBRIDGE 1 \"\" \"trialbridge " + std::string(versionNumber())),
            man.find('\n'));
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH EXIT STATUS",
                              ".SH ENVIRONMENT", "\n.B NO_COLOR"}) {
    EXPECT_NE(man.find(section), std::string::npos) << section;
  }
  for (const Command& c : commands()) {
    EXPECT_NE(man.find(".SS \"trialbridge " + c.name + "\""), std::string::npos) << c.name;
    for (const ArgParser::Spec& s : c.options().specs()) {
      std::string escaped;
      for (char ch : s.name) escaped += ch == '-' ? std::string("\\-") : std::string(1, ch);
      EXPECT_NE(man.find(".B " + escaped), std::string::npos) << c.name << " " << s.name;
    }
  }
  // No line starts with a character roff would take as a request by mistake.
  size_t pos = 0;
  while ((pos = man.find("\n'", pos)) != std::string::npos) ADD_FAILURE() << man.substr(pos, 40);
}

TEST(Help, TheCompletionOffersEveryCommandOptionAndChoice) {
  const std::string bash = bashCompletion();
  EXPECT_NE(bash.find("complete -o filenames -o bashdefault -F _trialbridge trialbridge"),
            std::string::npos);
  for (const Command& c : commands()) {
    EXPECT_NE(bash.find("    " + c.name + ")\n"), std::string::npos) << c.name;
    for (const ArgParser::Spec& s : c.options().specs()) {
      EXPECT_NE(bash.find(s.name + " "), std::string::npos) << c.name << " " << s.name;
    }
  }
  EXPECT_NE(bash.find("--format) COMPREPLY=($(compgen -W 'text json'"), std::string::npos);
  EXPECT_NE(bash.find("--to) COMPREPLY=($(compgen -W 'json xml'"), std::string::npos);
}

TEST(Help, VersionNamesTheReleaseAndTheCommit) {
  const std::string v = versionText();
  EXPECT_EQ(v.rfind("trialbridge " + std::string(versionNumber()) + " (commit ", 0), 0u) << v;
  EXPECT_FALSE(versionCommit().empty());
  EXPECT_NE(v.find("FHIR R4 4.0.1"), std::string::npos);
}

TEST(Help, HelpCommandRefusesWhatItDoesNotKnow) {
  const Command help = helpCommand();
  ::testing::internal::CaptureStderr();
  const std::vector<std::string> zsh = {"--completion", "zsh"};
  EXPECT_EQ(help.run(zsh), kExitUsage);
  const std::vector<std::string> nope = {"nope"};
  EXPECT_EQ(help.run(nope), kExitUsage);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("no completion for 'zsh'"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown command 'nope'"), std::string::npos) << err;
}

}  // namespace
}  // namespace trialbridge::cli
