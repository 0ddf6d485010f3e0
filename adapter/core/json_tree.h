#pragma once
// The syntax layer of the FHIR JSON reader (core/json.h): text -> a tree of JSON values with
// their positions. Internal to core; the reader turns the tree into the element model.
//
// The parser goes on after the syntax errors whose intent is clear, reporting each with its line
// and column, as the HL7 Java validator does:
//   - a comma missing between two members or two array items;
//   - an extra comma before a closing `}` or `]`, or two commas in a row;
//   - a property name without quotes (`resourceType: "Patient"`), or with only its closing one;
//   - a value without quotes (`"gender": female`), or with only its closing one; `true`,
//     `false` and `null` are the literals, anything else that starts with a letter is text;
//   - a string whose closing quote is missing at the end of its line (a comma just before the
//     line's end is taken as the separator);
//   - a `//` or `/* */` comment, unless comments are allowed (then they are white space).
// It stops at the others, which leave no usable tree (`Tree::fatal`): an unexpected character or
// close marker, a missing colon, a number that breaks the JSON grammar, a bad escape, a raw
// control character in a string, invalid UTF-8, a `\u` escape naming a lone surrogate, an
// unclosed comment, nesting deeper than the limit, the end of the text inside a value, and
// anything after the root value.
//
// The parser is iterative (no recursion, whatever the nesting) and does one pass over the text.
// Strings without escapes are views into the text, which must outlive the tree; everything else
// is allocated in the caller's arena.
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::core::json {

enum class Kind : uint8_t { Null, False, True, Number, String, Object, Array };

struct Node {
  Kind kind = Kind::Null;
  uint32_t line = 0;  // where the value starts (1-based)
  uint32_t column = 0;
  std::string_view text;  // strings (unescaped) and numbers (as written)
  std::string_view key;   // when a member of an object
  uint32_t keyLine = 0;   // where the member's name starts; the value's position in an array
  uint32_t keyColumn = 0;
  uint32_t count = 0;  // members or items
  Node* first = nullptr;
  Node* last = nullptr;
  Node* next = nullptr;
};

struct SyntaxError {
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
};

struct TreeOptions {
  uint32_t maxDepth = 128;  // objects and arrays inside one another
  bool allowComments = false;
};

struct Tree {
  Node* root = nullptr;              // nullptr when `fatal` is set
  std::vector<SyntaxError> errors;   // the errors the parser went on after
  std::optional<SyntaxError> fatal;  // the error that stopped it
  bool depthExceeded = false;        // `fatal` is the nesting limit
};

Tree parseTree(std::string_view text, std::pmr::memory_resource& arena, const TreeOptions& options);

}  // namespace trialbridge::core::json
