#include "fhirpath/parser.h"

#include <algorithm>
#include <charconv>

#include "core/text.h"

namespace trialbridge::fhirpath {

namespace {

enum class Tok : uint8_t {
  End,
  Identifier,  // plain identifier (may be a keyword)
  Delimited,   // `identifier`
  String,      // 'text'
  Number,      // 12, 1.5
  DateTime,    // @2014-01-05T10:30, @2014T
  Date,        // @2014-01-05
  Time,        // @T10:30
  Variable,    // %name, %`name`, %'name'
  Special,     // $this, $index, $total
  Punct,       // operators and punctuation
};

struct Token {
  Tok kind = Tok::End;
  uint32_t pos = 0;
  uint32_t end = 0;
  std::string_view raw;  // the source text of the token
  std::string value;     // unescaped string / identifier / variable name; literal body
};

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

class SyntaxError {
 public:
  SyntaxError(uint32_t pos, std::string message) : pos_(pos), message_(std::move(message)) {}
  uint32_t pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  uint32_t pos_;
  std::string message_;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    skipSpace();
    Token t;
    t.pos = static_cast<uint32_t>(p_);
    if (p_ >= s_.size()) {
      t.kind = Tok::End;
      t.end = t.pos;
      return t;
    }
    const char c = s_[p_];
    if (isIdentStart(c)) {
      size_t start = p_;
      while (p_ < s_.size() && isIdentChar(s_[p_])) ++p_;
      t.kind = Tok::Identifier;
      t.value = std::string(s_.substr(start, p_ - start));
    } else if (isDigit(c)) {
      size_t start = p_;
      while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
      if (p_ + 1 < s_.size() && s_[p_] == '.' && isDigit(s_[p_ + 1])) {
        ++p_;
        while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
      }
      t.kind = Tok::Number;
      t.value = std::string(s_.substr(start, p_ - start));
    } else if (c == '\'' || c == '`') {
      t.kind = c == '\'' ? Tok::String : Tok::Delimited;
      t.value = quoted(c);
    } else if (c == '@') {
      lexDateTime(t);
    } else if (c == '%') {
      ++p_;
      t.kind = Tok::Variable;
      if (p_ < s_.size() && (s_[p_] == '`' || s_[p_] == '\'')) {
        t.value = quoted(s_[p_]);
      } else if (p_ < s_.size() && isIdentStart(s_[p_])) {
        size_t start = p_;
        while (p_ < s_.size() && (isIdentChar(s_[p_]) || s_[p_] == '-')) ++p_;
        t.value = std::string(s_.substr(start, p_ - start));
      } else {
        throw SyntaxError(t.pos, "expected a variable name after '%'");
      }
    } else if (c == '$') {
      ++p_;
      size_t start = p_;
      while (p_ < s_.size() && isIdentChar(s_[p_])) ++p_;
      t.kind = Tok::Special;
      t.value = std::string(s_.substr(start, p_ - start));
      if (t.value != "this" && t.value != "index" && t.value != "total") {
        throw SyntaxError(t.pos, "unknown special variable '$" + t.value + "'");
      }
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "!=", "!~"};
      t.kind = Tok::Punct;
      for (std::string_view op : kTwo) {
        if (s_.substr(p_, 2) == op) {
          t.value = std::string(op);
          p_ += 2;
          break;
        }
      }
      if (t.value.empty()) {
        static constexpr std::string_view kOne = ".,()[]{}+-*/|&=~<>";
        if (kOne.find(c) == std::string_view::npos) {
          throw SyntaxError(t.pos, std::string("unexpected character '") + c + "'");
        }
        t.value = std::string(1, c);
        ++p_;
      }
    }
    t.end = static_cast<uint32_t>(p_);
    t.raw = s_.substr(t.pos, t.end - t.pos);
    return t;
  }

 private:
  void skipSpace() {
    while (p_ < s_.size()) {
      char c = s_[p_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
        ++p_;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '/') {
        while (p_ < s_.size() && s_[p_] != '\n') ++p_;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
        size_t close = s_.find("*/", p_ + 2);
        if (close == std::string_view::npos) {
          throw SyntaxError(static_cast<uint32_t>(p_), "unterminated comment");
        }
        p_ = close + 2;
      } else {
        break;
      }
    }
  }

