#pragma once
// FHIR JSON reading and writing (RapidJSON inside the writer; no RapidJSON type appears here).
//
// Reading reports every JSON syntax error it can go on after (a missing or extra comma, missing
// quotes, comments; core/json_tree.h has the list) as an error with line and column, and stops
// at the others with a fatal issue. It follows the FHIR JSON rules and reports every departure as
// an Issue with line, column and FHIR path: unknown properties, arrays where one value is expected
// and the reverse, JSON numbers/booleans/strings per primitive type, nulls outside primitive
// arrays, empty objects, arrays and strings, duplicate keys, `_x` primitive extensions,
// `resourceType` and contained resources. Decimals keep their text exactly. Input limits (size,
// nesting depth) give an error.
#include <memory>
#include <string>
#include <string_view>

#include "core/element.h"
#include "core/issue.h"

namespace trialbridge::core {

struct ReadOptions {
  size_t maxBytes = 256u * 1024u * 1024u;
  uint32_t maxDepth = 128;
  // Take `//` and `/* */` comments in JSON as white space; when false each is an error (the
  // reading goes on). Comments are not JSON, but some tools write them.
  bool allowComments = false;
  // Read the root as this type (a datatype such as "Quantity"); empty: a resource, whose type
  // comes from resourceType.
  std::string rootType;
};

// False, with a fatal issue, when text is longer than options.maxBytes (checked by each reader).
bool withinSizeLimit(std::string_view text, const ReadOptions& options, Issues& issues);

// Returns nullptr when nothing usable was read (malformed JSON, no or unknown resourceType);
// the reason is in `issues` as a fatal issue. Otherwise a document, perhaps with error issues
// for the parts that broke the rules (those parts are left out of the model).
std::unique_ptr<Document> readJson(std::string_view text, const TypeResolver& types, Issues& issues,
                                   const ReadOptions& options = {});

struct WriteOptions {
  bool pretty = false;
};
std::string writeJson(const Element& root, const WriteOptions& options = {});

// True when s is a number as JSON writes it (RFC 8259 grammar).
bool isJsonNumberText(std::string_view s);

// Line and column (1-based) of a byte offset in text.
void lineColumnOf(std::string_view text, size_t offset, uint32_t& line, uint32_t& column);

// Called by RAPIDJSON_ASSERT (cmake/Dependencies.cmake): throws, so no input can abort.
[[noreturn]] void rapidjsonAssertFailed(const char* expression);

}  // namespace trialbridge::core
