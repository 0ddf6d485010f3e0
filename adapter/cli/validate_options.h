#pragma once
// The options of `trialbridge validate` that set how resources are checked (docs/cli.md has
// them for users), as validation::ValidatorOptions:
//
//   --security-checks                 text that looks like HTML or script in strings is an error
//   --best-practice LEVEL             ignore | hint | warning (default) | error
//   --assume-valid-rest-references yes|no
//                                     a reference the input does not hold is checked by the type
//                                     in its URL (yes, the default) or not at all (no)
//   --contained-references MODE       ignore | type | valid (default): what is checked of the
//                                     target of a reference to a contained resource
//   --allow-comments                  // and /* */ comments in JSON are white space, not errors
//   --no-html-in-markdown             markdown that holds HTML tags is an error
#include <optional>

#include "cli/command.h"
#include "validation/validator.h"

namespace trialbridge::cli {

// Declares the options on `parser`.
void addValidatorOptions(ArgParser& parser);

// The validator options `parser` was given. nullopt, after a message on stderr, when a value is
// not one of those allowed (a usage error).
std::optional<validation::ValidatorOptions> validatorOptions(const ArgParser& parser);

}  // namespace trialbridge::cli