  std::string quoted(char q) {
    size_t start = p_;
    ++p_;
    while (p_ < s_.size() && s_[p_] != q) {
      if (s_[p_] == '\\') ++p_;
      ++p_;
    }
    if (p_ >= s_.size()) {
      throw SyntaxError(static_cast<uint32_t>(start),
                        q == '\'' ? "unterminated string" : "unterminated identifier");
    }
    std::string out;
    if (!unescapeFhirPath(s_.substr(start + 1, p_ - start - 1), out)) {
      throw SyntaxError(static_cast<uint32_t>(start), "invalid escape sequence");
    }
    ++p_;
    return out;
  }

  bool digits(size_t n) {
    if (p_ + n > s_.size()) return false;
    for (size_t i = 0; i < n; ++i) {
      if (!isDigit(s_[p_ + i])) return false;
    }
    p_ += n;
    return true;
  }

  // TIMEFORMAT: hh(:mm(:ss(.f+)?)?)?
  void lexTime(uint32_t start) {
    if (!digits(2)) throw SyntaxError(start, "invalid time literal");
    if (p_ + 1 < s_.size() && s_[p_] == ':' && isDigit(s_[p_ + 1])) {
      ++p_;
      if (!digits(2)) throw SyntaxError(start, "invalid time literal");
      if (p_ + 1 < s_.size() && s_[p_] == ':' && isDigit(s_[p_ + 1])) {
        ++p_;
        if (!digits(2)) throw SyntaxError(start, "invalid time literal");
        if (p_ + 1 < s_.size() && s_[p_] == '.' && isDigit(s_[p_ + 1])) {
          ++p_;
          while (p_ < s_.size() && isDigit(s_[p_])) ++p_;
        }
      }
    }
  }

  bool lexTimezone() {
    if (p_ < s_.size() && s_[p_] == 'Z') {
      ++p_;
      return true;
    }
    if (p_ + 6 <= s_.size() && (s_[p_] == '+' || s_[p_] == '-') && isDigit(s_[p_ + 1]) &&
        isDigit(s_[p_ + 2]) && s_[p_ + 3] == ':' && isDigit(s_[p_ + 4]) && isDigit(s_[p_ + 5])) {
      p_ += 6;
      return true;
    }
    return false;
  }

  void lexDateTime(Token& t) {
    const uint32_t start = static_cast<uint32_t>(p_);
    ++p_;
    if (p_ < s_.size() && s_[p_] == 'T') {
      ++p_;
      lexTime(start);
      lexTimezone();  // not FHIRPath: kept so that evaluation reports it
      t.kind = Tok::Time;
      t.value = std::string(s_.substr(start + 2, p_ - start - 2));
      return;
    }
    if (!digits(4)) throw SyntaxError(start, "invalid date literal");
    if (p_ + 1 < s_.size() && s_[p_] == '-' && isDigit(s_[p_ + 1])) {
      ++p_;
      if (!digits(2)) throw SyntaxError(start, "invalid date literal");
      if (p_ + 1 < s_.size() && s_[p_] == '-' && isDigit(s_[p_ + 1])) {
        ++p_;
        if (!digits(2)) throw SyntaxError(start, "invalid date literal");
      }
    }
    t.kind = Tok::Date;
    if (p_ < s_.size() && s_[p_] == 'T') {
      ++p_;
      t.kind = Tok::DateTime;
      if (p_ < s_.size() && isDigit(s_[p_])) {
        lexTime(start);
        lexTimezone();
      }
    }
    t.value = std::string(s_.substr(start + 1, p_ - start - 1));
  }

  std::string_view s_;
  size_t p_ = 0;
};

struct BinaryInfo {
  BinOp op;
  int prec;
};

