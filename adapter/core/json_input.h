#pragma once
// Reading the project's own JSON files (trial definitions, entity files, the service's
// configuration), beside the FHIR reader of core/json.h. One helper for all of them, so that they
// share the same limits and the same kind of error:
//   - parse() refuses malformed JSON, text that is not UTF-8, input over the size and nesting
//     limits and duplicate member names, each as an issue with line and column;
//   - every value has its JSON path ($.arms[0].interventions[1].dose), where it starts (line and
//     column) and, for numbers, the text exactly as written (so that 0.30 stays 0.30 when it
//     becomes a FHIR decimal). Paths are JSONPath: members as .name (or ['name'] when the name is
//     not an identifier), array items as [i];
//   - JsonObjectReader reads an object's members with type checks and refuses unknown ones, for
//     files that have no JSON Schema (the configuration).
// RapidJSON is inside; no RapidJSON type appears here (core/json_input_raw.h hands the parsed
// document to code that needs RapidJSON itself, such as a JSON Schema checker).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"

namespace trialbridge::core {

class JsonNode;
class JsonOverrides;

class JsonInput {
 public:
  static constexpr size_t kMaxBytes = 16u * 1024u * 1024u;
  static constexpr uint32_t kMaxDepth = 64;

  JsonInput();
  ~JsonInput();
  JsonInput(const JsonInput&) = delete;
  JsonInput& operator=(const JsonInput&) = delete;

  // Parses text. On malformed JSON, input over the limits or duplicate member names, adds error
  // issues (with line and column) and returns false.
  bool parse(std::string_view text, Issues& issues);

  // The root value ("$"); a node that does not exist before a successful parse().
  JsonNode root() const;

  // Where the value at `path` starts; for a path that does not exist, its nearest ancestor.
  void locate(std::string_view path, uint32_t& line, uint32_t& column) const;
  // The number at `path` as written in the text, or "" when there is none.
  std::string numberText(std::string_view path) const;

  // Adds an issue located at `path` (the issue's location; the message is the reason only).
  void report(Issues& issues, std::string path, std::string message,
              Severity severity = Severity::Error, IssueType code = IssueType::Invalid) const;

  static std::string memberPath(std::string_view parent, std::string_view name);
  static std::string itemPath(std::string_view parent, size_t index);

 private:
  struct Impl;
  friend class JsonPositionRecorder;
  std::unique_ptr<Impl> impl_;
};

// A value of a JsonInput with its path; missing members give a node that does not exist, so that
// readers can walk optional parts without checks at every step. The value accessors return empty
// values for missing members or members of another type (for files with a schema, the schema has
// checked the types already; JsonObjectReader checks them for files without one).
class JsonNode {
 public:
  enum class Kind { Missing, Null, Bool, Number, String, Array, Object };

  // `value` is the document's value (internal to core; see core/json_input_raw.h).
  JsonNode(const JsonInput& input, const void* value, std::string path)
      : input_(&input), value_(value), path_(std::move(path)) {}

  bool exists() const { return value_ != nullptr; }
  Kind kind() const;
  bool isObject() const { return kind() == Kind::Object; }
  bool isArray() const { return kind() == Kind::Array; }
  bool isString() const { return kind() == Kind::String; }
  bool isBool() const { return kind() == Kind::Bool; }
  bool isNumber() const { return kind() == Kind::Number; }
  const std::string& path() const { return path_; }
  const JsonInput& input() const { return *input_; }
  const void* value() const { return value_; }

  bool has(std::string_view key) const { return get(key).exists(); }
  JsonNode get(std::string_view key) const;
  std::string str() const;
  std::string str(std::string_view key) const { return get(key).str(); }
  // A number as written.
  std::string number() const;
  double real() const;
  int integer() const;
  // A whole number that fits in 64 bits, or nothing (also for 1.0 and 1e3: not whole as written).
  std::optional<int64_t> int64() const;
  bool isTrue() const;
  size_t size() const;  // an array's items; 0 for anything else
  JsonNode item(size_t i) const;
  std::vector<std::string> strings() const;
  // An object's member names in the order written; empty for anything else.
  std::vector<std::string> keys() const;

 private:
  const JsonInput* input_;
  const void* value_;
  std::string path_;
};

// Issues about one input file, each located at its path: the base of the trial and entity
// readers' checks.
class JsonInputReporter {
 protected:
  JsonInputReporter(const JsonInput& in, Issues& issues) : in_(in), issues_(issues) {}

