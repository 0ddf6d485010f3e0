#include "fhirpath/functions.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "conformance/context.h"
#include "conformance/ucum.h"
#include "core/regex.h"
#include "core/text.h"
#include "fhirpath/engine.h"
#include "fhirpath/fhir_support.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

constexpr ArgMode V = ArgMode::Value;
constexpr ArgMode L = ArgMode::Lambda;
constexpr ArgMode T = ArgMode::Type;

const FunctionSpec kFunctions[] = {
    {"empty", Fn::Empty, 0, 0, {V, V, V}},
    {"exists", Fn::Exists, 0, 1, {L, V, V}},
    {"all", Fn::All, 1, 1, {L, V, V}},
    {"allTrue", Fn::AllTrue, 0, 0, {V, V, V}},
    {"anyTrue", Fn::AnyTrue, 0, 0, {V, V, V}},
    {"allFalse", Fn::AllFalse, 0, 0, {V, V, V}},
    {"anyFalse", Fn::AnyFalse, 0, 0, {V, V, V}},
    {"subsetOf", Fn::SubsetOf, 1, 1, {V, V, V}},
    {"supersetOf", Fn::SupersetOf, 1, 1, {V, V, V}},
    {"count", Fn::Count, 0, 0, {V, V, V}},
    {"distinct", Fn::Distinct, 0, 0, {V, V, V}},
    {"isDistinct", Fn::IsDistinct, 0, 0, {V, V, V}},
    {"where", Fn::Where, 1, 1, {L, V, V}},
    {"select", Fn::Select, 1, 1, {L, V, V}},
    {"repeat", Fn::Repeat, 1, 1, {L, V, V}},
    {"ofType", Fn::OfType, 1, 1, {T, V, V}},
    {"single", Fn::Single, 0, 0, {V, V, V}},
    {"first", Fn::First, 0, 0, {V, V, V}},
    {"last", Fn::Last, 0, 0, {V, V, V}},
    {"tail", Fn::Tail, 0, 0, {V, V, V}},
    {"skip", Fn::Skip, 1, 1, {V, V, V}},
    {"take", Fn::Take, 1, 1, {V, V, V}},
    {"intersect", Fn::Intersect, 1, 1, {V, V, V}},
    {"exclude", Fn::Exclude, 1, 1, {V, V, V}},
    {"union", Fn::Union, 1, 1, {V, V, V}},
    {"combine", Fn::Combine, 1, 1, {V, V, V}},
    {"iif", Fn::Iif, 2, 3, {L, L, L}},
    {"toBoolean", Fn::ToBoolean, 0, 0, {V, V, V}},
    {"convertsToBoolean", Fn::ConvertsToBoolean, 0, 0, {V, V, V}},
    {"toInteger", Fn::ToInteger, 0, 0, {V, V, V}},
    {"convertsToInteger", Fn::ConvertsToInteger, 0, 0, {V, V, V}},
    {"toDecimal", Fn::ToDecimal, 0, 0, {V, V, V}},
    {"convertsToDecimal", Fn::ConvertsToDecimal, 0, 0, {V, V, V}},
    {"toString", Fn::ToString, 0, 0, {V, V, V}},
    {"convertsToString", Fn::ConvertsToString, 0, 0, {V, V, V}},
    {"toDate", Fn::ToDate, 0, 0, {V, V, V}},
    {"convertsToDate", Fn::ConvertsToDate, 0, 0, {V, V, V}},
    {"toDateTime", Fn::ToDateTime, 0, 0, {V, V, V}},
    {"convertsToDateTime", Fn::ConvertsToDateTime, 0, 0, {V, V, V}},
    {"toTime", Fn::ToTime, 0, 0, {V, V, V}},
    {"convertsToTime", Fn::ConvertsToTime, 0, 0, {V, V, V}},
    {"toQuantity", Fn::ToQuantity, 0, 1, {V, V, V}},
    {"convertsToQuantity", Fn::ConvertsToQuantity, 0, 1, {V, V, V}},
    {"indexOf", Fn::IndexOf, 1, 1, {V, V, V}},
    {"substring", Fn::Substring, 1, 2, {V, V, V}},
    {"startsWith", Fn::StartsWith, 1, 1, {V, V, V}},
    {"endsWith", Fn::EndsWith, 1, 1, {V, V, V}},
    {"contains", Fn::Contains, 1, 1, {V, V, V}},
    {"upper", Fn::Upper, 0, 0, {V, V, V}},
    {"lower", Fn::Lower, 0, 0, {V, V, V}},
    {"replace", Fn::Replace, 2, 2, {V, V, V}},
    {"matches", Fn::Matches, 1, 1, {V, V, V}},
    {"matchesFull", Fn::MatchesFull, 1, 1, {V, V, V}},
    {"replaceMatches", Fn::ReplaceMatches, 2, 2, {V, V, V}},
    {"length", Fn::Length, 0, 0, {V, V, V}},
    {"toChars", Fn::ToChars, 0, 0, {V, V, V}},
    {"trim", Fn::Trim, 0, 0, {V, V, V}},
    {"split", Fn::Split, 1, 1, {V, V, V}},
    {"join", Fn::Join, 0, 1, {V, V, V}},
    {"encode", Fn::Encode, 1, 1, {V, V, V}},
    {"decode", Fn::Decode, 1, 1, {V, V, V}},
    {"escape", Fn::Escape, 1, 1, {V, V, V}},
    {"unescape", Fn::Unescape, 1, 1, {V, V, V}},
    {"abs", Fn::Abs, 0, 0, {V, V, V}},
    {"ceiling", Fn::Ceiling, 0, 0, {V, V, V}},
    {"exp", Fn::Exp, 0, 0, {V, V, V}},
    {"floor", Fn::Floor, 0, 0, {V, V, V}},
    {"ln", Fn::Ln, 0, 0, {V, V, V}},
    {"log", Fn::Log, 1, 1, {V, V, V}},
    {"power", Fn::Power, 1, 1, {V, V, V}},
    {"round", Fn::Round, 0, 1, {V, V, V}},
    {"sqrt", Fn::Sqrt, 0, 0, {V, V, V}},
    {"truncate", Fn::Truncate, 0, 0, {V, V, V}},
    {"children", Fn::Children, 0, 0, {V, V, V}},
    {"descendants", Fn::Descendants, 0, 0, {V, V, V}},
    {"trace", Fn::Trace, 1, 2, {V, L, V}},
    {"now", Fn::Now, 0, 0, {V, V, V}},
    {"timeOfDay", Fn::TimeOfDay, 0, 0, {V, V, V}},
    {"today", Fn::Today, 0, 0, {V, V, V}},
    {"lowBoundary", Fn::LowBoundary, 0, 1, {V, V, V}},
    {"highBoundary", Fn::HighBoundary, 0, 1, {V, V, V}},
    {"precision", Fn::Precision, 0, 0, {V, V, V}},
    {"comparable", Fn::Comparable, 1, 1, {V, V, V}},
    {"is", Fn::Is, 1, 1, {T, V, V}},
    {"as", Fn::As, 1, 1, {T, V, V}},
    {"type", Fn::Type, 0, 0, {V, V, V}},
    {"aggregate", Fn::Aggregate, 1, 2, {L, V, V}},
    {"sort", Fn::Sort, 0, 8, {L, L, L}},
    {"not", Fn::Not, 0, 0, {V, V, V}},
    {"extension", Fn::Extension, 1, 1, {V, V, V}},
    {"hasValue", Fn::HasValue, 0, 0, {V, V, V}},
    {"getValue", Fn::GetValue, 0, 0, {V, V, V}},
    {"resolve", Fn::Resolve, 0, 0, {V, V, V}},
    {"memberOf", Fn::MemberOf, 1, 1, {V, V, V}},
    {"conformsTo", Fn::ConformsTo, 1, 1, {V, V, V}},
    {"htmlChecks", Fn::HtmlChecks, 0, 0, {V, V, V}},
    {"htmlchecks", Fn::HtmlChecks, 0, 0, {V, V, V}},
    {"subsumes", Fn::Subsumes, 1, 1, {V, V, V}},
    {"subsumedBy", Fn::SubsumedBy, 1, 1, {V, V, V}},
    {"elementDefinition", Fn::ElementDefinition, 0, 0, {V, V, V}},
    {"slice", Fn::Slice, 2, 2, {V, V, V}},
    {"checkModifiers", Fn::CheckModifiers, 1, 1, {V, V, V}},
};

