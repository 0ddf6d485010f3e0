#pragma once
// The JSON the publisher sends to and reads from registries, as a small tree: what is sent is
// the stored resource with its id and meta dropped, an identifier to find it by, and references
// rewritten to the registry's ids; what is compared (to skip a send, or to see that a send
// landed) is the canonical form of that content; what a dry run shows is a diff, field by field.
//
// Parsing uses core::JsonInput (its size and depth limits, UTF-8 and duplicate-member checks):
// a registry's answer is untrusted input.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::service {

struct JsonMember;

struct JsonTree {
  enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  std::string text;                 // Bool: "true"/"false"; Number: as written; String: the value
  std::vector<JsonMember> members;  // Object, in order
  std::vector<JsonTree> items;      // Array

  static JsonTree string(std::string value);
  static JsonTree object();
  static JsonTree array();
  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }

  // Object members: the first with this name, or null.
  const JsonTree* get(std::string_view name) const;
  JsonTree* get(std::string_view name);
  // The string value of a member ("" when absent or not a string).
  std::string str(std::string_view name) const;
  void remove(std::string_view name);
  // Sets a member (replacing the first with this name, else appending).
  JsonTree& set(std::string_view name, JsonTree value);
};

struct JsonMember {
  std::string name;
  JsonTree value;
};

// Parses JSON text; nullopt with `error` ("line 3, column 7: ...") when it is not JSON or is
// over the limits.
std::optional<JsonTree> parseJsonTree(std::string_view text, std::string& error);

// Compact JSON. `canonical`: members sorted by name at every level and numbers written in their
// shortest round-trip form (1.50 and 1.5 are the same number), so that two copies of the same
// content give the same text whoever wrote them.
std::string writeJsonTree(const JsonTree& tree, bool canonical = false);

// The content of a resource as the publisher compares it: the canonical form without the root's
// `id` and `meta` (which every server sets its own way).
std::string canonicalContent(const JsonTree& resource);
// SHA-256 of `text`, in lower-case hex.
std::string sha256Hex(std::string_view text);

// One difference between two JSON values, located by a FHIR-style path
// ("identifier[0].value", "status"); `before` and `after` are compact JSON, "" when absent.
struct FieldChange {
  std::string path;
  std::string before, after;
};
// The differences from `before` to `after`: members compared by name, arrays item by item
// (a longer or shorter array gives added or removed items). Objects are descended into; other
// values are compared by their canonical text. At most `limit` changes (the rest are dropped).
std::vector<FieldChange> diffJson(const JsonTree& before, const JsonTree& after,
                                  size_t limit = 1000);

// Calls `fn` on every `reference` string member below `tree` (a Reference's reference), with a
// way to replace it.
void forEachReference(JsonTree& tree, const std::function<void(std::string& reference)>& fn);

}  // namespace trialbridge::service
