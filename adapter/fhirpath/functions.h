#pragma once
// The function table: names, arity, and which arguments are evaluated per input item (with
// $this bound to it) rather than once in the caller's context. Internal.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fhirpath/ast.h"

namespace trialbridge::fhirpath {

enum class ArgMode : uint8_t {
  Value,   // evaluated once, in the context of the expression that calls the function
  Lambda,  // evaluated for each input item, with $this (and $index) bound to it
  Type,    // a type specifier (is, as, ofType)
};

struct FunctionSpec {
  std::string_view name;
  Fn fn;
  uint8_t minArgs;
  uint8_t maxArgs;
  ArgMode modes[3];  // per argument (the last one repeats for sort)
};

const FunctionSpec* findFunction(std::string_view name);

// A regular expression compiled once for a literal pattern (stored in Node::compiled); `full`
// anchors it at both ends (matchesFull).
std::shared_ptr<const void> precompileRegex(const std::string& pattern, bool full);

}  // namespace trialbridge::fhirpath
