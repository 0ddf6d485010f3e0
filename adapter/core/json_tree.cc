#include "core/json_tree.h"

#include <cstring>

namespace trialbridge::core::json {

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the valid UTF-8 sequence that starts at s (whose first byte is >= 0x80), or 0.
size_t utf8Length(const unsigned char* s, const unsigned char* end) {
  const unsigned char c = s[0];
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - s) < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return n;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::pmr::memory_resource& arena, const TreeOptions& options)
      : p_(text.data()),
        end_(text.data() + text.size()),
        lineStart_(text.data()),
        arena_(arena),
        options_(options) {}

  Tree run() {
    if (parse()) {
      tree_.root = root_;
    } else {
      tree_.root = nullptr;
    }
    return std::move(tree_);
  }

 private:
  struct Frame {
    Node* node;
    bool needSeparator = false;  // a member or item was read: ',' or the close marker next
    bool comma = false;          // a comma was read, and nothing has followed it yet
    uint32_t commaLine = 0;
    uint32_t commaColumn = 0;
  };
  struct Pos {
    uint32_t line;
    uint32_t column;
  };

  Pos here() const { return posOf(p_); }
  Pos posOf(const char* at) const { return Pos{line_, static_cast<uint32_t>(at - lineStart_) + 1}; }

  void error(Pos at, std::string message) {
    tree_.errors.push_back(SyntaxError{at.line, at.column, std::move(message)});
  }
  bool fatal(Pos at, std::string message) {
    if (!tree_.fatal) tree_.fatal = SyntaxError{at.line, at.column, "Invalid JSON: " + message};
    return false;
  }
  bool fatalHere(std::string message) { return fatal(here(), std::move(message)); }

  void newLine(const char* after) {
    ++line_;
    lineStart_ = after;
  }

  // Skips white space and comments; false after a fatal error (an unclosed comment).
  bool skipSpace() {
    while (p_ < end_) {
      const char c = *p_;
      if (c == ' ') {
        do {
          ++p_;
        } while (p_ < end_ && *p_ == ' ');  // indentation comes in runs
      } else if (c == '\t' || c == '\r') {
        ++p_;
      } else if (c == '\n') {
        ++p_;
        newLine(p_);
      } else if (c == '/' && p_ + 1 < end_ && (p_[1] == '/' || p_[1] == '*')) {
        if (!skipComment()) return false;
      } else {
        return true;
      }
    }
    return true;
  }

  bool skipComment() {
    const Pos at = here();
    if (!options_.allowComments)
      error(at, "A comment, which JSON does not have (comments can be allowed)");
    if (p_[1] == '/') {
      while (p_ < end_ && *p_ != '\n') ++p_;
      return true;
    }
    p_ += 2;
    while (p_ < end_) {
      if (*p_ == '*' && p_ + 1 < end_ && p_[1] == '/') {
        p_ += 2;
        return true;
      }
      if (*p_ == '\n') newLine(p_ + 1);
      ++p_;
    }
    return fatal(at, "a comment is not closed");
  }

  std::string_view store(std::string_view s) {
    if (s.empty()) return {};
    char* mem = static_cast<char*>(arena_.allocate(s.size(), 1));
    std::memcpy(mem, s.data(), s.size());
    return {mem, s.size()};
  }

  Node* node(Kind kind, Pos at, std::string_view text) {
    auto* n = new (arena_.allocate(sizeof(Node), alignof(Node))) Node();
    n->kind = kind;
    n->text = text;
    n->line = at.line;
    n->column = at.column;
    if (stack_.empty()) {
      root_ = n;
      n->keyLine = at.line;
      n->keyColumn = at.column;
      return n;
    }
    Node* parent = stack_.back().node;
    if (parent->kind == Kind::Object) {
      n->key = key_;
      n->keyLine = keyAt_.line;
      n->keyColumn = keyAt_.column;
    } else {
      n->keyLine = at.line;
      n->keyColumn = at.column;
    }
    if (parent->last == nullptr) {
      parent->first = n;
    } else {
      parent->last->next = n;
    }
    parent->last = n;
    ++parent->count;
    return n;
  }

  bool parse() {
    if (!skipSpace()) return false;
    if (p_ == end_) return fatalHere("the document is empty");
    if (!value()) return false;
    while (!stack_.empty()) {
      if (!step()) return false;
    }
    if (!skipSpace()) return false;
    if (p_ != end_) return fatalHere("there is more text after the end of the JSON value");
    return true;
  }

  // One step inside the innermost open object or array: a separator, a member or item, or the
  // close marker.
  bool step() {
    if (!skipSpace()) return false;
    Frame& f = stack_.back();
    const bool isObject = f.node->kind == Kind::Object;
    const char close = isObject ? '}' : ']';
    if (p_ == end_) {
      return fatalHere(std::string("the text ends before the ") + (isObject ? "object" : "array") +
                       " is closed");
    }
    const char c = *p_;
    if (c == close) {
      if (f.comma) {
        error(
            Pos{f.commaLine, f.commaColumn},
            std::string("An extra comma before the end of the ") + (isObject ? "object" : "array"));
      }
      ++p_;
      stack_.pop_back();
      return true;
    }
    if (c == '}' || c == ']') {
      return fatalHere(std::string("unexpected close marker '") + c + "', '" + close +
                       "' expected");
    }
    if (c == ',') {
      if (!f.needSeparator) {
        error(here(), std::string("An extra comma in the ") + (isObject ? "object" : "array"));
      }
      f.needSeparator = false;
      f.comma = true;
      f.commaLine = line_;
      f.commaColumn = here().column;
      ++p_;
      return true;
    }
    if (f.needSeparator) {
      const bool next = isObject ? (c == '"' || isIdentStart(c)) : startsValue(c);
      if (!next) return fatalHere(std::string("unexpected character '") + c + "'");
      error(here(), std::string("A missing comma between two ") + (isObject ? "members" : "items"));
    }
    f.needSeparator = true;
    f.comma = false;
    if (isObject && !memberName()) return false;
    return value();
  }

  static bool startsValue(char c) {
    return c == '"' || c == '{' || c == '[' || c == '-' || isDigit(c) || isIdentStart(c);
  }

  // A member's name and its colon: sets key_ and keyAt_.
  bool memberName() {
    keyAt_ = here();
    if (*p_ == '"') {
      if (!string(key_)) return false;
    } else {
      if (!isIdentStart(*p_)) return fatalHere(std::string("unexpected character '") + *p_ + "'");
      const char* start = p_;
      while (p_ < end_ && isIdentChar(*p_)) ++p_;
      key_ = std::string_view(start, static_cast<size_t>(p_ - start));
      if (p_ < end_ && *p_ == '"') ++p_;  // only the closing quote was written
      error(keyAt_, "The property name " + std::string(key_) + " is not in quotes");
    }
    if (!skipSpace()) return false;
    if (p_ == end_ || *p_ != ':') return fatalHere("a ':' is expected after the property name");
    ++p_;
    return skipSpace();
  }

  // A value; an object or array is opened (pushed), its content read by step().
  bool value() {
    if (p_ == end_) return fatalHere("a value is expected");
    const Pos at = here();
    const char c = *p_;
    switch (c) {
      case '{':
      case '[': {
        if (stack_.size() >= options_.maxDepth) {
          tree_.depthExceeded = true;
          return fatal(at, "nesting is deeper than " + std::to_string(options_.maxDepth));
        }
        ++p_;
        Node* n = node(c == '{' ? Kind::Object : Kind::Array, at, {});
        stack_.push_back(Frame{n});
        return true;
      }
      case '"': {
        std::string_view s;
        if (!string(s)) return false;
        node(Kind::String, at, s);
        return true;
      }
      default: break;
    }
    if (c == '-' || isDigit(c)) return number(at);
    if (isIdentStart(c)) return word(at);
    return fatal(at, std::string("unexpected character '") + c + "'");
  }

  bool number(Pos at) {
    const char* start = p_;
    const char* s = p_;
    if (s < end_ && *s == '-') ++s;
    if (s < end_ && *s == '0') {
      ++s;
    } else if (s < end_ && isDigit(*s)) {
      while (s < end_ && isDigit(*s)) ++s;
    } else {
      return fatal(at, "a number must have digits");
    }
    if (s < end_ && *s == '.') {
      ++s;
      if (s == end_ || !isDigit(*s)) return fatal(at, "a number must have digits after '.'");
      while (s < end_ && isDigit(*s)) ++s;
    }
    if (s < end_ && (*s == 'e' || *s == 'E')) {
      ++s;
      if (s < end_ && (*s == '+' || *s == '-')) ++s;
      if (s == end_ || !isDigit(*s)) return fatal(at, "a number must have digits in its exponent");
      while (s < end_ && isDigit(*s)) ++s;
    }
    if (s < end_ && (isIdentChar(*s) || *s == '.')) {
      return fatal(at, "a number is not followed by a separator");
    }
    p_ = s;
    node(Kind::Number, at, std::string_view(start, static_cast<size_t>(s - start)));
    return true;
  }

  // true, false, null, or text without quotes (an error the parser goes on after).
  bool word(Pos at) {
    const char* start = p_;
    const char* s = p_;
    while (s < end_ && isIdentChar(*s)) ++s;
    const std::string_view w(start, static_cast<size_t>(s - start));
    if (w == "true" || w == "false" || w == "null") {
      p_ = s;
      node(w == "null" ? Kind::Null : (w == "true" ? Kind::True : Kind::False), at, {});
      return true;
    }
    if (stack_.empty()) return fatal(at, "unexpected text '" + std::string(w) + "'");
    // Unquoted text runs to the end of the line or the next separator.
    while (s < end_ && *s != ',' && *s != '}' && *s != ']' && *s != '\n' && *s != '\r' &&
           *s != '"') {
      if (static_cast<unsigned char>(*s) < 0x20 && *s != '\t') {
        return fatal(posOf(s), "a control character is not allowed here");
      }
      if (static_cast<unsigned char>(*s) >= 0x80) {
        const size_t n = utf8Length(reinterpret_cast<const unsigned char*>(s),
                                    reinterpret_cast<const unsigned char*>(end_));
        if (n == 0) return fatal(posOf(s), "the text is not valid UTF-8");
        s += n;
        continue;
      }
      ++s;
    }
    const char* stop = s;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t')) --stop;
    if (s < end_ && *s == '"') ++s;  // only the closing quote was written
    p_ = s;
    const std::string_view text(start, static_cast<size_t>(stop - start));
    const bool inObject = stack_.back().node->kind == Kind::Object;
    error(at, inObject ? "The value of " + std::string(key_) + " is not in quotes ('" +
                             std::string(text) + "')"
                       : "An array item is not in quotes ('" + std::string(text) + "')");
    node(Kind::String, at, text);
    return true;
  }

  // The first byte from `s` that is not plain ASCII text of a string (a quote, a backslash, a
  // control character or a byte of a multi-byte UTF-8 sequence), or end_. Eight bytes at a time.
  const char* plain(const char* s) const {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    while (end_ - s >= 8) {
      uint64_t w = 0;
      std::memcpy(&w, s, 8);
      // A byte below 0x20, equal to '"' or '\\' (zero after the xor), or with its high bit set:
      // the classic "has a byte less than n" test, exact for whether there is one.
      const uint64_t quote = w ^ (kOnes * '"');
      const uint64_t slash = w ^ (kOnes * '\\');
      const uint64_t special = (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                ((slash - kOnes) & ~slash) | w) &
                               kHigh;
      if (special != 0) break;
      s += 8;
    }
    while (s < end_) {
      const auto ch = static_cast<unsigned char>(*s);
      if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x80) break;
      ++s;
    }
    return s;
  }

  // A quoted string at p_, unescaped into `out`: a view of the text when it has no escape, else
  // a copy in the arena.
  bool string(std::string_view& out) {
    const Pos at = here();
    const char* start = ++p_;
    const char* s = start;
    while (true) {  // fast path: no escape
      s = plain(s);
      if (s == end_) return fatal(at, "the text ends inside a string");
      const auto ch = static_cast<unsigned char>(*s);
      if (ch == '"') {
        out = std::string_view(start, static_cast<size_t>(s - start));
        p_ = s + 1;
        return true;
      }
      if (ch < 0x80) break;  // a backslash or a control character
      const size_t n = utf8Length(reinterpret_cast<const unsigned char*>(s),
                                  reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return fatal(posOf(s), "the text is not valid UTF-8");
      s += n;
    }
    std::string& buf = scratch_;
    buf.assign(start, static_cast<size_t>(s - start));
    while (s < end_) {
      const char* run = plain(s);
      buf.append(s, static_cast<size_t>(run - s));
      s = run;
      if (s == end_) break;
      const auto ch = static_cast<unsigned char>(*s);
      if (ch == '"') {
        out = store(buf);
        p_ = s + 1;
        return true;
      }
      if (ch == '\n' || ch == '\r') return unclosedString(at, buf, s, out);
      if (ch < 0x20) return fatal(posOf(s), "a control character in a string must be escaped");
      if (ch == '\\') {
        if (!escape(s, buf)) return false;
        continue;
      }
      const size_t n = utf8Length(reinterpret_cast<const unsigned char*>(s),
                                  reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return fatal(posOf(s), "the text is not valid UTF-8");
      buf.append(s, n);
      s += n;
    }
    return fatal(at, "the text ends inside a string");
  }

  // A string cut by the end of its line: its closing quote is missing. The string ends there; a
  // comma at its end is the separator that follows it.
  bool unclosedString(Pos at, std::string& buf, const char* eol, std::string_view& out) {
    const char* s = eol;
    size_t keep = buf.size();
    while (keep > 0 && (buf[keep - 1] == ' ' || buf[keep - 1] == '\t')) {
      --keep;
      --s;
    }
    if (keep > 0 && buf[keep - 1] == ',') {
      --keep;
      --s;  // leave the comma to be read as the separator
      while (keep > 0 && (buf[keep - 1] == ' ' || buf[keep - 1] == '\t')) --keep;
    }
    buf.resize(keep);
    error(at, "A string without its closing quote at the end of the line");
    out = store(buf);
    p_ = s;
    return true;
  }

  bool escape(const char*& s, std::string& buf) {
    const Pos at = posOf(s);
    if (s + 1 >= end_) return fatal(at, "the text ends inside an escape");
    const char e = s[1];
    s += 2;
    switch (e) {
      case '"': buf += '"'; return true;
      case '\\': buf += '\\'; return true;
      case '/': buf += '/'; return true;
      case 'b': buf += '\b'; return true;
      case 'f': buf += '\f'; return true;
      case 'n': buf += '\n'; return true;
      case 'r': buf += '\r'; return true;
      case 't': buf += '\t'; return true;
      case 'u': break;
      default: return fatal(at, std::string("'\\") + e + "' is not a JSON escape");
    }
    uint32_t cp = 0;
    if (!hex4(s, cp)) return fatal(at, "a \\u escape needs four hexadecimal digits");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (s + 1 < end_ && s[0] == '\\' && s[1] == 'u') {
        const char* t = s + 2;
        if (hex4(t, low) && low >= 0xDC00 && low <= 0xDFFF) {
          s = t;
          appendUtf8(buf, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
          return true;
        }
      }
      return fatal(at, "a \\u escape names a lone surrogate");
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fatal(at, "a \\u escape names a lone surrogate");
    appendUtf8(buf, cp);
    return true;
  }

  bool hex4(const char*& s, uint32_t& cp) const {
    if (end_ - s < 4) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s[i];
      uint32_t d = 0;
      if (h >= '0' && h <= '9') {
        d = static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        d = static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        d = static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
      cp = cp * 16 + d;
    }
    s += 4;
    return true;
  }

  const char* p_;
  const char* end_;
  const char* lineStart_;
  uint32_t line_ = 1;
  std::pmr::memory_resource& arena_;
  const TreeOptions& options_;
  std::vector<Frame> stack_;
  Node* root_ = nullptr;
  std::string_view key_;
  Pos keyAt_{0, 0};
  std::string scratch_;  // the unescaped text of the string being read
  Tree tree_;
};

}  // namespace

Tree parseTree(std::string_view text, std::pmr::memory_resource& arena,
               const TreeOptions& options) {
  return Parser(text, arena, options).run();
}

}  // namespace trialbridge::core::json
