#include "core/json_input.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/json_overrides.h"

namespace trialbridge::core {

struct JsonInput::Impl {
  struct Position {
    uint32_t offset = 0;
    std::string number;  // raw number text
  };
  std::string_view text;
  std::string owned;
  rapidjson::Document document;
  std::unordered_map<std::string, Position> positions;
  bool parsed = false;
};

JsonInput::JsonInput() : impl_(std::make_unique<Impl>()) {}
JsonInput::~JsonInput() = default;

JsonNode JsonInput::root() const {
  return {*this, impl_->parsed ? &impl_->document : nullptr, "$"};
}

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
class JsonPositionRecorder
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonPositionRecorder> {
 public:
  JsonPositionRecorder(JsonInput::Impl& input, rapidjson::StringStream& stream, Issues& issues)
      : input_(input), stream_(stream), issues_(issues) {}

  bool Null() { return scalar(Token::Literal); }
  bool Bool(bool) { return scalar(Token::Literal); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    const std::string path = valuePath();
    record(path, valueStart(Token::StringOrNumber));
    input_.positions[path].number.assign(str, length);
    advance();
    return true;
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    if (!character(str, length)) return false;
    return scalar(Token::StringOrNumber);
  }
  bool StartObject() { return open(false); }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    if (!character(str, length)) return false;
    Frame& f = frames_.back();
    f.key.assign(str, length);
    if (!f.keys.insert(f.key).second) {
      const std::string path = JsonInput::memberPath(f.path, f.key);
      uint32_t line = 0, column = 0;
      lineColumnOf(input_.text, tokenStart(Token::StringOrNumber), line, column);
      issues_.add(Severity::Error, IssueType::Duplicate,
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
  bool surrogate() const { return surrogate_; }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;
    std::string path;
    std::string key;
    std::set<std::string> keys;
  };

  // RapidJSON 1.1 takes an escaped low surrogate without its high one ("\uDC00") and writes it
  // to the string as UTF-8 bytes (ED B0 80) that are no character: such a string could not be
  // written out and read again. The rule (RFC 8259 section 8.2, Unicode): a string is characters;
  // the escape of a lone surrogate is refused.
  bool character(const char* str, rapidjson::SizeType length) {
    for (rapidjson::SizeType i = 0; i + 1 < length; ++i) {
      if (static_cast<unsigned char>(str[i]) == 0xED &&
          static_cast<unsigned char>(str[i + 1]) >= 0xA0) {
        surrogate_ = true;
        return false;
      }
    }
    return true;
  }

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
      const char c = tell < input_.text.size() ? input_.text[tell] : '\0';
      return c == '{' || c == '[' ? tell : tell - 1;
    }
    size_t i = tell;
    while (i > 0 && std::isalpha(static_cast<unsigned char>(input_.text[i - 1])) != 0) --i;
    return i;
  }
  // Where the current value starts: for members, the member name's opening quote (an error
  // about a member is best shown at its name); for array items and the root, the value itself.
  size_t valueStart(Token token) const {
    if (!frames_.empty() && !frames_.back().array) return keyOffset_;
    return tokenStart(token);
  }

