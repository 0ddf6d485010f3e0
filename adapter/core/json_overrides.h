#pragma once
// Settings given outside a JSON settings file: environment variables, one per setting, each named
// after the setting's JSON path by one rule, so that no list of names is kept beside the readers.
// JsonObjectReader (core/json_input.h) asks this for every setting it reads; a variable that sets
// a value replaces what the file says.
//
// The rule (nameFor): the prefix, then each member name of the path upper-cased, with '_' before
// every upper-case letter that follows a lower-case letter or a digit, the names joined by '_':
//   $.http.port              -> TRIALBRIDGE_HTTP_PORT
//   $.http.keepAliveSeconds  -> TRIALBRIDGE_HTTP_KEEP_ALIVE_SECONDS
//   $.store.database (a secret also read from a file) -> TRIALBRIDGE_STORE_DATABASE_FILE
// The value is the setting's value as written in JSON (8080, true, ["a","b"], {"k":"v"}), except
// that a string setting takes the variable's text as it is, without quotes. A value that is not
// JSON and does not start like an array, an object or a string is read as a string, so that the
// setting's own check says what it must be ("must be a whole number from 0 to 65535").
//
// Variables that start with the prefix but name no setting are errors of the caller's choosing:
// unused() lists them once every setting has been read.
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"

namespace trialbridge::core {

class JsonInput;
class JsonNode;

class JsonOverrides {
 public:
  // At most this many bytes in one variable's value.
  static constexpr size_t kMaxValueBytes = 64u * 1024u;

  // `variables`: name -> value; only names that start with `prefix` are kept.
  JsonOverrides(std::string prefix, std::map<std::string, std::string> variables);
  ~JsonOverrides();
  JsonOverrides(const JsonOverrides&) = delete;
  JsonOverrides& operator=(const JsonOverrides&) = delete;
  JsonOverrides(JsonOverrides&&) noexcept;

  // The process environment's variables that start with `prefix`.
  static JsonOverrides fromEnvironment(std::string prefix);

  // The variable of the setting at `path` ("$.http.port"); array items are not addressable, and
  // a member name that is not an identifier gives "".
  std::string nameFor(std::string_view path) const;
  // The variable's value, or nullptr when it is not set. Remembers the name as a setting's, set
  // or not.
  const std::string* take(const std::string& name);
  // True when the variable is set (whether or not a setting asked for it).
  bool isSet(const std::string& name) const { return variables_.count(name) != 0; }
  // True when a variable names a setting inside the object at `path` (starts with its name and
  // '_').
  bool anyUnder(std::string_view path) const;
  // The variables that start with the prefix that no take() asked for, in name order, leaving out
  // those that start with one of `reserved` (variables of the same prefix read elsewhere).
  std::vector<std::string> unused(std::span<const std::string> reserved = {}) const;
  // The variables that set a value (asked for and present), in name order.
  std::vector<std::string> applied() const;
  const std::string& prefix() const { return prefix_; }

  // Parses a variable's value as JSON; the node lives as long as this object. On malformed JSON
  // or a value over kMaxValueBytes, adds an error located at the variable's name and returns a
  // node that does not exist.
  JsonNode parse(const std::string& name, const std::string& text, Issues& issues);

 private:
  std::string prefix_;
  std::map<std::string, std::string> variables_;
  std::set<std::string, std::less<>> asked_;
  std::vector<std::unique_ptr<JsonInput>> parsed_;
};

}  // namespace trialbridge::core
