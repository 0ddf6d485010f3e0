#include "store/search_query.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "store/fhir_time.h"
#include "store/index.h"

namespace trialbridge::store {

namespace {

using core::IssueType;
using core::Severity;

// Splits at unescaped `sep`, resolving "\," "\|" "\$" "\\".
std::vector<std::string> splitEscaped(std::string_view s, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size() &&
        (s[i + 1] == ',' || s[i + 1] == '|' || s[i + 1] == '$' || s[i + 1] == '\\')) {
      if (s[i + 1] == sep) {
        out.back() += s[i + 1];
      } else {
        out.back() += c;
        out.back() += s[i + 1];
      }
      ++i;
    } else if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else {
      out += s[i];
    }
  }
  return out;
}

// A decimal's value and the range its precision implies ("5.4" is [5.35, 5.45)).
bool parseNumber(const std::string& text, double& value, double& low, double& high) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return false;
  long decimals = 0;
  long exponent = 0;
  const size_t e = text.find_first_of("eE");
  const std::string mantissa = text.substr(0, e);
  // Past +-400 the half-width is 0 or infinite either way; the clamp keeps the arithmetic below
  // in range for any exponent written ("0e-2147483648" is a finite number).
  if (e != std::string::npos) {
    exponent = std::clamp(std::strtol(text.c_str() + e + 1, nullptr, 10), -400L, 400L);
  }
  if (const size_t dot = mantissa.find('.'); dot != std::string::npos) {
    decimals = static_cast<long>(mantissa.size() - dot - 1);
  }
  const double half = 0.5 * std::pow(10.0, static_cast<double>(exponent - decimals));
  low = value - half;
  high = value + half;
  return true;
}

Modifier modifierOf(std::string_view m) {
  if (m.empty()) return Modifier::None;
  if (m == "missing") return Modifier::Missing;
  if (m == "exact") return Modifier::Exact;
  if (m == "contains") return Modifier::Contains;
  if (m == "text") return Modifier::Text;
  if (m == "not") return Modifier::Not;
  if (m == "below") return Modifier::Below;
  if (m == "above") return Modifier::Above;
  if (m[0] >= 'A' && m[0] <= 'Z') return Modifier::Type;
  return static_cast<Modifier>(255);
}

bool modifierAllowed(ParamType t, Modifier m) {
  if (m == Modifier::None || m == Modifier::Missing) return true;
  switch (t) {
    case ParamType::String: return m == Modifier::Exact || m == Modifier::Contains;
    case ParamType::Token: return m == Modifier::Not || m == Modifier::Text;
    case ParamType::Reference: return m == Modifier::Type;
    case ParamType::Uri: return m == Modifier::Below || m == Modifier::Above;
    default: return false;
  }
}

class Parser {
 public:
  Parser(const SearchParameterRegistry& registry, std::string_view type, const SearchLimits& limits,
         SearchQuery& query, core::Issues& issues)
      : registry_(registry), type_(type), limits_(limits), query_(query), issues_(issues) {}

  void parse(const QueryParams& params) {
    query_.type = std::string(type_);
    query_.count = limits_.defaultCount;
    for (const auto& [name, value] : params) {
      if (++seen_ > limits_.maxValues) {
        error(IssueType::TooCostly,
              "too many search parameters (at most " + std::to_string(limits_.maxValues) + ")",
              name);
        return;
      }
      parseOne(name, value);
    }
  }

 private:
  void error(IssueType code, std::string message, std::string_view name) {
    issues_.add(Severity::Error, code, std::move(message), std::string(name));
  }
  // An unknown or unsupported parameter: an error when strict, else ignored with a warning.
  void unsupported(std::string message, std::string_view name) {
    issues_.add(limits_.strict ? Severity::Error : Severity::Warning, IssueType::NotSupported,
                std::move(message) + (limits_.strict ? "" : "; ignored"), std::string(name));
  }