// Regexes compiled once: literal patterns at compile time (Node::compiled), others in a
// per-thread cache.
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

bool isBooleanItem(const Value& v, bool& out) {
  if (v.kind == Kind::Boolean) {
    out = v.boolean;
    return true;
  }
  if (v.kind == Kind::Element && v.element->isPrimitive() &&
      systemTypeOf(v.element->type()) == SystemType::Boolean && v.element->hasValue()) {
    out = v.element->value() == "true";
    return true;
  }
  return false;
}

bool isIntegerText(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool isDecimalText(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  size_t digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && !point && digits > 0 && i + 1 < s.size()) {
      point = true;
    } else {
      return false;
    }
  }
  return digits > 0;
}

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

// Parses a quantity from a string: "1.5 'mg'", "4 days", "1.0".
std::optional<Quantity> parseQuantityString(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  size_t start = i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  auto d = Decimal::parse(s.substr(start, i - start));
  if (!d || !isDecimalText(s.substr(start, i - start))) return std::nullopt;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i == s.size()) return Quantity{*d, "1", false};
  std::string_view rest = s.substr(i);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') {
    std::string_view unit = rest.substr(1, rest.size() - 2);
    if (!conformance::ucum::isValid(unit)) return std::nullopt;
    return Quantity{*d, unit, false};
  }
  if (calendarKeyword(rest)) return Quantity{*d, rest, true};
  return std::nullopt;
}

}  // namespace

const FunctionSpec* findFunction(std::string_view name) {
  static const std::unordered_map<std::string_view, const FunctionSpec*> kByName = [] {
    std::unordered_map<std::string_view, const FunctionSpec*> m;
    for (const FunctionSpec& f : kFunctions) m.emplace(f.name, &f);
    return m;
  }();
  auto it = kByName.find(name);
  return it == kByName.end() ? nullptr : it->second;
}

std::shared_ptr<const void> precompileRegex(const std::string& pattern, bool full) {
  return compileRegex(pattern, full);
}

void collectDescendants(Engine& e, const core::Element* el, Coll& out) {
  for (const core::Element* c = el->firstChild(); c != nullptr; c = c->nextSibling()) {
    e.push(out, Value::ofElement(c));
    if (c->hasChildren()) collectDescendants(e, c, out);
  }
}

