#pragma once
// Internal to tb_mapping (includes RapidJSON; not part of the layer's public API).
//
// A JSON input file (a trial definition or an entity) read for the mapping layer: the RapidJSON
// document, and for every value its JSON path ($.arms[0].interventions[1].dose), the line and
// column where it starts, and, for numbers, the text exactly as written (so that 0.30 stays 0.30
// when it becomes a FHIR decimal). Paths are JSONPath: members as .name (or ['name'] when the
// name is not an identifier), array items as [i].
#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/issue.h"

namespace trialbridge::mapping::detail {

class JsonInput {
 public:
  static constexpr size_t kMaxBytes = 16u * 1024u * 1024u;
  static constexpr uint32_t kMaxDepth = 64;

  // Parses text. On malformed JSON, input over the limits or duplicate member names, adds error
  // issues (with line and column) and returns false.
  bool parse(std::string_view text, core::Issues& issues);

  const rapidjson::Value& root() const { return document_; }

  // Where the value at `path` starts; for a path that does not exist, its nearest ancestor.
  void locate(std::string_view path, uint32_t& line, uint32_t& column) const;
  // The number at `path` as written in the text, or "" when there is none.
  std::string numberText(std::string_view path) const;

  // Adds an issue located at `path` (the issue's location; the message is the reason only).
  void report(core::Issues& issues, std::string path, std::string message,
              core::Severity severity = core::Severity::Error,
              core::IssueType code = core::IssueType::Invalid) const;

  static std::string memberPath(std::string_view parent, std::string_view name);
  static std::string itemPath(std::string_view parent, size_t index);

 private:
  struct Position {
    uint32_t offset = 0;
    std::string number;  // raw number text
  };
  friend class PositionRecorder;

  std::string_view text_;
  std::string owned_;
  rapidjson::Document document_;
  std::unordered_map<std::string, Position> positions_;
};

}  // namespace trialbridge::mapping::detail

namespace trialbridge::mapping::detail {

// A value of a JsonInput with its path; missing members give a Node that does not exist, so that
// readers can walk optional parts without checks at every step. Accessors return empty values for
// missing members or members of another type (the schema has checked the types already).
class Node {
 public:
  Node(const JsonInput& input, const rapidjson::Value* value, std::string path)
      : input_(&input), value_(value), path_(std::move(path)) {}

  bool exists() const { return value_ != nullptr; }
  const std::string& path() const { return path_; }
  const JsonInput& input() const { return *input_; }
  const rapidjson::Value* value() const { return value_; }

  bool has(std::string_view key) const { return get(key).exists(); }
  Node get(std::string_view key) const {
    if (value_ == nullptr || !value_->IsObject())
      return {*input_, nullptr, JsonInput::memberPath(path_, key)};
    auto it = value_->FindMember(rapidjson::StringRef(key.data(), key.size()));
    return {*input_, it == value_->MemberEnd() ? nullptr : &it->value,
            JsonInput::memberPath(path_, key)};
  }
  std::string str() const {
    return value_ != nullptr && value_->IsString()
               ? std::string(value_->GetString(), value_->GetStringLength())
               : std::string();
  }
  std::string str(std::string_view key) const { return get(key).str(); }
  // A number as written.
  std::string number() const {
    return value_ != nullptr && value_->IsNumber() ? input_->numberText(path_) : std::string();
  }
  double real() const {
    return value_ != nullptr && value_->IsNumber() ? value_->GetDouble() : 0.0;
  }
  int integer() const { return value_ != nullptr && value_->IsInt() ? value_->GetInt() : 0; }
  bool isTrue() const { return value_ != nullptr && value_->IsBool() && value_->GetBool(); }
  bool isBool() const { return value_ != nullptr && value_->IsBool(); }
  size_t size() const { return value_ != nullptr && value_->IsArray() ? value_->Size() : 0; }
  Node item(size_t i) const {
    return {*input_, i < size() ? &(*value_)[static_cast<rapidjson::SizeType>(i)] : nullptr,
            JsonInput::itemPath(path_, i)};
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < size(); ++i) out.push_back(item(i).str());
    return out;
  }

 private:
  const JsonInput* input_;
  const rapidjson::Value* value_;
  std::string path_;
};

// Issues about one input file, each located at its path: the base of the trial and entity
// readers' checks.
class InputReporter {
 protected:
  InputReporter(const JsonInput& in, core::Issues& issues) : in_(in), issues_(issues) {}

  void error(const std::string& path, std::string message,
             core::IssueType code = core::IssueType::BusinessRule) const {
    in_.report(issues_, path, std::move(message), core::Severity::Error, code);
  }
  void warning(const std::string& path, std::string message) const {
    in_.report(issues_, path, std::move(message), core::Severity::Warning,
               core::IssueType::BusinessRule);
  }
  void information(const std::string& path, std::string message) const {
    in_.report(issues_, path, std::move(message), core::Severity::Information,
               core::IssueType::Informational);
  }

  const JsonInput& in_;
  core::Issues& issues_;
};

}  // namespace trialbridge::mapping::detail