  void error(const std::string& path, std::string message,
             IssueType code = IssueType::BusinessRule) const {
    in_.report(issues_, path, std::move(message), Severity::Error, code);
  }
  void warning(const std::string& path, std::string message) const {
    in_.report(issues_, path, std::move(message), Severity::Warning, IssueType::BusinessRule);
  }
  void information(const std::string& path, std::string message) const {
    in_.report(issues_, path, std::move(message), Severity::Information, IssueType::Informational);
  }

  const JsonInput& in_;
  Issues& issues_;
};

// Reads the members of one object with type checks, for files that have no JSON Schema (the
// service's configuration). Each accessor reads one member when it is there (leaving `out` as it
// was when it is not), reports a wrong type or a number out of range as an error at the member's
// path, and remembers the name; noOthers(), called last, reports every member that no accessor
// asked for. A node that exists and is not an object is reported once, at construction; a node
// that does not exist reads as an empty object.
//
// With `overrides` (core/json_overrides.h), every accessor first asks for the member's variable:
// when it is set, its value replaces the file's, with the same checks, and an error is located at
// the variable's name instead of the member's path.
class JsonObjectReader {
 public:
  JsonObjectReader(const JsonNode& node, Issues& issues, JsonOverrides* overrides = nullptr);

  // The member `key` read as an object by a reader with the same issues and overrides, and
  // remembered as known. A section that is not in the file reads as empty (see present()).
  JsonObjectReader section(std::string_view key);
  // The object is in the file (as an object), or an override sets one of its members.
  bool present() const;
  const std::string& path() const { return node_.path(); }
  // The names of the object's members in the file, in their order (for objects keyed by names
  // the reader does not know beforehand, read with section()).
  std::vector<std::string> keys() const {
    return node_.isObject() ? node_.keys() : std::vector<std::string>{};
  }
  // True when an error has been reported (by any reader sharing these issues).
  bool hasErrors() const { return issues_.hasErrors(); }

  // The member, remembered as known, without a type check and without overrides.
  JsonNode member(std::string_view key);
  void str(std::string_view key, std::string& out);
  void boolean(std::string_view key, bool& out);
  // A whole number from min to max.
  bool int64(std::string_view key, int64_t& out, int64_t min, int64_t max);
  template <typename T>
  void integer(std::string_view key, T& out, int64_t min, int64_t max) {
    int64_t v = 0;
    if (int64(key, v, min, max)) out = static_cast<T>(v);
  }
  void strings(std::string_view key, std::vector<std::string>& out);
  void stringMap(std::string_view key, std::map<std::string, std::string>& out);
  void listMap(std::string_view key, std::map<std::string, std::vector<std::string>>& out);
  // A secret string (a password, a connection string that holds one): the member `key` itself,
  // or the member `key`File naming a regular file that holds it (at most kMaxSecretBytes,
  // trailing white space dropped, not empty), not both. With overrides, the variables NAME and
  // NAME_FILE (NAME the member's variable) the same way, and before the file's members. A relative
  // file name is taken from the working directory. True when a value was read.
  static constexpr size_t kMaxSecretBytes = 64u * 1024u;
  bool secret(std::string_view key, std::string& out);
  // True when `key` was given, in the file or by an override.
  bool given(std::string_view key) const;
  // Reports an error at the member `key`, or at the variable that set it.
  void error(std::string_view key, std::string message);
  // Reports an error at item `index` of the array member `key`, or at the variable that set it.
  void error(std::string_view key, size_t index, std::string message);
  // Reports an error about the object as a whole (a combination of members), at its path.
  void error(std::string message);
  // Reports every member not asked for: "is not a known {noun}".
  void noOthers(std::string_view noun = "member");

 private:
  // Where a member's value comes from: the file's node, or a variable (its name and its value
  // parsed as JSON). `failed`: the variable's value is not JSON (already reported).
  struct Found {
    JsonNode node;
    std::string variable;
    bool failed = false;
  };
  Found find(std::string_view key, bool plainText, std::string* text);
  std::string variableFor(std::string_view key) const;
  void fail(const Found& at, std::string message);
  void fail(const JsonNode& at, std::string message);
  void readSecretFile(const Found& at, const std::string& file, std::string& out);

  JsonNode node_;
  Issues& issues_;
  JsonOverrides* overrides_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace trialbridge::core