namespace {

// Conversions shared by toX() and convertsToX().
std::optional<Value> convertTo(Engine& e, Fn fn, const Value& v0, const Node* n) {
  std::optional<Value> sv = e.single(n, Coll::view(&v0, 1));
  if (!sv) return std::nullopt;
  const Value& v = *sv;
  switch (fn) {
    case Fn::ToBoolean:
    case Fn::ConvertsToBoolean:
      switch (v.kind) {
        case Kind::Boolean: return v;
        case Kind::Integer:
          if (v.integer == 1) return Value::ofBoolean(true);
          if (v.integer == 0) return Value::ofBoolean(false);
          return std::nullopt;
        case Kind::Decimal: {
          Decimal d = v.decimal();
          if (Decimal::compare(d, Decimal::fromInt(1)) == 0) return Value::ofBoolean(true);
          if (d.isZero()) return Value::ofBoolean(false);
          return std::nullopt;
        }
        case Kind::String: {
          std::string s = core::asciiLower(v.string());
          if (s == "true" || s == "t" || s == "yes" || s == "y" || s == "1" || s == "1.0") {
            return Value::ofBoolean(true);
          }
          if (s == "false" || s == "f" || s == "no" || s == "n" || s == "0" || s == "0.0") {
            return Value::ofBoolean(false);
          }
          return std::nullopt;
        }
        default: return std::nullopt;
      }
    case Fn::ToInteger:
    case Fn::ConvertsToInteger:
      switch (v.kind) {
        case Kind::Integer: return v;
        case Kind::Boolean: return Value::ofInteger(v.boolean ? 1 : 0);
        case Kind::String: {
          if (!isIntegerText(v.string())) return std::nullopt;
          auto d = Decimal::parse(v.string());
          if (!d) return std::nullopt;
          auto i = d->toInt64();
          if (!i || *i > 2147483647LL || *i < -2147483648LL) return std::nullopt;
          return Value::ofInteger(*i);
        }
        default: return std::nullopt;
      }
    case Fn::ToDecimal:
    case Fn::ConvertsToDecimal:
      switch (v.kind) {
        case Kind::Decimal: return v;
        case Kind::Integer: return Value::ofDecimal(Decimal::fromInt(v.integer));
        case Kind::Boolean: return Value::ofDecimal(Decimal(v.boolean ? 10 : 0, 1));
        case Kind::String: {
          if (!isDecimalText(v.string())) return std::nullopt;
          auto d = Decimal::parse(v.string());
          if (!d) return std::nullopt;
          return Value::ofDecimal(*d);
        }
        default: return std::nullopt;
      }
    case Fn::ToString:
    case Fn::ConvertsToString:
      switch (v.kind) {
        case Kind::String: return v;
        case Kind::Element: return std::nullopt;
        case Kind::Type: return std::nullopt;
        default: return e.makeString(valueToString(v));
      }
    case Fn::ToDate:
    case Fn::ConvertsToDate:
      switch (v.kind) {
        case Kind::Date: return v;
        case Kind::DateTime: {
          Temporal t = v.temporal;
          if (t.precision > Precision::Day) t.precision = Precision::Day;
          t.hasTz = false;
          return Value::ofTemporal(Kind::Date, t);
        }
        case Kind::String: {
          if (auto t = parseDate(v.string())) return Value::ofTemporal(Kind::Date, *t);
          if (auto t = parseDateTime(v.string())) {
            Temporal d = *t;
            if (d.precision > Precision::Day) d.precision = Precision::Day;
            d.hasTz = false;
            return Value::ofTemporal(Kind::Date, d);
          }
          return std::nullopt;
        }
        default: return std::nullopt;
      }
    case Fn::ToDateTime:
    case Fn::ConvertsToDateTime:
      switch (v.kind) {
        case Kind::DateTime: return v;
        case Kind::Date: return Value::ofTemporal(Kind::DateTime, v.temporal);
        case Kind::String: {
          if (auto t = parseDateTime(v.string())) return Value::ofTemporal(Kind::DateTime, *t);
          return std::nullopt;
        }
        default: return std::nullopt;
      }
    case Fn::ToTime:
    case Fn::ConvertsToTime:
      switch (v.kind) {
        case Kind::Time: return v;
        case Kind::String: {
          std::string_view s = v.string();
          if (!s.empty() && s[0] == 'T') s.remove_prefix(1);
          if (auto t = parseTime(s)) return Value::ofTemporal(Kind::Time, *t);
          return std::nullopt;
        }
        default: return std::nullopt;
      }
    case Fn::ToQuantity:
    case Fn::ConvertsToQuantity:
      switch (v.kind) {
        case Kind::Quantity: return v;
        case Kind::Integer:
        case Kind::Decimal: {
          Decimal d = v.kind == Kind::Integer ? Decimal::fromInt(v.integer) : v.decimal();
          return e.makeQuantity(d, "1", false);
        }
        case Kind::Boolean: return e.makeQuantity(Decimal(v.boolean ? 10 : 0, 1), "1", false);
        case Kind::String: {
          auto q = parseQuantityString(v.string());
          if (!q) return std::nullopt;
          return e.makeQuantity(q->value, e.arena().copy(q->unit), q->calendar);
        }
        default: return std::nullopt;
      }
    default: return std::nullopt;
  }
}

}  // namespace

