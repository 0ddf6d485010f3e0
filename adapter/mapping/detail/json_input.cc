#include "mapping/detail/json_input.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cctype>
#include <set>
#include <vector>

#include "core/json.h"

namespace trialbridge::mapping::detail {

namespace {

bool isIdentifierName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

}  // namespace

std::string JsonInput::memberPath(std::string_view parent, std::string_view name) {
  std::string p(parent);
  if (isIdentifierName(name)) {
    p += '.';
    p += name;
  } else {
    p += "['";
    for (char c : name) {
      if (c == '\'' || c == '\\') p += '\\';
      p += c;
    }
    p += "']";
  }
  return p;
}

std::string JsonInput::itemPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

// SAX pass: records where each value starts, raw number texts, and finds duplicate members and
// nesting deeper than the limit.
class PositionRecorder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PositionRecorder> {
 public:
  PositionRecorder(JsonInput& input, rapidjson::StringStream& stream, core::Issues& issues)
      : input_(input), stream_(stream), issues_(issues) {}

  bool Null() { return scalar(Token::Literal); }
  bool Bool(bool) { return scalar(Token::Literal); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    const std::string path = valuePath();
    record(path, valueStart(Token::StringOrNumber));
    input_.positions_[path].number.assign(str, length);
    advance();
    return true;
  }
  bool String(const char*, rapidjson::SizeType, bool) { return scalar(Token::StringOrNumber); }
  bool StartObject() { return open(false); }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    Frame& f = frames_.back();
    f.key.assign(str, length);
    if (!f.keys.insert(f.key).second) {
      const std::string path = JsonInput::memberPath(f.path, f.key);
      uint32_t line = 0, column = 0;
      core::lineColumnOf(input_.text_, tokenStart(Token::StringOrNumber), line, column);
      issues_.add(core::Severity::Error, core::IssueType::Duplicate,
                  "the member '" + f.key + "' is given twice", path, line, column);
      duplicate_ = true;
    }
    keyOffset_ = tokenStart(Token::StringOrNumber);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(true); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  bool tooDeep() const { return tooDeep_; }
  bool duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;
    std::string path;
    std::string key;
    std::set<std::string> keys;
  };

  std::string valuePath() const {
    if (frames_.empty()) return "$";
    const Frame& f = frames_.back();
    return f.array ? JsonInput::itemPath(f.path, f.index) : JsonInput::memberPath(f.path, f.key);
  }
  // Where the token just reported starts. RapidJSON parses strings and numbers on a local copy
  // of the stream and calls the handler before copying the position back, so for those Tell()
  // is still the token's start; for literals and brackets it is just past them.
  enum class Token { StringOrNumber, Literal, Bracket };
  size_t tokenStart(Token token) const {
    const size_t tell = stream_.Tell();
    if (token == Token::StringOrNumber || tell == 0) return tell;
    if (token == Token::Bracket) {
      // The iterative parser reports a bracket before taking it; the recursive one after.
      const char c = tell < input_.text_.size() ? input_.text_[tell] : '\0';
      return c == '{' || c == '[' ? tell : tell - 1;
    }
    size_t i = tell;
    while (i > 0 && std::isalpha(static_cast<unsigned char>(input_.text_[i - 1])) != 0) --i;
    return i;
  }
  // Where the current value starts: for members, the member name's opening quote (an error
  // about a member is best shown at its name); for array items and the root, the value itself.
  size_t valueStart(Token token) const {
    if (!frames_.empty() && !frames_.back().array) return keyOffset_;
    return tokenStart(token);
  }

  void record(const std::string& path, size_t offset) {
    input_.positions_[path].offset = static_cast<uint32_t>(offset);
  }
  void advance() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  bool scalar(Token token) {
    record(valuePath(), valueStart(token));
    advance();
    return true;
  }
  bool open(bool array) {
    const std::string path = valuePath();
    record(path, valueStart(Token::Bracket));
    if (frames_.size() >= JsonInput::kMaxDepth) {
      tooDeep_ = true;
      return false;
    }
    Frame f;
    f.array = array;
    f.path = path;
    frames_.push_back(std::move(f));
    return true;
  }
  bool close() {
    frames_.pop_back();
    advance();
    return true;
  }

