#include "core/json_overrides.h"

#include <unistd.h>

#include <cstdio>

#include "core/json_input.h"

extern char** environ;  // NOLINT: POSIX

namespace trialbridge::core {

JsonOverrides::JsonOverrides(std::string prefix, std::map<std::string, std::string> variables)
    : prefix_(std::move(prefix)) {
  for (auto& [name, value] : variables) {
    if (name.rfind(prefix_, 0) == 0) variables_.emplace(name, std::move(value));
  }
}

JsonOverrides::~JsonOverrides() = default;
JsonOverrides::JsonOverrides(JsonOverrides&&) noexcept = default;

JsonOverrides JsonOverrides::fromEnvironment(std::string prefix) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos || entry.rfind(prefix, 0) != 0) continue;
    vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return JsonOverrides(std::move(prefix), std::move(vars));
}

namespace {

bool isLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

// "keepAliveSeconds" -> "KEEP_ALIVE_SECONDS"; "" for a name that is not an identifier.
std::string upperSnake(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!isLower(c) && !isUpper(c) && c != '_') return "";
    if (isUpper(c) && i > 0 && isLower(name[i - 1])) out += '_';
    out += isUpper(c) || c == '_' || (c >= '0' && c <= '9') ? c : static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// The text as a JSON string.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

std::string JsonOverrides::nameFor(std::string_view path) const {
  if (path.rfind('$', 0) != 0) return "";
  path.remove_prefix(1);
  std::string out = prefix_;
  bool first = true;
  while (!path.empty()) {
    if (path[0] != '.') return "";  // an array item or a quoted member name
    path.remove_prefix(1);
    const size_t end = std::min(path.find('.'), path.find('['));
    const std::string part = upperSnake(path.substr(0, end));
    if (part.empty()) return "";
    if (!first) out += '_';
    out += part;
    first = false;
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return first ? "" : out;
}

const std::string* JsonOverrides::take(const std::string& name) {
  asked_.insert(name);
  auto it = variables_.find(name);
  return it == variables_.end() ? nullptr : &it->second;
}

bool JsonOverrides::anyUnder(std::string_view path) const {
  const std::string name = nameFor(path);
  if (name.empty()) return false;
  const std::string start = name + "_";
  auto it = variables_.lower_bound(start);
  return it != variables_.end() && it->first.rfind(start, 0) == 0;
}

std::vector<std::string> JsonOverrides::unused(std::span<const std::string> reserved) const {
  std::vector<std::string> out;
  for (const auto& [name, value] : variables_) {
    if (asked_.count(name) != 0) continue;
    bool skip = false;
    for (const std::string& r : reserved) skip = skip || name.rfind(r, 0) == 0;
    if (!skip) out.push_back(name);
  }
  return out;
}

std::vector<std::string> JsonOverrides::applied() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : variables_) {
    if (asked_.count(name) != 0) out.push_back(name);
  }
  return out;
}

JsonNode JsonOverrides::parse(const std::string& name, const std::string& text, Issues& issues) {
  parsed_.push_back(std::make_unique<JsonInput>());
  JsonInput& input = *parsed_.back();
  if (text.size() > kMaxValueBytes) {
    issues.add(Severity::Error, IssueType::TooLong,
               "is longer than " + std::to_string(kMaxValueBytes) + " bytes", name);
    return {input, nullptr, "$"};
  }
  // A value that does not look like an array, an object or a string is read as a string when it
  // is not JSON, so that the setting's own check says what it must be ("must be a whole number
  // from 0 to 65535" for port=x).
  const size_t first = text.find_first_not_of(" \t\r\n");
  const bool structured = first != std::string::npos &&
                          (text[first] == '[' || text[first] == '{' || text[first] == '"');
  Issues parseIssues;
  if (input.parse(text, parseIssues)) return input.root();
  if (!structured) {
    Issues ignored;
    if (input.parse(quoted(text), ignored)) return input.root();
  }
  std::string reason = parseIssues.empty() ? "not JSON" : parseIssues.items()[0].message;
  constexpr std::string_view kMalformed = "malformed JSON: ";
  if (reason.rfind(kMalformed, 0) == 0) reason = reason.substr(kMalformed.size());
  issues.add(Severity::Error, IssueType::Structure, "is not JSON (" + reason + ")", name);
  return {input, nullptr, "$"};
}

}  // namespace trialbridge::core