void Engine::callFunction(const Node* n, const Frame& f, Coll& out) {
  const Fn fn = n->fn;
  const std::vector<Node*>& args = n->args;
  Coll in = input(n, f);

  auto lambdaFrame = [&](uint32_t i) {
    Frame g;
    g.items = in.data + i;
    g.count = 1;
    g.hasIndex = true;
    g.index = i;
    g.total = f.total;
    return g;
  };
  // The first argument (a lambda) as a boolean on in[i]; its scratch space is given back.
  auto testItem = [&](uint32_t i) {
    Arena::Mark m = arena_.mark();
    Coll c;
    eval(args[0], lambdaFrame(i), c);
    auto b = toBoolean(args[0], c);
    arena_.rewind(m);
    return b;
  };
  auto argValue = [&](size_t i) { return evalArg(args[i], f); };
  auto argString = [&](size_t i) { return singleString(args[i], argValue(i)); };
  auto inputString = [&]() -> std::optional<std::string_view> { return singleString(n, in); };

  switch (fn) {
    case Fn::Unknown: fail(n, "unknown function '" + n->name + "'");

    // --- existence ---
    case Fn::Empty: push(out, Value::ofBoolean(in.empty())); return;
    case Fn::Exists:
      if (args.empty()) {
        push(out, Value::ofBoolean(!in.empty()));
        return;
      }
      for (uint32_t i = 0; i < in.size; ++i) {
        auto b = testItem(i);
        if (b && *b) {
          push(out, Value::ofBoolean(true));
          return;
        }
      }
      push(out, Value::ofBoolean(false));
      return;
    case Fn::All:
      for (uint32_t i = 0; i < in.size; ++i) {
        auto b = testItem(i);
        if (!b || !*b) {
          push(out, Value::ofBoolean(false));
          return;
        }
      }
      push(out, Value::ofBoolean(true));
      return;
    case Fn::AllTrue:
    case Fn::AnyTrue:
    case Fn::AllFalse:
    case Fn::AnyFalse: {
      const bool any = fn == Fn::AnyTrue || fn == Fn::AnyFalse;
      const bool want = fn == Fn::AllTrue || fn == Fn::AnyTrue;
      bool result = !any;
      for (const Value& v : in) {
        bool b;
        if (!isBooleanItem(v, b)) fail(n, "'" + n->name + "' needs booleans");
        if (any && b == want) result = true;
        if (!any && b != want) result = false;
      }
      push(out, Value::ofBoolean(result));
      return;
    }
    case Fn::SubsetOf:
    case Fn::SupersetOf: {
      Coll other = argValue(0);
      const Coll& small = fn == Fn::SubsetOf ? in : other;
      const Coll& big = fn == Fn::SubsetOf ? other : in;
      bool r = true;
      for (const Value& v : small) {
        if (!containsItem(big, v)) {
          r = false;
          break;
        }
      }
      push(out, Value::ofBoolean(r));
      return;
    }
    case Fn::Count: push(out, Value::ofInteger(in.size)); return;
    case Fn::Distinct: distinctInto(in, out, out.size); return;
    case Fn::IsDistinct: {
      Coll d;
      distinctInto(in, d, 0);
      push(out, Value::ofBoolean(d.size == in.size));
      return;
    }

    // --- filtering and projection ---
    case Fn::Where:
      for (uint32_t i = 0; i < in.size; ++i) {
        auto b = testItem(i);
        if (b && *b) push(out, in[i]);
      }
      return;
    case Fn::Select:
      for (uint32_t i = 0; i < in.size; ++i) eval(args[0], lambdaFrame(i), out);
      return;
    case Fn::Repeat: {
      // Breadth first; an item already found (by equality, elements by identity) is not
      // projected again, so cycles end. Bounded, as a projection such as $this + 1 never ends.
      Coll result;
      DistinctSet seen(*this, result, 0);
      Coll current = in;
      constexpr uint32_t kMaxItems = 1000000;
      while (!current.empty()) {
        Coll produced;
        for (uint32_t i = 0; i < current.size; ++i) {
          Frame g;
          g.items = current.data + i;
          g.count = 1;
          g.hasIndex = true;
          g.index = i;
          eval(args[0], g, produced);
        }
        const uint32_t before = result.size;
        for (const Value& v : produced) seen.add(v);
        if (result.size > kMaxItems) fail(n, "repeat() produced too many items");
        current = Coll::view(result.data + before, result.size - before);
      }
      append(out, result);
      return;
    }
    case Fn::OfType:
    case Fn::As: {
      const TypeName& t = n->type;
      if (!t.resolved) fail(n, "unknown type '" + t.text() + "'");
      if (fn == Fn::As && in.size > 1 && env_->enforceAsSingleton) {
        fail(n, "as() needs a single item, got " + std::to_string(in.size));
      }
      for (const Value& v : in) {
        if (valueIsType(v, t.spec, true, *types_) ||
            (t.alsoSystem.isSystem() && valueIsType(v, t.alsoSystem, true, *types_))) {
          push(out, v);
        }
      }
      return;
    }
    case Fn::Is: {
      const TypeName& t = n->type;
      if (in.empty()) return;
      if (in.size > 1) fail(n, "is() needs a single item");
      if (!t.resolved) {
        if (t.ns == "System") {
          push(out, Value::ofBoolean(false));
          return;
        }
        fail(n, "unknown type '" + t.text() + "'");
      }
      push(out, Value::ofBoolean(
                    valueIsType(in[0], t.spec, false, *types_) ||
                    (t.alsoSystem.isSystem() && valueIsType(in[0], t.alsoSystem, false, *types_))));
      return;
    }
    case Fn::Type:
      for (const Value& v : in) {
        auto* spec = static_cast<TypeSpec*>(arena_.allocate(sizeof(TypeSpec), alignof(TypeSpec)));
        *spec = typeOfValue(v);
        if (spec->isSystem() || spec->fhir != nullptr) push(out, Value::ofType(spec));
      }
      return;

    // --- subsetting ---
    case Fn::Single:
      if (in.size > 1) fail(n, "single() on " + std::to_string(in.size) + " items");
      append(out, in);
      return;
    case Fn::First:
      if (!in.empty()) push(out, in[0]);
      return;
    case Fn::Last:
      if (!in.empty()) push(out, in[in.size - 1]);
      return;
    case Fn::Tail:
      for (uint32_t i = 1; i < in.size; ++i) push(out, in[i]);
      return;
    case Fn::Skip:
    case Fn::Take: {
      auto k = singleInteger(args[0], argValue(0));
      if (!k) return;
      if (fn == Fn::Skip) {
        for (int64_t i = std::max<int64_t>(*k, 0); i < in.size; ++i)
          push(out, in[static_cast<size_t>(i)]);
      } else {
        for (int64_t i = 0; i < *k && i < in.size; ++i) push(out, in[static_cast<size_t>(i)]);
      }
      return;
    }
    case Fn::Intersect: {
      Coll other = argValue(0);
      Coll both;
      for (const Value& v : in) {
        if (containsItem(other, v)) push(both, v);
      }
      distinctInto(both, out, out.size);
      return;
    }
    case Fn::Exclude: {
      Coll other = argValue(0);
      for (const Value& v : in) {
        if (!containsItem(other, v)) push(out, v);
      }
      return;
    }
    case Fn::Union: {
      Coll other = argValue(0);
      const uint32_t start = out.size;
      distinctInto(in, out, start);
      distinctInto(other, out, start);
      return;
    }
    case Fn::Combine: {
      Coll other = argValue(0);
      append(out, in);
      append(out, other);
      return;
    }

    // --- conversion ---
    case Fn::Iif: {
      Frame g = f;
      if (n->base != nullptr) {
        if (in.size > 1) fail(n, "iif() on more than one item");
        g.items = in.data;
        g.count = in.size;
      }
      Coll c;
      eval(args[0], g, c);
      auto b = toBoolean(args[0], c);
      if (b && *b) {
        eval(args[1], g, out);
      } else if (args.size() > 2) {
        eval(args[2], g, out);
      }
      return;
    }
    case Fn::ToBoolean:
    case Fn::ToInteger:
    case Fn::ToDecimal:
    case Fn::ToString:
    case Fn::ToDate:
    case Fn::ToDateTime:
    case Fn::ToTime: {
      if (in.empty()) return;
      if (in.size > 1) fail(n, n->name + "() on more than one item");
      if (auto v = convertTo(*this, fn, in[0], n)) push(out, *v);
      return;
    }
    case Fn::ConvertsToBoolean:
    case Fn::ConvertsToInteger:
    case Fn::ConvertsToDecimal:
    case Fn::ConvertsToString:
    case Fn::ConvertsToDate:
    case Fn::ConvertsToDateTime:
    case Fn::ConvertsToTime: {
      if (in.empty()) return;
      if (in.size > 1) fail(n, n->name + "() on more than one item");
      push(out, Value::ofBoolean(convertTo(*this, fn, in[0], n).has_value()));
      return;
    }
    case Fn::ToQuantity:
    case Fn::ConvertsToQuantity: {
      if (in.empty()) return;
      if (in.size > 1) fail(n, n->name + "() on more than one item");
      std::optional<Value> q = convertTo(*this, fn, in[0], n);
      if (q && !args.empty()) {
        auto unit = argString(0);
        if (!unit) return;
        const Quantity& src = *q->quantity;
        std::string_view from = src.calendar ? std::string_view(src.unit) : src.unit;
        auto conv = conformance::ucum::convert(src.value.toLongDouble(), from, *unit);
        std::optional<Decimal> d;
        if (conv) d = Decimal::fromDouble(static_cast<double>(*conv));
        q = d ? std::optional<Value>(makeQuantity(*d, arena_.copy(*unit), false)) : std::nullopt;
      }
      if (fn == Fn::ToQuantity) {
        if (q) push(out, *q);
      } else {
        push(out, Value::ofBoolean(q.has_value()));
      }
      return;
    }

    // --- strings ---
    case Fn::IndexOf: {
      auto s = inputString();
      auto sub = argString(0);
      if (!s || !sub) return;
      size_t p = s->find(*sub);
      push(out, Value::ofInteger(p == std::string_view::npos
                                     ? -1
                                     : static_cast<int64_t>(utf8Length(s->substr(0, p)))));
      return;
    }
    case Fn::Substring: {
      auto s = inputString();
      auto start = singleInteger(args[0], argValue(0));
      if (!s || !start) return;
      const int64_t len = static_cast<int64_t>(utf8Length(*s));
      if (*start < 0 || *start >= len) return;
      int64_t count = len - *start;
      if (args.size() > 1) {
        auto c = singleInteger(args[1], argValue(1));
        if (!c) return;
        count = std::min(count, std::max<int64_t>(*c, 0));
      }
      size_t b = utf8Offset(*s, static_cast<size_t>(*start));
      size_t e = utf8Offset(*s, static_cast<size_t>(*start + count));
      push(out, Value::ofString(s->substr(b, e - b)));
      return;
    }
    case Fn::StartsWith:
    case Fn::EndsWith:
    case Fn::Contains: {
      auto s = inputString();
      auto sub = argString(0);
      if (!s || !sub) return;
      bool r = fn == Fn::StartsWith ? s->substr(0, sub->size()) == *sub
               : fn == Fn::EndsWith
                   ? (s->size() >= sub->size() && s->substr(s->size() - sub->size()) == *sub)
                   : s->find(*sub) != std::string_view::npos;
      push(out, Value::ofBoolean(r));
      return;
    }
    case Fn::Upper:
    case Fn::Lower: {
      auto s = inputString();
      if (!s) return;
      std::string r(*s);
      for (char& c : r) {
        if (fn == Fn::Upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (fn == Fn::Lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      push(out, makeString(r));
      return;
    }
    case Fn::Replace: {
      auto s = inputString();
      auto pattern = argString(0);
      auto subst = argString(1);
      if (!s || !pattern || !subst) return;
      std::string r;
      if (pattern->empty()) {
        r += *subst;
        for (char c : *s) {
          r += c;
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
      push(out, makeString(r));
      return;
    }
    case Fn::Matches:
    case Fn::MatchesFull: {
      auto s = inputString();
      auto pattern = argString(0);
      if (!s || !pattern) return;
      const CompiledRegex& re = regexFor(n, *pattern, fn == Fn::MatchesFull);
      if (!re.re) fail(n, "invalid regular expression: " + re.error);
      bool r = false;
      try {
        r = re.re->find(*s);
      } catch (const std::exception& ex) {
        fail(n, std::string("regular expression failed: ") + ex.what());
      }
      push(out, Value::ofBoolean(r));
      return;
    }
    case Fn::ReplaceMatches: {
      auto s = inputString();
      auto pattern = argString(0);
      auto subst = argString(1);
      if (!s || !pattern || !subst) return;
      if (pattern->empty()) {
        push(out, Value::ofString(*s));
        return;
      }
      const CompiledRegex& re = regexFor(n, *pattern, false);
      if (!re.re) fail(n, "invalid regular expression: " + re.error);
      // Global replacement with $0..$9; an empty match copies one character and moves on.
      const std::string subject(*s);
      std::string result;
      size_t pos = 0;
      try {
        std::vector<core::Regex::Span> m;
        while (pos <= subject.size()) {
          if (!re.re->find(subject, pos, &m) || m[0].offset == std::string::npos) break;
          result.append(subject, pos, m[0].offset - pos);
          for (size_t i = 0; i < subst->size(); ++i) {
            const char c = (*subst)[i];
            if (c == '$' && i + 1 < subst->size() && (*subst)[i + 1] >= '0' &&
                (*subst)[i + 1] <= '9') {
              const size_t g = static_cast<size_t>((*subst)[++i] - '0');
              if (g < m.size() && m[g].offset != std::string::npos) {
                result.append(subject, m[g].offset, m[g].length);
              }
            } else {
              result += c;
            }
          }
          pos = m[0].offset + m[0].length;
          if (m[0].length == 0) {
            if (pos >= subject.size()) {
              pos = subject.size() + 1;
              break;
            }
            const size_t step = utf8Offset(std::string_view(subject).substr(pos), 1);
            result.append(subject, pos, step);
            pos += step;
          }
        }
      } catch (const std::exception& ex) {
        fail(n, std::string("regular expression failed: ") + ex.what());
      }
      if (pos < subject.size()) result.append(subject, pos, std::string::npos);
      const std::string& subjectOut = result;
      push(out, makeString(subjectOut));
      return;
    }
    case Fn::Length: {
      auto s = inputString();
      if (s) push(out, Value::ofInteger(static_cast<int64_t>(utf8Length(*s))));
      return;
    }
    case Fn::ToChars: {
      auto s = inputString();
      if (!s) return;
      for (size_t i = 0; i < s->size();) {
        size_t j = utf8Offset(s->substr(i), 1);
        push(out, Value::ofString(s->substr(i, j)));
        i += j;
      }
      return;
    }
    case Fn::Trim: {
      auto s = inputString();
      if (!s) return;
      std::string_view t = *s;
      auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
      while (!t.empty() && sp(t.front())) t.remove_prefix(1);
      while (!t.empty() && sp(t.back())) t.remove_suffix(1);
      push(out, Value::ofString(t));
      return;
    }
    case Fn::Split: {
      auto s = inputString();
      auto sep = argString(0);
      if (!s || !sep) return;
      if (sep->empty()) {
        push(out, Value::ofString(*s));
        return;
      }
      size_t p = 0;
      while (true) {
        size_t q = s->find(*sep, p);
        if (q == std::string_view::npos) break;
        push(out, Value::ofString(s->substr(p, q - p)));
        p = q + sep->size();
      }
      push(out, Value::ofString(s->substr(p)));
      return;
    }
    case Fn::Join: {
      std::string_view sep;
      if (!args.empty()) {
        auto s = argString(0);
        if (s) sep = *s;
      }
      std::string r;
      for (uint32_t i = 0; i < in.size; ++i) {
        auto s = singleString(n, Coll::view(in.data + i, 1));
        if (i > 0) r += sep;
        if (s) r += *s;
      }
      push(out, makeString(r));
      return;
    }
    case Fn::Encode:
    case Fn::Decode:
    case Fn::Escape:
    case Fn::Unescape: {
      auto s = inputString();
      auto how = argString(0);
      if (!s || !how) return;
      std::string r;
      if (fn == Fn::Encode) {
        if (*how == "base64") {
          r = core::base64Encode(*s);
        } else if (*how == "urlbase64") {
          r = core::base64UrlEncodePadded(*s);
        } else if (*how == "hex") {
          r = core::hexEncode(*s);
        } else {
          fail(n, "unknown encoding '" + std::string(*how) + "'");
        }
      } else if (fn == Fn::Decode) {
        if (*how == "base64" || *how == "urlbase64" || *how == "hex") {
          auto d = *how == "hex" ? core::hexDecode(*s) : core::base64Decode(*s);
          if (!d) return;
          r = std::move(*d);
        } else {
          fail(n, "unknown encoding '" + std::string(*how) + "'");
        }
      } else if (fn == Fn::Escape) {
        if (*how == "html") {
          r = htmlEscape(*s);
        } else if (*how == "json") {
          core::appendJsonEscaped(r, *s);
        } else {
          fail(n, "unknown escape target '" + std::string(*how) + "'");
        }
      } else {
        if (*how == "html") {
          r = htmlUnescape(*s);
        } else if (*how == "json") {
          r = jsonUnescape(*s);
        } else {
          fail(n, "unknown escape target '" + std::string(*how) + "'");
        }
      }
      push(out, makeString(r));
      return;
    }

    // --- math ---
    case Fn::Abs:
    case Fn::Ceiling:
    case Fn::Floor:
    case Fn::Truncate:
    case Fn::Round:
    case Fn::Exp:
    case Fn::Ln:
    case Fn::Sqrt:
    case Fn::Log:
    case Fn::Power: {
      auto v = single(n, in);
      if (!v) return;
      if (v->kind == Kind::Quantity && fn == Fn::Abs) {
        const Quantity& q = *v->quantity;
        push(out,
             makeQuantity(q.value.isNegative() ? q.value.negated() : q.value, q.unit, q.calendar));
        return;
      }
      if (v->kind != Kind::Integer && v->kind != Kind::Decimal) {
        fail(n, n->name + "() needs a number");
      }
      const bool isInt = v->kind == Kind::Integer;
      Decimal d = isInt ? Decimal::fromInt(v->integer) : v->decimal();
      auto pushDouble = [&](double r) {
        if (!std::isfinite(r)) return;
        if (auto dd = Decimal::fromDouble(r)) push(out, Value::ofDecimal(*dd));
      };
      switch (fn) {
        case Fn::Abs:
          if (isInt) {
            push(out, Value::ofInteger(v->integer < 0 ? -v->integer : v->integer));
          } else {
            push(out, Value::ofDecimal(d.isNegative() ? d.negated() : d));
          }
          return;
        case Fn::Ceiling:
        case Fn::Floor:
        case Fn::Truncate: {
          Decimal r =
              fn == Fn::Ceiling ? d.ceiling() : (fn == Fn::Floor ? d.floor() : d.truncated());
          auto i = r.toInt64();
          if (!i) fail(n, "integer overflow");
          push(out, Value::ofInteger(*i));
          return;
        }
        case Fn::Round: {
          int64_t digits = 0;
          if (!args.empty()) {
            auto p = singleInteger(args[0], argValue(0));
            if (!p) return;
            if (*p < 0) fail(n, "round() needs a non-negative precision");
            digits = *p;
          }
          push(out,
               Value::ofDecimal(d.roundHalfUp(static_cast<int>(std::min<int64_t>(digits, 28)))));
          return;
        }
        case Fn::Exp: pushDouble(std::exp(d.toDouble())); return;
        case Fn::Ln:
          if (d.isNegative() || d.isZero()) return;
          pushDouble(std::log(d.toDouble()));
          return;
        case Fn::Sqrt:
          if (d.isNegative()) return;
          pushDouble(std::sqrt(d.toDouble()));
          return;
        case Fn::Log: {
          auto b = single(args[0], argValue(0));
          if (!b) return;
          if (b->kind != Kind::Integer && b->kind != Kind::Decimal) fail(n, "log() needs a number");
          double base =
              b->kind == Kind::Integer ? static_cast<double>(b->integer) : b->decimal().toDouble();
          if (d.isNegative() || d.isZero() || base <= 0 || base == 1) return;
          pushDouble(std::log(d.toDouble()) / std::log(base));
          return;
        }
        case Fn::Power: {
          auto e = single(args[0], argValue(0));
          if (!e) return;
          if (e->kind != Kind::Integer && e->kind != Kind::Decimal)
            fail(n, "power() needs a number");
          if (isInt && e->kind == Kind::Integer && e->integer >= 0) {
            int64_t r = 1;
            for (int64_t i = 0; i < e->integer; ++i) {
              if (__builtin_mul_overflow(r, v->integer, &r)) fail(n, "integer overflow");
            }
            push(out, Value::ofInteger(r));
            return;
          }
          double ex =
              e->kind == Kind::Integer ? static_cast<double>(e->integer) : e->decimal().toDouble();
          pushDouble(std::pow(d.toDouble(), ex));
          return;
        }
        default: return;
      }
    }

    // --- tree navigation ---
    case Fn::Children:
      for (const Value& v : in) {
        if (v.kind != Kind::Element) continue;
        for (const core::Element* c = v.element->firstChild(); c != nullptr; c = c->nextSibling()) {
          push(out, Value::ofElement(c));
        }
      }
      return;
    case Fn::Descendants:
      for (const Value& v : in) {
        if (v.kind == Kind::Element) collectDescendants(*this, v.element, out);
      }
      return;

    // --- utility ---
    case Fn::Trace: {
      auto name = argString(0);
      if (env_->trace) {
        if (args.size() > 1) {
          Coll projected;
          for (uint32_t i = 0; i < in.size; ++i) eval(args[1], lambdaFrame(i), projected);
          env_->trace(name.value_or(""), std::span<const Value>(projected.data, projected.size));
        } else {
          env_->trace(name.value_or(""), std::span<const Value>(in.data, in.size));
        }
      }
      append(out, in);
      return;
    }
    case Fn::Now: push(out, Value::ofTemporal(Kind::DateTime, nowLocal())); return;
    case Fn::Today: {
      Temporal t = nowLocal();
      t.precision = Precision::Day;
      t.hasTz = false;
      push(out, Value::ofTemporal(Kind::Date, t));
      return;
    }
    case Fn::TimeOfDay: {
      Temporal t = nowLocal();
      t.hasTz = false;
      push(out, Value::ofTemporal(Kind::Time, t));
      return;
    }
    case Fn::LowBoundary:
    case Fn::HighBoundary: {
      auto v = single(n, in);
      if (!v) return;
      std::optional<int64_t> digits;
      if (!args.empty()) {
        digits = singleInteger(args[0], argValue(0));
        if (!digits) return;
      }
      const bool high = fn == Fn::HighBoundary;
      if (v->kind == Kind::Integer || v->kind == Kind::Decimal || v->kind == Kind::Quantity) {
        Decimal d = v->kind == Kind::Integer   ? Decimal::fromInt(v->integer)
                    : v->kind == Kind::Decimal ? v->decimal()
                                               : v->quantity->value;
        int p = digits ? static_cast<int>(std::clamp<int64_t>(*digits, -1, 100)) : 8;
        auto r = high ? d.highBoundary(p) : d.lowBoundary(p);
        if (!r) return;
        if (v->kind == Kind::Quantity) {
          push(out, makeQuantity(*r, v->quantity->unit, v->quantity->calendar));
        } else {
          push(out, Value::ofDecimal(*r));
        }
        return;
      }
      if (v->kind == Kind::Date || v->kind == Kind::DateTime || v->kind == Kind::Time) {
        int p = digits ? static_cast<int>(std::clamp<int64_t>(*digits, -1, 100))
                       : (v->kind == Kind::Date ? 8 : (v->kind == Kind::Time ? 9 : 17));
        TemporalKind rk;
        auto r = temporalBoundary(v->temporal, v->temporalKind(), p, high, rk);
        if (!r) return;
        Kind k = rk == TemporalKind::Date
                     ? Kind::Date
                     : (rk == TemporalKind::Time ? Kind::Time : Kind::DateTime);
        push(out, Value::ofTemporal(k, *r));
        return;
      }
      return;
    }
    case Fn::Precision: {
      auto v = single(n, in);
      if (!v) return;
      if (v->kind == Kind::Decimal) {
        push(out, Value::ofInteger(v->decimal().scale()));
      } else if (v->kind == Kind::Integer) {
        push(out, Value::ofInteger(0));
      } else if (v->kind == Kind::Date || v->kind == Kind::DateTime || v->kind == Kind::Time) {
        push(out, Value::ofInteger(temporalPrecisionDigits(v->temporal, v->temporalKind())));
      }
      return;
    }
    case Fn::Comparable: {
      auto v = single(n, in);
      auto o = single(args[0], argValue(0));
      if (!v || !o) return;
      auto qa = asQuantity(*v);
      auto qb = asQuantity(*o);
      if (!qa || !qb) fail(n, "comparable() needs quantities");
      std::string_view ua = qa->unit, ub = qb->unit;
      push(out, Value::ofBoolean(conformance::ucum::comparable(ua, ub)));
      return;
    }

    // --- aggregates and sorting ---
    case Fn::Aggregate: {
      Coll total;
      if (args.size() > 1) eval(args[1], f, total);
      for (uint32_t i = 0; i < in.size; ++i) {
        Frame g = lambdaFrame(i);
        g.total = &total;
        Coll next;
        eval(args[0], g, next);
        total = next;
      }
      append(out, total);
      return;
    }
    case Fn::Sort: {
      const uint32_t nkeys = static_cast<uint32_t>(args.size());
      // keys[i * nkeys + k]: key k of item i (an empty key sorts first).
      struct Key {
        bool present;
        Value v;
      };
      Key* keys =
          arena_.allocateArray<Key>(std::max<uint32_t>(1, in.size * std::max<uint32_t>(nkeys, 1)));
      for (uint32_t i = 0; i < in.size; ++i) {
        if (nkeys == 0) {
          auto v = single(n, Coll::view(in.data + i, 1));
          keys[i] = Key{v.has_value(), v.value_or(Value())};
          continue;
        }
        for (uint32_t k = 0; k < nkeys; ++k) {
          Coll c;
          eval(args[k], lambdaFrame(i), c);
          auto v = single(args[k], c);
          keys[i * nkeys + k] = Key{v.has_value(), v.value_or(Value())};
        }
      }
      uint32_t* order = arena_.allocateArray<uint32_t>(std::max<uint32_t>(1, in.size));
      for (uint32_t i = 0; i < in.size; ++i) order[i] = i;
      const uint32_t stride = std::max<uint32_t>(nkeys, 1);
      std::stable_sort(order, order + in.size, [&](uint32_t x, uint32_t y) {
        for (uint32_t k = 0; k < stride; ++k) {
          const Key& a = keys[x * stride + k];
          const Key& b = keys[y * stride + k];
          const bool desc = nkeys > 0 && args[k]->descending;
          int c;
          if (!a.present || !b.present) {
            // An empty key sorts first, whatever the direction.
            if (a.present != b.present) return !a.present;
            continue;
          }
          auto r = compareItems(n, a.v, b.v);
          c = r.value_or(0);
          if (c != 0) return desc ? c > 0 : c < 0;
        }
        return false;
      });
      for (uint32_t i = 0; i < in.size; ++i) push(out, in[order[i]]);
      return;
    }
    case Fn::Not: {
      auto b = toBoolean(n, in);
      if (b) push(out, Value::ofBoolean(!*b));
      return;
    }

    // --- FHIR ---
    case Fn::Extension: {
      auto url = argString(0);
      if (!url) return;
      for (const Value& v : in) {
        if (v.kind != Kind::Element) continue;
        v.element->forEachChild("extension", [&](const core::Element& ext) {
          const core::Element* u = ext.child("url");
          if (u != nullptr && u->value() == *url) push(out, Value::ofElement(&ext));
        });
      }
      return;
    }
    case Fn::HasValue: {
      bool r = in.size == 1 && ((in[0].kind == Kind::Element && in[0].element->isPrimitive() &&
                                 in[0].element->hasValue()) ||
                                in[0].kind != Kind::Element);
      push(out, Value::ofBoolean(r));
      return;
    }
    case Fn::GetValue:
      if (in.size == 1) {
        if (auto v = toSystem(in[0]); v && !(v->kind == Kind::Element)) push(out, *v);
      }
      return;
    case Fn::Resolve:
      for (const Value& v : in) {
        if (const core::Element* r = resolveReference(*this, v)) push(out, Value::ofElement(r));
      }
      return;
    case Fn::MemberOf: {
      auto url = argString(0);
      if (!url || in.empty()) return;
      if (in.size > 1) fail(n, "memberOf() needs a single item");
      auto r = memberOf(*this, in[0], *url);
      if (r) push(out, Value::ofBoolean(*r));
      return;
    }
    case Fn::Subsumes:
    case Fn::SubsumedBy: {
      auto other = single(args[0], argValue(0));
      if (in.empty() || !other) return;
      if (in.size > 1) fail(n, n->name + "() needs a single item");
      auto r = fn == Fn::Subsumes ? subsumes(*this, in[0], *other) : subsumes(*this, *other, in[0]);
      if (r) push(out, Value::ofBoolean(*r));
      return;
    }
    case Fn::ConformsTo: {
      auto url = argString(0);
      if (!url || in.empty()) return;
      if (in.size > 1) fail(n, "conformsTo() needs a single item");
      auto r = conformsTo(*this, in[0], *url);
      if (!r) fail(n, "unknown profile '" + std::string(*url) + "'");
      push(out, Value::ofBoolean(*r));
      return;
    }
    case Fn::HtmlChecks: {
      if (in.empty()) return;
      auto s = singleString(n, in);
      push(out, Value::ofBoolean(s && htmlChecks(*s)));
      return;
    }
    case Fn::ElementDefinition:
    case Fn::Slice: fail(n, n->name + "() is not supported outside validation");
    case Fn::CheckModifiers: append(out, in); return;
    case Fn::DefineVariable: fail(n, "defineVariable() is not supported");
  }
  fail(n, "function '" + n->name + "' is not implemented");
}

}  // namespace trialbridge::fhirpath