// Operator precedence, loosest first: implies; or xor; and; in contains; = ~ != !~;
// < > <= >=; |; is as; + - &; * / div mod.
std::optional<BinaryInfo> binaryOf(const Token& t) {
  if (t.kind == Tok::Punct) {
    const std::string& v = t.value;
    if (v == "*") return BinaryInfo{BinOp::Mul, 10};
    if (v == "/") return BinaryInfo{BinOp::Div, 10};
    if (v == "+") return BinaryInfo{BinOp::Add, 9};
    if (v == "-") return BinaryInfo{BinOp::Sub, 9};
    if (v == "&") return BinaryInfo{BinOp::Concat, 9};
    if (v == "|") return BinaryInfo{BinOp::Union, 7};
    if (v == "<") return BinaryInfo{BinOp::Lt, 6};
    if (v == ">") return BinaryInfo{BinOp::Gt, 6};
    if (v == "<=") return BinaryInfo{BinOp::Le, 6};
    if (v == ">=") return BinaryInfo{BinOp::Ge, 6};
    if (v == "=") return BinaryInfo{BinOp::Eq, 5};
    if (v == "!=") return BinaryInfo{BinOp::Ne, 5};
    if (v == "~") return BinaryInfo{BinOp::Equiv, 5};
    if (v == "!~") return BinaryInfo{BinOp::NotEquiv, 5};
    return std::nullopt;
  }
  if (t.kind != Tok::Identifier) return std::nullopt;
  const std::string& v = t.value;
  if (v == "div") return BinaryInfo{BinOp::IntDiv, 10};
  if (v == "mod") return BinaryInfo{BinOp::Mod, 10};
  if (v == "is" || v == "as") return BinaryInfo{BinOp::Add, 8};  // TypeOp, see parseBinary
  if (v == "in") return BinaryInfo{BinOp::In, 4};
  if (v == "contains") return BinaryInfo{BinOp::Contains, 4};
  if (v == "and") return BinaryInfo{BinOp::And, 3};
  if (v == "or") return BinaryInfo{BinOp::Or, 2};
  if (v == "xor") return BinaryInfo{BinOp::Xor, 2};
  if (v == "implies") return BinaryInfo{BinOp::Implies, 1};
  return std::nullopt;
}

bool isKeyword(std::string_view v) {
  return v == "and" || v == "or" || v == "xor" || v == "implies" || v == "div" || v == "mod" ||
         v == "in" || v == "contains" || v == "is" || v == "as";
}

class Parser {
 public:
  Parser(std::string_view text, NodePool& pool) : lexer_(text), pool_(pool) { advance(); }

  Node* parseAll() {
    Node* n = parseBinary(0);
    if (tok_.kind != Tok::End) {
      throw SyntaxError(tok_.pos, "unexpected '" + std::string(tok_.raw) + "'");
    }
    return n;
  }

 private:
  void advance() {
    prevEnd_ = tok_.end;
    tok_ = lexer_.next();
  }
  bool isPunct(std::string_view v) const { return tok_.kind == Tok::Punct && tok_.value == v; }
  void expectPunct(std::string_view v) {
    if (!isPunct(v)) {
      throw SyntaxError(tok_.pos,
                        "expected '" + std::string(v) + "'" +
                            (tok_.kind == Tok::End ? std::string(" at the end of the expression")
                                                   : " but found '" + std::string(tok_.raw) + "'"));
    }
    advance();
  }

  // Bounds the tree's height (evaluation recurses over it) and the parser's own recursion.
  static constexpr uint32_t kMaxDepth = 400;
  Node* deepen(Node* n) {
    uint32_t d = 0;
    for (const Node* c : {n->base, n->rhs}) {
      if (c != nullptr) d = std::max(d, c->depth);
    }
    for (const Node* a : n->args) d = std::max(d, a->depth);
    n->depth = d + 1;
    if (n->depth > kMaxDepth) throw SyntaxError(n->pos, "expression nested too deeply");
    return n;
  }
  struct RecursionGuard {
    explicit RecursionGuard(Parser& p, uint32_t pos) : p_(p) {
      if (++p_.recursion_ > kMaxDepth) throw SyntaxError(pos, "expression nested too deeply");
    }
    ~RecursionGuard() { --p_.recursion_; }
    Parser& p_;
  };

  Node* parseBinary(int minPrec) {
    RecursionGuard guard(*this, tok_.pos);
    Node* left = parseUnary();
    while (true) {
      auto info = binaryOf(tok_);
      if (!info || info->prec < minPrec) return left;
      const uint32_t pos = tok_.pos;
      if (tok_.kind == Tok::Identifier && (tok_.value == "is" || tok_.value == "as")) {
        Node* n = pool_.make(NodeKind::TypeOp, pos);
        n->negate = tok_.value == "as";
        advance();
        n->base = left;
        n->type = parseTypeSpecifier();
        n->end = prevEnd_;
        left = deepen(n);
        continue;
      }
      advance();
      Node* right = parseBinary(info->prec + 1);
      Node* n = pool_.make(NodeKind::Binary, pos);
      n->op = info->op;
      n->base = left;
      n->rhs = right;
      n->end = prevEnd_;
      left = deepen(n);
    }
  }

