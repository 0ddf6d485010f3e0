#pragma once
// The trialbridge executable's subcommands. Each lives in its own cmd_<name>.cc and is listed in
// commands.cc, with its help text and its option table: the same table parses its arguments,
// prints its --help, and generates the man page and the shell completion (cli/help.h), so the
// three cannot drift apart. Exit codes: kExitCodes below (docs/cli.md).
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"

namespace trialbridge::cli {

constexpr int kExitOk = 0;
constexpr int kExitDataError = 1;
constexpr int kExitUsage = 2;

struct ExitCode {
  int code;
  std::string_view meaning;
};
// Every command's exit codes; each command's help says what they mean for it.
inline constexpr ExitCode kExitCodes[] = {
    {kExitOk, "success"},
    {kExitDataError, "the data has problems (an input with errors, an evaluation that failed)"},
    {kExitUsage, "usage, configuration or I/O error (bad options, a file that cannot be read)"},
};

// Declares a command's options; parse() fills values and positional arguments.
// "--name VALUE", "--name=VALUE", repeatable options, flags, "-" as a positional (stdin), "--" ends
// options. Unknown options and missing values give a message and kExitUsage.
class ArgParser {
 public:
  explicit ArgParser(std::string command) : command_(std::move(command)) {}
  ArgParser& option(std::string name, std::string valueName, std::string help,
                    bool repeatable = false);
  ArgParser& flag(std::string name, std::string help);
  // The values the last option accepts (for its help, the man page and the shell completion).
  ArgParser& choices(std::vector<std::string> values);

  // Returns false (after printing to stderr) on a usage error. "--help"/"-h" sets helpRequested().
  bool parse(std::span<const std::string> args);
  bool helpRequested() const { return help_; }

  bool has(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
  const std::vector<std::string>& values(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // The options block of a help text.
  std::string optionsHelp() const;

  struct Spec {
    std::string name, valueName, help;
    bool takesValue = false, repeatable = false;
    std::vector<std::string> choices = {};
  };
  const std::vector<Spec>& specs() const& { return specs_; }
  // On a temporary parser (commands()[i].options().specs()): the table itself, not a reference.
  std::vector<Spec> specs() && { return std::move(specs_); }

 private:
  std::string command_;
  std::vector<Spec> specs_;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

struct Command {
  std::string name;
  std::string summary;  // one line for `trialbridge --help`
  // Runs the command with the arguments after the command name. Prints its own --help.
  std::function<int(std::span<const std::string> args)> run;
  // What --help prints before the options: usage, description, exit status, examples.
  std::string_view help = {};
  // The option table run() parses with.
  std::function<ArgParser()> options = {};
  // What the positional arguments are, for the shell completion: "files" or "" (none to offer).
  std::string_view positionals = "files";
};

const std::vector<Command>& commands();

// Reads a file, or stdin for "-". Error message names the path.
bool readInput(const std::string& path, std::string& out, std::string& error);
// A path as messages name it: "<stdin>" for "-".
std::string displayName(const std::string& path);
// A problem in the file at `path` as FILE:LINE:COL: severity: message [location].
std::string issueLine(const std::string& path, const core::Issue& issue);

}  // namespace trialbridge::cli
