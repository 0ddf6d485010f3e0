#include "cli/validate_options.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace trialbridge::cli {

namespace {

using validation::ValidatorOptions;

// The value of option `name` among `choices` (the first is taken when the option is absent).
template <typename T>
bool choose(const ArgParser& parser, const char* name,
            const std::vector<std::pair<const char*, T>>& choices, T& out) {
  const std::optional<std::string> v = parser.value(name);
  if (!v) return true;
  std::string allowed;
  for (const auto& [text, value] : choices) {
    if (*v == text) {
      out = value;
      return true;
    }
    allowed += allowed.empty() ? text : std::string(", ") + text;
  }
  std::cerr << "trialbridge validate: " << name << " must be one of " << allowed << ", not '" << *v
            << "'\n";
  return false;
}

}  // namespace

void addValidatorOptions(ArgParser& parser) {
  parser.flag("--security-checks", "text that looks like HTML or script in strings is an error")
      .option("--best-practice", "LEVEL",
              "how best-practice rules are reported: ignore, hint, warning (default) or error")
      .choices({"ignore", "hint", "warning", "error"})
      .option("--assume-valid-rest-references", "yes|no",
              "check a reference the input does not hold by the type in its URL (default yes)")
      .choices({"yes", "no"})
      .option("--contained-references", "MODE",
              "what is checked of the target of a #reference: ignore, type or valid (default)")
      .choices({"ignore", "type", "valid"})
      .flag("--allow-comments", "accept // and /* */ comments in JSON")
      .flag("--no-html-in-markdown", "markdown that holds HTML tags is an error");
}

std::optional<ValidatorOptions> validatorOptions(const ArgParser& parser) {
  ValidatorOptions options;
  options.securityChecks = parser.has("--security-checks");
  options.allowJsonComments = parser.has("--allow-comments");
  options.htmlInMarkdownIsError = parser.has("--no-html-in-markdown");
  using Level = ValidatorOptions::Level;
  using Contained = ValidatorOptions::ContainedReferences;
  const bool ok =
      choose<Level>(parser, "--best-practice",
                    {{"ignore", Level::Ignore},
                     {"hint", Level::Hint},
                     {"warning", Level::Warning},
                     {"error", Level::Error}},
                    options.bestPractice) &&
      choose<bool>(parser, "--assume-valid-rest-references", {{"yes", true}, {"no", false}},
                   options.assumeValidRestReferences) &&
      choose<Contained>(
          parser, "--contained-references",
          {{"ignore", Contained::Ignore}, {"type", Contained::Type}, {"valid", Contained::Valid}},
          options.containedReferences);
  if (!ok) return std::nullopt;
  return options;
}

}  // namespace trialbridge::cli