  TypeName parseTypeSpecifier() {
    TypeName t;
    if (tok_.kind != Tok::Identifier && tok_.kind != Tok::Delimited) {
      throw SyntaxError(tok_.pos, "expected a type name");
    }
    std::string first = tok_.value;
    advance();
    if ((first == "FHIR" || first == "System") && isPunct(".")) {
      advance();
      if (tok_.kind != Tok::Identifier && tok_.kind != Tok::Delimited) {
        throw SyntaxError(tok_.pos, "expected a type name after '" + first + ".'");
      }
      t.ns = first;
      t.name = tok_.value;
      advance();
    } else {
      t.name = first;
    }
    return t;
  }

  Node* parseUnary() {
    RecursionGuard guard(*this, tok_.pos);
    if (isPunct("+") || isPunct("-")) {
      const uint32_t pos = tok_.pos;
      const bool minus = tok_.value == "-";
      advance();
      Node* operand = parseUnary();
      Node* n = pool_.make(NodeKind::Unary, pos);
      n->negate = minus;
      n->base = operand;
      n->end = prevEnd_;
      return deepen(n);
    }
    return parsePostfix(parseTerm());
  }

  Node* parsePostfix(Node* left) {
    while (true) {
      if (isPunct(".")) {
        advance();
        if (tok_.kind != Tok::Identifier && tok_.kind != Tok::Delimited) {
          throw SyntaxError(tok_.pos, tok_.kind == Tok::End ? "expected a name after '.' at the end"
                                                            : "expected a name after '.'");
        }
        left = deepen(parseInvocation(left));
      } else if (isPunct("[")) {
        const uint32_t pos = tok_.pos;
        advance();
        Node* index = parseBinary(0);
        expectPunct("]");
        Node* n = pool_.make(NodeKind::Indexer, pos);
        n->base = left;
        n->rhs = index;
        n->end = prevEnd_;
        left = deepen(n);
      } else {
        return left;
      }
    }
  }

  // identifier or function call (current token is an identifier); `base` nullptr: on $this.
  Node* parseInvocation(Node* base) {
    const Token name = tok_;
    advance();
    if (name.kind == Tok::Identifier && isPunct("(")) {
      advance();
      Node* n = pool_.make(NodeKind::Function, name.pos);
      n->name = name.value;
      n->base = base;
      n->head = base == nullptr;
      if (!isPunct(")")) {
        while (true) {
          n->args.push_back(parseBinary(0));
          if (isPunct(",")) {
            advance();
            continue;
          }
          break;
        }
      }
      expectPunct(")");
      n->end = prevEnd_;
      return n;
    }
    Node* n = pool_.make(NodeKind::Member, name.pos);
    n->name = name.value;
    n->base = base;
    n->head = base == nullptr;
    n->end = name.end;
    return n;
  }