  JsonInput& input_;
  rapidjson::StringStream& stream_;
  core::Issues& issues_;
  std::vector<Frame> frames_;
  size_t keyOffset_ = 0;
  bool tooDeep_ = false;
  bool duplicate_ = false;
};

bool JsonInput::parse(std::string_view text, core::Issues& issues) {
  if (text.size() > kMaxBytes) {
    issues.add(core::Severity::Fatal, core::IssueType::TooLong,
               "the file is larger than " + std::to_string(kMaxBytes / (1024 * 1024)) + " MiB",
               "$");
    return false;
  }
  // RapidJSON needs a terminating NUL; string_views from files need not have one.
  owned_.assign(text.data(), text.size());
  // A UTF-8 byte order mark (editors on Windows write one) becomes white space, so that offsets,
  // lines and columns stay those of the file.
  if (owned_.size() >= 3 && owned_.compare(0, 3, "\xEF\xBB\xBF") == 0) owned_.replace(0, 3, "   ");
  text_ = owned_;
  positions_.clear();
  {
    rapidjson::StringStream stream(owned_.c_str());
    PositionRecorder recorder(*this, stream, issues);
    rapidjson::Reader reader;
    rapidjson::ParseResult ok =
        reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag |
                     rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag>(
            stream, recorder);
    if (recorder.tooDeep()) {
      uint32_t line = 0, column = 0;
      core::lineColumnOf(text_, stream.Tell(), line, column);
      issues.add(core::Severity::Fatal, core::IssueType::TooCostly,
                 "the JSON is nested deeper than " + std::to_string(kMaxDepth) + " levels", "$",
                 line, column);
      return false;
    }
    if (!ok) {
      uint32_t line = 0, column = 0;
      core::lineColumnOf(text_, ok.Offset(), line, column);
      issues.add(core::Severity::Fatal, core::IssueType::Structure,
                 std::string("malformed JSON: ") + rapidjson::GetParseError_En(ok.Code()), "$",
                 line, column);
      return false;
    }
    // Anything but white space after the value is an error too.
    for (size_t i = stream.Tell(); i < owned_.size(); ++i) {
      const char c = owned_[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        uint32_t line = 0, column = 0;
        core::lineColumnOf(text_, i, line, column);
        issues.add(core::Severity::Fatal, core::IssueType::Structure,
                   "malformed JSON: text after the end of the document", "$", line, column);
        return false;
      }
    }
    if (recorder.duplicate()) return false;
  }
  document_.Parse<rapidjson::kParseIterativeFlag>(owned_.c_str(), owned_.size());
  if (document_.HasParseError()) {  // e.g. a number too big for a double
    uint32_t line = 0, column = 0;
    core::lineColumnOf(text_, document_.GetErrorOffset(), line, column);
    issues.add(
        core::Severity::Fatal, core::IssueType::Structure,
        std::string("malformed JSON: ") + rapidjson::GetParseError_En(document_.GetParseError()),
        "$", line, column);
    return false;
  }
  return true;
}

void JsonInput::locate(std::string_view path, uint32_t& line, uint32_t& column) const {
  std::string p(path);
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) {
      core::lineColumnOf(text_, it->second.offset, line, column);
      return;
    }
    // Strip the last step: [i], .name or ['name'].
    if (p.size() <= 1) break;
    const size_t dot = p.find_last_of(".[");
    if (dot == std::string::npos || dot == 0) break;
    p.resize(dot);
  }
  line = 1;
  column = 1;
}

std::string JsonInput::numberText(std::string_view path) const {
  auto it = positions_.find(std::string(path));
  return it == positions_.end() ? std::string() : it->second.number;
}

void JsonInput::report(core::Issues& issues, std::string path, std::string message,
                       core::Severity severity, core::IssueType code) const {
  uint32_t line = 0, column = 0;
  locate(path, line, column);
  issues.add(severity, code, std::move(message), std::move(path), line, column);
}

}  // namespace trialbridge::mapping::detail
