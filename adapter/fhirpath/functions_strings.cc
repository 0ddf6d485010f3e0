// String functions (FHIRPath N1 section 5.6), regular expressions, and the encodings and escapes
// of the FHIRPath 2.0 additions (encode, decode, escape, unescape). Positions and lengths count
// code points, not bytes.
#include <algorithm>
#include <unordered_map>

#include "core/regex.h"
#include "core/text.h"
#include "fhirpath/functions.h"

namespace trialbridge::fhirpath {

namespace {

// Number of UTF-8 code points.
size_t utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `cp` (s.size() if past the end).
size_t utf8Offset(std::string_view s, size_t cp) {
  size_t i = 0, n = 0;
  while (i < s.size() && n < cp) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    ++n;
  }
  return i;
}

// --- regular expressions: literal patterns compiled at compile time (Node::compiled), others
// in a per-thread cache ---

struct CompiledRegex {
  std::unique_ptr<const core::Regex> re;
  std::string error;
};

std::shared_ptr<const CompiledRegex> compileRegex(const std::string& pattern, bool full) {
  auto r = std::make_shared<CompiledRegex>();
  r->re = core::Regex::compile(pattern, full, r->error);
  return r;
}

const CompiledRegex& regexFor(const Node* n, std::string_view pattern, bool full) {
  if (n->compiled != nullptr) return *static_cast<const CompiledRegex*>(n->compiled.get());
  thread_local std::unordered_map<std::string, std::shared_ptr<const CompiledRegex>> cache[2];
  auto& c = cache[full ? 1 : 0];
  std::string key(pattern);
  auto it = c.find(key);
  if (it != c.end()) return *it->second;
  if (c.size() > 512) c.clear();
  auto r = compileRegex(key, full);
  return *c.emplace(std::move(key), std::move(r)).first->second;
}

// The compiled pattern of a call, or an evaluation error when the pattern is not valid.
const core::Regex& regexOf(const Call& c, std::string_view pattern, bool full) {
  const CompiledRegex& re = regexFor(c.n, pattern, full);
  if (!re.re) c.fail("invalid regular expression: " + re.error);
  return *re.re;
}

// --- searching and testing ---

void indexOf(Call& c, Coll& out) {
  auto s = c.inputString();
  auto sub = c.argString(0);
  if (!s || !sub) return;
  size_t p = s->find(*sub);
  c.push(out, Value::ofInteger(p == std::string_view::npos
                                   ? -1
                                   : static_cast<int64_t>(utf8Length(s->substr(0, p)))));
}

void substring(Call& c, Coll& out) {
  auto s = c.inputString();
  auto start = c.argInteger(0);
  if (!s || !start) return;
  const int64_t len = static_cast<int64_t>(utf8Length(*s));
  if (*start < 0 || *start >= len) return;
  int64_t count = len - *start;
  if (c.args().size() > 1) {
    auto n = c.argInteger(1);
    if (!n) return;
    count = std::min(count, std::max<int64_t>(*n, 0));
  }
  size_t b = utf8Offset(*s, static_cast<size_t>(*start));
  size_t e = utf8Offset(*s, static_cast<size_t>(*start + count));
  c.push(out, Value::ofString(s->substr(b, e - b)));
}

// startsWith, endsWith, contains: a test of the input against the argument.
template <bool (*test)(std::string_view s, std::string_view sub)>
void stringTest(Call& c, Coll& out) {
  auto s = c.inputString();
  auto sub = c.argString(0);
  if (!s || !sub) return;
  c.push(out, Value::ofBoolean(test(*s, *sub)));
}

bool startsWith(std::string_view s, std::string_view sub) { return s.substr(0, sub.size()) == sub; }
bool endsWith(std::string_view s, std::string_view sub) {
  return s.size() >= sub.size() && s.substr(s.size() - sub.size()) == sub;
}
bool contains(std::string_view s, std::string_view sub) {
  return s.find(sub) != std::string_view::npos;
}

// matches (anywhere) and matchesFull (the whole input).
template <bool full>
void matches(Call& c, Coll& out) {
  auto s = c.inputString();
  auto pattern = c.argString(0);
  if (!s || !pattern) return;
  const core::Regex& re = regexOf(c, *pattern, full);
  bool r = false;
  try {
    r = re.find(*s);
  } catch (const std::exception& ex) {
    c.fail(std::string("regular expression failed: ") + ex.what());
  }
  c.push(out, Value::ofBoolean(r));
}

void length(Call& c, Coll& out) {
  auto s = c.inputString();
  if (s) c.push(out, Value::ofInteger(static_cast<int64_t>(utf8Length(*s))));
}

// --- building new strings ---

// upper and lower: ASCII letters only.
template <bool upper>
void changeCase(Call& c, Coll& out) {
  auto s = c.inputString();
  if (!s) return;
  std::string r(*s);
  for (char& ch : r) {
    if (upper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (!upper && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  c.push(out, c.e.makeString(r));
}

// replace(pattern, substitution), literal; an empty pattern puts the substitution around
// every character.
void replace(Call& c, Coll& out) {
  auto s = c.inputString();
  auto pattern = c.argString(0);
  auto subst = c.argString(1);
  if (!s || !pattern || !subst) return;
  std::string r;
  if (pattern->empty()) {
    r += *subst;
    for (char ch : *s) {
      r += ch;
      r += *subst;
    }
  } else {
    size_t p = 0;
    while (true) {
      size_t q = s->find(*pattern, p);
      if (q == std::string_view::npos) break;
      r += s->substr(p, q - p);
      r += *subst;
      p = q + pattern->size();
    }
    r += s->substr(p);
  }
  c.push(out, c.e.makeString(r));
}

// Appends `subst` with $0..$9 replaced by the groups of match `m` of `subject`.
void appendSubstitution(std::string& result, std::string_view subst, const std::string& subject,
                        const std::vector<core::Regex::Span>& m) {
  for (size_t i = 0; i < subst.size(); ++i) {
    const char ch = subst[i];
    if (ch == '$' && i + 1 < subst.size() && subst[i + 1] >= '0' && subst[i + 1] <= '9') {
      const size_t g = static_cast<size_t>(subst[++i] - '0');
      if (g < m.size() && m[g].offset != std::string::npos) {
        result.append(subject, m[g].offset, m[g].length);
      }
    } else {
      result += ch;
    }
  }
}

// Every match of `re` in `subject` replaced; an empty match copies one character and moves on.
// Returns the position up to which `result` covers the subject (past its end when all of it).
size_t replaceAll(const core::Regex& re, const std::string& subject, std::string_view subst,
                  std::string& result) {
  size_t pos = 0;
  std::vector<core::Regex::Span> m;
  while (pos <= subject.size()) {
    if (!re.find(subject, pos, &m) || m[0].offset == std::string::npos) break;
    result.append(subject, pos, m[0].offset - pos);
    appendSubstitution(result, subst, subject, m);
    pos = m[0].offset + m[0].length;
    if (m[0].length == 0) {
      if (pos >= subject.size()) return subject.size() + 1;
      const size_t step = utf8Offset(std::string_view(subject).substr(pos), 1);
      result.append(subject, pos, step);
      pos += step;
    }
  }
  return pos;
}

void replaceMatches(Call& c, Coll& out) {
  auto s = c.inputString();
  auto pattern = c.argString(0);
  auto subst = c.argString(1);
  if (!s || !pattern || !subst) return;
  if (pattern->empty()) {
    c.push(out, Value::ofString(*s));
    return;
  }
  const core::Regex& re = regexOf(c, *pattern, false);
  const std::string subject(*s);
  std::string result;
  size_t pos = 0;
  try {
    pos = replaceAll(re, subject, *subst, result);
  } catch (const std::exception& ex) {
    c.fail(std::string("regular expression failed: ") + ex.what());
  }
  if (pos < subject.size()) result.append(subject, pos, std::string::npos);
  c.push(out, c.e.makeString(result));
}

void toChars(Call& c, Coll& out) {
  auto s = c.inputString();
  if (!s) return;
  for (size_t i = 0; i < s->size();) {
    size_t j = utf8Offset(s->substr(i), 1);
    c.push(out, Value::ofString(s->substr(i, j)));
    i += j;
  }
}

void trim(Call& c, Coll& out) {
  auto s = c.inputString();
  if (!s) return;
  std::string_view t = *s;
  auto sp = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  while (!t.empty() && sp(t.front())) t.remove_prefix(1);
  while (!t.empty() && sp(t.back())) t.remove_suffix(1);
  c.push(out, Value::ofString(t));
}

void split(Call& c, Coll& out) {
  auto s = c.inputString();
  auto sep = c.argString(0);
  if (!s || !sep) return;
  if (sep->empty()) {
    c.push(out, Value::ofString(*s));
    return;
  }
  size_t p = 0;
  while (true) {
    size_t q = s->find(*sep, p);
    if (q == std::string_view::npos) break;
    c.push(out, Value::ofString(s->substr(p, q - p)));
    p = q + sep->size();
  }
  c.push(out, Value::ofString(s->substr(p)));
}

void join(Call& c, Coll& out) {
  std::string_view sep;
  if (!c.args().empty()) {
    auto s = c.argString(0);
    if (s) sep = *s;
  }
  std::string r;
  for (uint32_t i = 0; i < c.in.size; ++i) {
    auto s = c.e.singleString(c.n, Coll::view(c.in.data + i, 1));
    if (i > 0) r += sep;
    if (s) r += *s;
  }
  c.push(out, c.e.makeString(r));
}

// --- encodings and escapes ---

std::string htmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string htmlUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos" || ent == "#39") {
      out += '\'';
    } else if (!ent.empty() && ent[0] == '#') {
      unsigned long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                             ? std::strtoul(std::string(ent.substr(2)).c_str(), nullptr, 16)
                             : std::strtoul(std::string(ent.substr(1)).c_str(), nullptr, 10);
      core::appendUtf8(out, static_cast<uint32_t>(std::min(cp, 0x110000ul)));  // too large: U+FFFD
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::string jsonUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u':
        if (i + 4 < s.size()) {
          unsigned long cp = std::strtoul(std::string(s.substr(i + 1, 4)).c_str(), nullptr, 16);
          i += 4;
          core::appendUtf8(out, static_cast<uint32_t>(cp));
        }
        break;
      default: out += c;
    }
  }
  return out;
}

// encode, decode, escape, unescape: `transform` gives the input in the form the argument names,
// nullopt when it cannot (no result), or fails on a form it does not know.
using Transform = std::optional<std::string> (*)(const Call& c, std::string_view s,
                                                 std::string_view how);

template <Transform transform>
void stringTransform(Call& c, Coll& out) {
  auto s = c.inputString();
  auto how = c.argString(0);
  if (!s || !how) return;
  if (auto r = transform(c, *s, *how)) c.push(out, c.e.makeString(*r));
}

std::optional<std::string> encodeAs(const Call& c, std::string_view s, std::string_view how) {
  if (how == "base64") return core::base64Encode(s);
  if (how == "urlbase64") return core::base64UrlEncodePadded(s);
  if (how == "hex") return core::hexEncode(s);
  c.fail("unknown encoding '" + std::string(how) + "'");
}

std::optional<std::string> decodeFrom(const Call& c, std::string_view s, std::string_view how) {
  if (how == "hex") return core::hexDecode(s);
  if (how == "base64" || how == "urlbase64") return core::base64Decode(s);
  c.fail("unknown encoding '" + std::string(how) + "'");
}

std::optional<std::string> escapeFor(const Call& c, std::string_view s, std::string_view how) {
  if (how == "html") return htmlEscape(s);
  if (how == "json") {
    std::string r;
    core::appendJsonEscaped(r, s);
    return r;
  }
  c.fail("unknown escape target '" + std::string(how) + "'");
}

std::optional<std::string> unescapeFrom(const Call& c, std::string_view s, std::string_view how) {
  if (how == "html") return htmlUnescape(s);
  if (how == "json") return jsonUnescape(s);
  c.fail("unknown escape target '" + std::string(how) + "'");
}

using namespace rows;

constexpr FunctionSpec kStrings[] = {
    {"indexOf", Fn::IndexOf, 1, 1, {V, V, V}, R::Integer, Str, indexOf},
    {"substring", Fn::Substring, 1, 2, {V, V, V}, R::String, Str, substring},
    {"startsWith", Fn::StartsWith, 1, 1, {V, V, V}, R::Boolean, Str, stringTest<startsWith>},
    {"endsWith", Fn::EndsWith, 1, 1, {V, V, V}, R::Boolean, Str, stringTest<endsWith>},
    {"contains", Fn::Contains, 1, 1, {V, V, V}, R::Boolean, Str, stringTest<contains>},
    {"upper", Fn::Upper, 0, 0, {V, V, V}, R::String, Str, changeCase<true>},
    {"lower", Fn::Lower, 0, 0, {V, V, V}, R::String, Str, changeCase<false>},
    {"replace", Fn::Replace, 2, 2, {V, V, V}, R::String, Str, replace},
    {"matches", Fn::Matches, 1, 1, {V, V, V}, R::Boolean, Str, matches<false>},
    {"matchesFull", Fn::MatchesFull, 1, 1, {V, V, V}, R::Boolean, Str, matches<true>},
    {"replaceMatches", Fn::ReplaceMatches, 2, 2, {V, V, V}, R::String, Str, replaceMatches},
    {"length", Fn::Length, 0, 0, {V, V, V}, R::Integer, Str, length},
    {"toChars", Fn::ToChars, 0, 0, {V, V, V}, R::String, Str, toChars},
    {"trim", Fn::Trim, 0, 0, {V, V, V}, R::String, Str, trim},
    {"split", Fn::Split, 1, 1, {V, V, V}, R::String, Str, split},
    {"join", Fn::Join, 0, 1, {V, V, V}, R::String, Any, join},
    {"encode", Fn::Encode, 1, 1, {V, V, V}, R::String, Any, stringTransform<encodeAs>},
    {"decode", Fn::Decode, 1, 1, {V, V, V}, R::String, Any, stringTransform<decodeFrom>},
    {"escape", Fn::Escape, 1, 1, {V, V, V}, R::String, Any, stringTransform<escapeFor>},
    {"unescape", Fn::Unescape, 1, 1, {V, V, V}, R::String, Any, stringTransform<unescapeFrom>},
};

}  // namespace

std::shared_ptr<const void> precompileRegex(const std::string& pattern, bool full) {
  return compileRegex(pattern, full);
}

std::span<const FunctionSpec> stringFunctions() { return kStrings; }

}  // namespace trialbridge::fhirpath