  bool parseSize(std::string_view name, const std::string& value, size_t& out) {
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || end != value.c_str() + value.size() || n < 0) {
      error(IssueType::Invalid, "'" + std::string(name) + "' must be a whole number >= 0", name);
      return false;
    }
    out = static_cast<size_t>(n);
    return true;
  }

  void parseOne(const std::string& name, const std::string& value) {
    if (name == "_count") {
      size_t n = 0;
      if (!parseSize(name, value, n)) return;
      if (n > limits_.maxCount) {
        issues_.add(Severity::Information, IssueType::Informational,
                    "_count reduced to " + std::to_string(limits_.maxCount), name);
        n = limits_.maxCount;
      }
      query_.count = n;
      if (n == 0) query_.summaryCount = true;
      return;
    }
    if (name == "_offset") {
      parseSize(name, value, query_.offset);
      return;
    }
    if (name == "_summary") {
      if (value == "count") {
        query_.summaryCount = true;
      } else if (value != "true" && value != "false" && value != "text" && value != "data") {
        error(IssueType::Invalid, "_summary must be true, false, text, data or count", name);
      }
      return;
    }
    if (name == "_total") {
      if (value == "none") {
        query_.countTotal = false;
      } else if (value != "estimate" && value != "accurate") {
        error(IssueType::Invalid, "_total must be none, estimate or accurate", name);
      }
      return;
    }
    if (name == "_format" || name == "_pretty" || name == "_elements") return;
    if (name == "_sort") return parseSort(value);
    if (name == "_include" || name == "_include:iterate" || name == "_include:recurse") {
      return parseInclude(name, value, false);
    }
    if (name == "_revinclude" || name == "_revinclude:iterate" || name == "_revinclude:recurse") {
      return parseInclude(name, value, true);
    }
    parseCriterion(name, value);
  }

  void parseSort(const std::string& value) {
    for (std::string key : splitEscaped(value, ',')) {
      SortKey s;
      if (!key.empty() && key[0] == '-') {
        s.descending = true;
        key.erase(0, 1);
      }
      s.name = key;
      if (key == "_id") {
        s.special = Special::Id;
      } else if (key == "_lastUpdated") {
        s.special = Special::LastUpdated;
      } else {
        s.param = registry_.find(type_, key);
        if (s.param == nullptr || !s.param->indexed) {
          unsupported("unknown sort parameter '" + key + "' for " + std::string(type_), "_sort");
          continue;
        }
      }
      query_.sort.push_back(std::move(s));
    }
  }

  void parseInclude(const std::string& name, const std::string& value, bool reverse) {
    IncludeSpec inc;
    inc.iterate = name.find(':') != std::string::npos;
    const auto parts = splitEscaped(value, ':');
    if (value == "*" || parts.size() < 2 || parts.size() > 3) {
      unsupported(name + "=" + value + " is not supported (use Type:parameter[:targetType])", name);
      return;
    }
    inc.sourceType = parts[0];
    if (!reverse && inc.sourceType != type_ && !inc.iterate) {
      unsupported(name + " names " + inc.sourceType + ", not " + std::string(type_), name);
      return;
    }
    inc.param = registry_.find(inc.sourceType, parts[1]);
    if (inc.param == nullptr || inc.param->type != ParamType::Reference || !inc.param->indexed) {
      unsupported("'" + parts[1] + "' is not a reference parameter of " + inc.sourceType, name);
      return;
    }
    if (parts.size() == 3) inc.targetType = parts[2];
    (reverse ? query_.revIncludes : query_.includes).push_back(std::move(inc));
  }

  void parseCriterion(const std::string& fullName, const std::string& rawValue) {
    Criterion c;
    std::string name = fullName;
    std::string chain;
    if (const size_t dot = name.find('.'); dot != std::string::npos) {
      chain = name.substr(dot + 1);
      name.resize(dot);
    }
    std::string modifier;
    if (const size_t colon = name.find(':'); colon != std::string::npos) {
      modifier = name.substr(colon + 1);
      name.resize(colon);
    }
    c.name = name;
    c.modifier = modifierOf(modifier);
    if (static_cast<uint8_t>(c.modifier) == 255) {
      unsupported("modifier ':" + modifier + "' is not supported", fullName);
      return;
    }
    if (c.modifier == Modifier::Type) c.typeModifier = modifier;
    ParamType type = ParamType::Token;
    if (name == "_id") {
      c.special = Special::Id;
    } else if (name == "_lastUpdated") {
      c.special = Special::LastUpdated;
      type = ParamType::Date;
    } else {
      c.param = registry_.find(type_, name);
      if (c.param == nullptr) {
        unsupported("unknown search parameter '" + name + "' for " + std::string(type_), fullName);
        return;
      }
      if (!c.param->indexed) {
        unsupported("search parameter '" + name + "' (" +
                        std::string(paramTypeName(c.param->type)) + ") is not supported",
                    fullName);
        return;
      }
      type = c.param->type;
    }
    if (c.special == Special::None && !modifierAllowed(type, c.modifier)) {
      unsupported("modifier ':" + modifier + "' is not supported on " +
                      std::string(paramTypeName(type)) + " parameters",
                  fullName);
      return;
    }
    if (c.special != Special::None && c.modifier != Modifier::None) {
      unsupported("modifiers are not supported on " + name, fullName);
      return;
    }
    if (!chain.empty()) {
      if (type != ParamType::Reference) {
        error(IssueType::Invalid, "only reference parameters can be chained", fullName);
        return;
      }
      if (chain.find('.') != std::string::npos || chain.find(':') != std::string::npos) {
        unsupported("chains deeper than one level or with modifiers are not supported", fullName);
        return;
      }
      std::vector<std::string> candidates =
          c.typeModifier.empty() ? c.param->targets : std::vector<std::string>{c.typeModifier};
      for (const std::string& t : candidates) {
        const SearchParamDef* d = registry_.find(t, chain);
        if (d == nullptr || !d->indexed) continue;
        if (c.chained == nullptr) {
          c.chained = d;
        } else if (d->type != c.chained->type) {
          continue;
        }
        c.chainTypes.push_back(t);
      }
      if (c.chained == nullptr) {
        unsupported("no target of '" + name + "' has a search parameter '" + chain + "'", fullName);
        return;
      }
      type = c.chained->type;
      c.modifier = Modifier::None;
    }
    const auto alternatives = splitEscaped(rawValue, ',');
    seen_ += alternatives.size() - 1;
    for (const std::string& alt : alternatives) {
      SearchValue v;
      if (!decode(type, c, alt, v, fullName)) return;
      c.values.push_back(std::move(v));
    }
    query_.criteria.push_back(std::move(c));
  }

  bool decode(ParamType type, const Criterion& c, const std::string& raw, SearchValue& v,
              std::string_view name) {
    if (c.modifier == Modifier::Missing) {
      if (raw != "true" && raw != "false") {
        error(IssueType::Invalid, ":missing takes true or false", name);
        return false;
      }
      v.missing = raw == "true";
      v.text = raw;
      return true;
    }
    if (raw.empty()) {
      error(IssueType::Invalid, "empty search value", name);
      return false;
    }
    switch (type) {
      case ParamType::Token: {
        if (c.special == Special::Id) {
          v.text = unescape(raw);
          return true;
        }
        const auto parts = splitEscaped(raw, '|');
        if (parts.size() > 2) {
          error(IssueType::Invalid, "a token is [system|]code", name);
          return false;
        }
        v.text = unescape(raw);
        if (parts.size() == 2) {
          v.hasSystem = true;
          v.system = unescape(parts[0]);
          v.code = unescape(parts[1]);
        } else {
          v.code = unescape(parts[0]);
        }
        if (c.modifier == Modifier::Text) v.text = normalizeString(v.text);
        return true;
      }
      case ParamType::String:
        v.text = unescape(raw);
        if (c.modifier != Modifier::Exact) v.text = normalizeString(v.text);
        return true;
      case ParamType::Uri: v.text = unescape(raw); return true;
      case ParamType::Date: {
        std::string s = unescape(raw);
        takePrefix(s, v.prefix);
        TimeRange r;
        if (!parseFhirTime(s, r)) {
          error(IssueType::Invalid, "'" + s + "' is not a date, dateTime or instant", name);
          return false;
        }
        v.text = s;
        v.low = r.low;
        v.high = r.high;
        return true;
      }
      case ParamType::Number:
      case ParamType::Quantity: {
        std::string s = raw;
        takePrefix(s, v.prefix);
        const auto parts = splitEscaped(s, '|');
        if (parts.size() > 3 || (type == ParamType::Number && parts.size() != 1)) {
          error(IssueType::Invalid,
                type == ParamType::Number ? "a number is [prefix]value"
                                          : "a quantity is [prefix]value[|system|code]",
                name);
          return false;
        }
        if (!parseNumber(parts[0], v.number, v.numberLow, v.numberHigh)) {
          error(IssueType::Invalid, "'" + parts[0] + "' is not a number", name);
          return false;
        }
        v.text = s;
        if (parts.size() >= 2) {
          v.hasSystem = true;
          v.system = unescape(parts[1]);
        }
        if (parts.size() == 3) v.code = unescape(parts[2]);
        if (parts.size() == 2) {  // value|code is not valid; value||code is
          error(IssueType::Invalid, "a quantity is value|system|code (system may be empty)", name);
          return false;
        }
        return true;
      }
      case ParamType::Reference: {
        v.text = unescape(raw);
        std::string t, id;
        if (splitReference(v.text, t, id)) {
          v.refType = t;
          v.refId = id;
        } else if (v.text.find('/') == std::string::npos && v.text.find(':') == std::string::npos) {
          v.refType = c.typeModifier;
          v.refId = v.text;
        }
        if (!c.typeModifier.empty() && !v.refType.empty() && v.refType != c.typeModifier) {
          error(IssueType::Invalid, "the reference type does not match the modifier", name);
          return false;
        }
        return true;
      }
      default:
        unsupported("parameters of type " + std::string(paramTypeName(type)) + " are not supported",
                    name);
        return false;
    }
  }

  const SearchParameterRegistry& registry_;
  std::string_view type_;
  const SearchLimits& limits_;
  SearchQuery& query_;
  core::Issues& issues_;
  size_t seen_ = 0;
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
               hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void parseSearch(const SearchParameterRegistry& registry, std::string_view type,
                 const QueryParams& params, const SearchLimits& limits, SearchQuery& query,
                 core::Issues& issues) {
  Parser(registry, type, limits, query, issues).parse(params);
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

QueryParams parseQueryString(std::string_view query) {
  QueryParams out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view part = query.substr(pos, amp - pos);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(percentDecode(part), std::string());
      } else {
        out.emplace_back(percentDecode(part.substr(0, eq)), percentDecode(part.substr(eq + 1)));
      }
    }
    pos = amp + 1;
  }
  return out;
}

bool takePrefix(std::string& v, Prefix& p) {
  static const std::pair<const char*, Prefix> kPrefixes[] = {
      {"eq", Prefix::Eq}, {"ne", Prefix::Ne}, {"gt", Prefix::Gt},
      {"lt", Prefix::Lt}, {"ge", Prefix::Ge}, {"le", Prefix::Le},
      {"sa", Prefix::Sa}, {"eb", Prefix::Eb}, {"ap", Prefix::Ap}};
  if (v.size() < 3) return false;
  for (const auto& [text, prefix] : kPrefixes) {
    if (v.compare(0, 2, text) == 0) {
      p = prefix;
      v.erase(0, 2);
      return true;
    }
  }
  return false;
}

}  // namespace trialbridge::store