  void record(const std::string& path, size_t offset) {
    input_.positions[path].offset = static_cast<uint32_t>(offset);
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

  JsonInput::Impl& input_;
  rapidjson::StringStream& stream_;
  Issues& issues_;
  std::vector<Frame> frames_;
  size_t keyOffset_ = 0;
  bool tooDeep_ = false;
  bool duplicate_ = false;
  bool surrogate_ = false;
};

bool JsonInput::parse(std::string_view text, Issues& issues) {
  if (text.size() > kMaxBytes) {
    issues.add(Severity::Fatal, IssueType::TooLong,
               "the file is larger than " + std::to_string(kMaxBytes / (1024 * 1024)) + " MiB",
               "$");
    return false;
  }
  Impl& in = *impl_;
  in.parsed = false;
  // RapidJSON needs a terminating NUL; string_views from files need not have one.
  in.owned.assign(text.data(), text.size());
  // A UTF-8 byte order mark (editors on Windows write one) becomes white space, so that offsets,
  // lines and columns stay those of the file.
  if (in.owned.size() >= 3 && in.owned.compare(0, 3, "\xEF\xBB\xBF") == 0)
    in.owned.replace(0, 3, "   ");
  // RapidJSON's UTF-8 validation takes all the continuation bytes a lead byte announces before
  // it checks them: NULs past the terminator keep a sequence cut by the end inside the buffer.
  in.owned.append(4, '\0');
  in.text = std::string_view(in.owned.data(), text.size());
  in.positions.clear();
  {
    rapidjson::StringStream stream(in.owned.c_str());
    JsonPositionRecorder recorder(in, stream, issues);
    rapidjson::Reader reader;
    rapidjson::ParseResult ok =
        reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag |
                     rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag>(
            stream, recorder);
    if (recorder.tooDeep()) {
      uint32_t line = 0, column = 0;
      lineColumnOf(in.text, stream.Tell(), line, column);
      issues.add(Severity::Fatal, IssueType::TooCostly,
                 "the JSON is nested deeper than " + std::to_string(kMaxDepth) + " levels", "$",
                 line, column);
      return false;
    }
    if (recorder.surrogate()) {
      uint32_t line = 0, column = 0;
      lineColumnOf(in.text, stream.Tell(), line, column);
      issues.add(Severity::Fatal, IssueType::Structure,
                 "malformed JSON: a string escapes half of a surrogate pair (\\uD800-\\uDFFF "
                 "without its other half), which is no character",
                 "$", line, column);
      return false;
    }
    if (!ok) {
      uint32_t line = 0, column = 0;
      lineColumnOf(in.text, ok.Offset(), line, column);
      issues.add(Severity::Fatal, IssueType::Structure,
                 std::string("malformed JSON: ") + rapidjson::GetParseError_En(ok.Code()), "$",
                 line, column);
      return false;
    }
    // Anything but white space after the value is an error too.
    for (size_t i = stream.Tell(); i < in.text.size(); ++i) {
      const char c = in.owned[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        uint32_t line = 0, column = 0;
        lineColumnOf(in.text, i, line, column);
        issues.add(Severity::Fatal, IssueType::Structure,
                   "malformed JSON: text after the end of the document", "$", line, column);
        return false;
      }
    }
    if (recorder.duplicate()) return false;
  }
  in.document.Parse<rapidjson::kParseIterativeFlag>(in.owned.c_str(), in.text.size());
  if (in.document.HasParseError()) {  // e.g. a number too big for a double
    uint32_t line = 0, column = 0;
    lineColumnOf(in.text, in.document.GetErrorOffset(), line, column);
    issues.add(
        Severity::Fatal, IssueType::Structure,
        std::string("malformed JSON: ") + rapidjson::GetParseError_En(in.document.GetParseError()),
        "$", line, column);
    return false;
  }
  in.parsed = true;
  return true;
}

void JsonInput::locate(std::string_view path, uint32_t& line, uint32_t& column) const {
  std::string p(path);
  while (true) {
    auto it = impl_->positions.find(p);
    if (it != impl_->positions.end()) {
      lineColumnOf(impl_->text, it->second.offset, line, column);
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
  auto it = impl_->positions.find(std::string(path));
  return it == impl_->positions.end() ? std::string() : it->second.number;
}

void JsonInput::report(Issues& issues, std::string path, std::string message, Severity severity,
                       IssueType code) const {
  uint32_t line = 0, column = 0;
  locate(path, line, column);
  issues.add(severity, code, std::move(message), std::move(path), line, column);
}

namespace {
const rapidjson::Value* raw(const void* value) {
  return static_cast<const rapidjson::Value*>(value);
}
}  // namespace

JsonNode::Kind JsonNode::kind() const {
  const rapidjson::Value* v = raw(value_);
  if (v == nullptr) return Kind::Missing;
  switch (v->GetType()) {
    case rapidjson::kNullType: return Kind::Null;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return Kind::Bool;
    case rapidjson::kObjectType: return Kind::Object;
    case rapidjson::kArrayType: return Kind::Array;
    case rapidjson::kStringType: return Kind::String;
    case rapidjson::kNumberType: return Kind::Number;
  }
  return Kind::Null;
}

JsonNode JsonNode::get(std::string_view key) const {
  const rapidjson::Value* v = raw(value_);
  std::string path = JsonInput::memberPath(path_, key);
  if (v == nullptr || !v->IsObject()) return {*input_, nullptr, std::move(path)};
  auto it = v->FindMember(rapidjson::StringRef(key.data(), key.size()));
  return {*input_, it == v->MemberEnd() ? nullptr : &it->value, std::move(path)};
}

std::string JsonNode::str() const {
  const rapidjson::Value* v = raw(value_);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}

std::string JsonNode::number() const {
  return isNumber() ? input_->numberText(path_) : std::string();
}

double JsonNode::real() const { return isNumber() ? raw(value_)->GetDouble() : 0.0; }

int JsonNode::integer() const {
  const rapidjson::Value* v = raw(value_);
  return v != nullptr && v->IsInt() ? v->GetInt() : 0;
}

std::optional<int64_t> JsonNode::int64() const {
  const rapidjson::Value* v = raw(value_);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

bool JsonNode::isTrue() const {
  const rapidjson::Value* v = raw(value_);
  return v != nullptr && v->IsBool() && v->GetBool();
}

size_t JsonNode::size() const {
  const rapidjson::Value* v = raw(value_);
  return v != nullptr && v->IsArray() ? v->Size() : 0;
}

JsonNode JsonNode::item(size_t i) const {
  return {*input_, i < size() ? &(*raw(value_))[static_cast<rapidjson::SizeType>(i)] : nullptr,
          JsonInput::itemPath(path_, i)};
}

std::vector<std::string> JsonNode::strings() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < size(); ++i) out.push_back(item(i).str());
  return out;
}

std::vector<std::string> JsonNode::keys() const {
  std::vector<std::string> out;
  const rapidjson::Value* v = raw(value_);
  if (v == nullptr || !v->IsObject()) return out;
  for (const auto& m : v->GetObject())
    out.emplace_back(m.name.GetString(), m.name.GetStringLength());
  return out;
}

JsonObjectReader::JsonObjectReader(const JsonNode& node, Issues& issues, JsonOverrides* overrides)
    : node_(node), issues_(issues), overrides_(overrides) {
  if (node_.exists() && !node_.isObject()) fail(node_, "must be an object");
}

JsonObjectReader JsonObjectReader::section(std::string_view key) {
  known_.emplace(key);
  return JsonObjectReader(node_.get(key), issues_, overrides_);
}

bool JsonObjectReader::present() const {
  return node_.isObject() || (overrides_ != nullptr && overrides_->anyUnder(node_.path()));
}

void JsonObjectReader::fail(const JsonNode& at, std::string message) {
  node_.input().report(issues_, at.path(), std::move(message), Severity::Error,
                       IssueType::Structure);
}

void JsonObjectReader::fail(const Found& at, std::string message) {
  if (at.variable.empty()) return fail(at.node, std::move(message));
  issues_.add(Severity::Error, IssueType::Structure, std::move(message), at.variable);
}

std::string JsonObjectReader::variableFor(std::string_view key) const {
  return overrides_ == nullptr ? std::string()
                               : overrides_->nameFor(JsonInput::memberPath(node_.path(), key));
}

JsonObjectReader::Found JsonObjectReader::find(std::string_view key, bool plainText,
                                               std::string* text) {
  known_.emplace(key);
  if (const std::string name = variableFor(key); !name.empty()) {
    if (const std::string* value = overrides_->take(name)) {
      if (plainText) {
        *text = *value;
        return {JsonNode(node_.input(), nullptr, node_.path()), name};
      }
      JsonNode parsed = overrides_->parse(name, *value, issues_);
      const bool failed = !parsed.exists();
      return {std::move(parsed), name, failed};
    }
  }
  return {node_.get(key), ""};
}

bool JsonObjectReader::given(std::string_view key) const {
  const std::string name = variableFor(key);
  return node_.get(key).exists() || (!name.empty() && overrides_->isSet(name));
}

void JsonObjectReader::error(std::string_view key, std::string message) {
  // A variable's value is the one in force when both give the member.
  if (const std::string name = variableFor(key); !name.empty() && overrides_->isSet(name)) {
    issues_.add(Severity::Error, IssueType::Structure, std::move(message), name);
    return;
  }
  fail(node_.get(key), std::move(message));
}

void JsonObjectReader::error(std::string_view key, size_t index, std::string message) {
  if (const std::string name = variableFor(key); !name.empty() && overrides_->isSet(name)) {
    issues_.add(Severity::Error, IssueType::Structure, std::move(message), name);
    return;
  }
  node_.input().report(issues_, JsonInput::itemPath(node_.get(key).path(), index),
                       std::move(message), Severity::Error, IssueType::Structure);
}

void JsonObjectReader::error(std::string message) { fail(node_, std::move(message)); }

JsonNode JsonObjectReader::member(std::string_view key) {
  known_.emplace(key);
  return node_.get(key);
}

void JsonObjectReader::str(std::string_view key, std::string& out) {
  std::string text;
  const Found m = find(key, true, &text);
  if (!m.variable.empty()) {
    out = std::move(text);
    return;
  }
  if (!m.node.exists()) return;
  if (m.node.isString()) {
    out = m.node.str();
  } else {
    fail(m, "must be a string");
  }
}

void JsonObjectReader::boolean(std::string_view key, bool& out) {
  const Found m = find(key, false, nullptr);
  if (!m.node.exists() || m.failed) return;
  if (m.node.isBool()) {
    out = m.node.isTrue();
  } else {
    fail(m, "must be true or false");
  }
}

bool JsonObjectReader::int64(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  const Found m = find(key, false, nullptr);
  if (!m.node.exists() || m.failed) return false;
  const std::optional<int64_t> v = m.node.int64();
  if (!v || *v < min || *v > max) {
    fail(m, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  out = *v;
  return true;
}

void JsonObjectReader::strings(std::string_view key, std::vector<std::string>& out) {
  const Found m = find(key, false, nullptr);
  if (!m.node.exists() || m.failed) return;
  std::vector<std::string> values;
  for (size_t i = 0; i < m.node.size(); ++i) {
    if (!m.node.item(i).isString()) return fail(m, "must be an array of strings");
    values.push_back(m.node.item(i).str());
  }
  if (!m.node.isArray()) return fail(m, "must be an array of strings");
  out = std::move(values);
}

void JsonObjectReader::stringMap(std::string_view key, std::map<std::string, std::string>& out) {
  const Found m = find(key, false, nullptr);
  if (!m.node.exists() || m.failed) return;
  std::map<std::string, std::string> values;
  for (const std::string& name : m.node.keys()) {
    const JsonNode v = m.node.get(name);
    if (!v.isString()) return fail(m, "must be an object of strings");
    values[name] = v.str();
  }
  if (!m.node.isObject()) return fail(m, "must be an object of strings");
  out = std::move(values);
}

void JsonObjectReader::listMap(std::string_view key,
                               std::map<std::string, std::vector<std::string>>& out) {
  const Found m = find(key, false, nullptr);
  if (!m.node.exists() || m.failed) return;
  std::map<std::string, std::vector<std::string>> values;
  for (const std::string& name : m.node.keys()) {
    const JsonNode list = m.node.get(name);
    if (!list.isArray()) return fail(m, "must be an object of string arrays");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list.item(i).isString()) return fail(m, "must be an object of string arrays");
      values[name].push_back(list.item(i).str());
    }
  }
  if (!m.node.isObject()) return fail(m, "must be an object of string arrays");
  out = std::move(values);
}

void JsonObjectReader::readSecretFile(const Found& at, const std::string& file, std::string& out) {
  if (file.empty()) return fail(at, "must name a file");
  // Only a regular file (or a link to one, as Kubernetes mounts secrets): a FIFO or a device
  // would block start-up or never end.
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return fail(at, "names '" + file + "', which is not a regular file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(
        at, "names the file '" + file + "', which cannot be read (" + std::strerror(errno) + ")");
  }
  std::string text(kMaxSecretBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return fail(at, "names the file '" + file + "', which cannot be read");
  if (text.size() > kMaxSecretBytes) {
    return fail(at, "names the file '" + file + "', which is longer than " +
                        std::to_string(kMaxSecretBytes) + " bytes");
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) return fail(at, "names the file '" + file + "', which is empty");
  out = std::move(text);
}

bool JsonObjectReader::secret(std::string_view key, std::string& out) {
  const std::string fileKey = std::string(key) + "File";
  std::string direct, file;
  const Found d = find(key, true, &direct);
  const Found f = find(fileKey, true, &file);
  // The variables first: they replace whatever the file says about this setting.
  if (!d.variable.empty() && !f.variable.empty()) {
    fail(d, "and " + f.variable + " are both set; set one");
    return false;
  }
  if (!d.variable.empty()) {
    out = std::move(direct);
    return true;
  }
  if (!f.variable.empty()) {
    readSecretFile(f, file, out);
    return true;
  }
  if (d.node.exists() && f.node.exists()) {
    fail(f, "and '" + std::string(key) + "' are both given; give one");
    return false;
  }
  if (d.node.exists()) {
    if (!d.node.isString()) {
      fail(d, "must be a string");
      return false;
    }
    out = d.node.str();
    return true;
  }
  if (f.node.exists()) {
    if (!f.node.isString()) {
      fail(f, "must be a string (a file name)");
      return false;
    }
    readSecretFile(f, f.node.str(), out);
    return true;
  }
  return false;
}

void JsonObjectReader::noOthers(std::string_view noun) {
  for (const std::string& name : node_.keys()) {
    if (known_.count(name) == 0) fail(node_.get(name), "is not a known " + std::string(noun));
  }
}

}  // namespace trialbridge::core