  Node* parseTerm() {
    const uint32_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::End: throw SyntaxError(pos, "expression ends unexpectedly");
      case Tok::Number: return parseNumber();
      case Tok::String: {
        Node* n = pool_.make(NodeKind::Literal, pos);
        n->text = tok_.value;
        n->literal = Value::ofString(n->text);
        advance();
        n->end = prevEnd_;
        return n;
      }
      case Tok::Date:
      case Tok::DateTime:
      case Tok::Time: return parseTemporal();
      case Tok::Variable: {
        Node* n = pool_.make(NodeKind::Variable, pos);
        n->name = tok_.value;
        advance();
        n->end = prevEnd_;
        return n;
      }
      case Tok::Special: {
        NodeKind k = tok_.value == "this"    ? NodeKind::This
                     : tok_.value == "index" ? NodeKind::Index
                                             : NodeKind::Total;
        Node* n = pool_.make(k, pos);
        advance();
        n->end = prevEnd_;
        return n;
      }
      case Tok::Identifier:
        if (tok_.value == "true" || tok_.value == "false") {
          Node* n = pool_.make(NodeKind::Literal, pos);
          n->literal = Value::ofBoolean(tok_.value == "true");
          advance();
          n->end = prevEnd_;
          return n;
        }
        if (isKeyword(tok_.value) && tok_.value != "as" && tok_.value != "contains" &&
            tok_.value != "in" && tok_.value != "is") {
          // Operator keywords are names only as functions or after '.'; the grammar allows
          // as, contains, in and is as identifiers.
          Token save = tok_;
          Lexer probe = lexer_;
          Token after = probe.next();
          if (!(after.kind == Tok::Punct && after.value == "(")) {
            throw SyntaxError(pos, "unexpected '" + save.value + "'");
          }
        }
        return deepen(parseInvocation(nullptr));
      case Tok::Delimited: return deepen(parseInvocation(nullptr));
      case Tok::Punct:
        if (tok_.value == "(") {
          advance();
          Node* inner = parseBinary(0);
          expectPunct(")");
          return inner;
        }
        if (tok_.value == "{") {
          advance();
          expectPunct("}");
          Node* n = pool_.make(NodeKind::Empty, pos);
          n->end = prevEnd_;
          return n;
        }
        throw SyntaxError(pos, "unexpected '" + tok_.value + "'");
    }
    throw SyntaxError(pos, "unexpected token");
  }

  Node* parseNumber() {
    const uint32_t pos = tok_.pos;
    const std::string text = tok_.value;
    advance();
    Node* n = pool_.make(NodeKind::Literal, pos);
    const bool decimal = text.find('.') != std::string::npos;
    std::optional<Decimal> d = Decimal::parse(text);
    if (!d) throw SyntaxError(pos, "number out of range");
    // A unit after the number makes it a quantity: 4 'mg', 7 days.
    if (tok_.kind == Tok::String ||
        (tok_.kind == Tok::Identifier && calendarKeyword(tok_.value).has_value())) {
      n->text = tok_.value;
      n->quantity.value = *d;
      n->quantity.unit = n->text;
      n->quantity.calendar = tok_.kind == Tok::Identifier;
      n->literal = Value::ofQuantity(&n->quantity);
      advance();
      n->end = prevEnd_;
      return n;
    }
    if (decimal) {
      n->literal = Value::ofDecimal(*d);
    } else {
      auto i = d->toInt64();
      if (!i) throw SyntaxError(pos, "integer out of range");
      n->literal = Value::ofInteger(*i);
    }
    n->end = prevEnd_;
    return n;
  }

  Node* parseTemporal() {
    const uint32_t pos = tok_.pos;
    Node* n = pool_.make(NodeKind::Literal, pos);
    const Tok kind = tok_.kind;
    const std::string text = tok_.value;
    advance();
    n->end = prevEnd_;
    std::optional<Temporal> t;
    if (kind == Tok::Date) {
      t = parseDate(text);
      if (t) n->literal = Value::ofTemporal(Kind::Date, *t);
    } else if (kind == Tok::DateTime) {
      t = parseDateTime(text, true);
      if (t) n->literal = Value::ofTemporal(Kind::DateTime, *t);
    } else {
      if (timeHasTimezone(text)) {
        // FHIRPath times have no timezone; the official tests expect an execution error.
        n->deferredError = "a time cannot have a timezone: @T" + text;
        n->literal = Value::ofBoolean(false);
        return n;
      }
      t = parseTime(text);
      if (t) n->literal = Value::ofTemporal(Kind::Time, *t);
    }
    if (!t) throw SyntaxError(pos, "invalid date/time literal '@" + text + "'");
    return n;
  }

  Lexer lexer_;
  NodePool& pool_;
  Token tok_;
  uint32_t prevEnd_ = 0;
  uint32_t recursion_ = 0;
};

}  // namespace

void positionOf(std::string_view text, uint32_t offset, uint32_t& line, uint32_t& column) {
  line = 1;
  column = 1;
  for (uint32_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

bool unescapeFhirPath(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case '`': out += '`'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (i + 5 > s.size()) return false;
        unsigned cp = 0;
        auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 5, cp, 16);
        if (ec != std::errc() || p != s.data() + i + 5) return false;
        i += 4;
        core::appendUtf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  return true;
}

Node* parseExpression(std::string_view text, NodePool& pool, Error& error) {
  try {
    Parser p(text, pool);
    return p.parseAll();
  } catch (const SyntaxError& e) {
    error.kind = ErrorKind::Syntax;
    error.message = e.message();
    error.offset = e.pos();
    positionOf(text, e.pos(), error.line, error.column);
    return nullptr;
  }
}

}  // namespace trialbridge::fhirpath
