#include "conformance/ucum.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "core/string_map.h"

// The UCUM essence table, embedded by ucum_data.S (see CMakeLists.txt).
extern "C" const char tb_ucum_tsv_begin[];
extern "C" const char tb_ucum_tsv_end[];

namespace trialbridge::conformance::ucum {

namespace {

using core::StringMap;

struct UnitDef {
  bool metric = false;
  bool special = false;
  bool arbitrary = false;
  int base = -1;  // index of the base dimension for base units
  long double value = 1;
  std::string unit;      // definition expression
  std::string function;  // special units
};

// An intermediate product: factor, dimensions and arbitrary atoms with exponents.
struct Term {
  long double factor = 1;
  std::array<int8_t, kDimensions> dims{};
  std::map<std::string, int> arbitrary;
  std::string special;
  long double specialScale = 1;
  int atoms = 0;  // unit atoms in the expression (a special unit must stand alone)

  void multiply(const Term& o, int sign) {
    factor = sign > 0 ? factor * o.factor : factor / o.factor;
    for (size_t i = 0; i < kDimensions; ++i)
      dims[i] = static_cast<int8_t>(dims[i] + sign * o.dims[i]);
    for (const auto& [k, v] : o.arbitrary) {
      int& e = arbitrary[k];
      e += sign * v;
      if (e == 0) arbitrary.erase(k);
    }
    atoms += o.atoms;
    if (!o.special.empty()) {
      special = o.special;
      specialScale = o.specialScale;
    }
  }
  void power(int exp) {
    factor = std::pow(factor, static_cast<long double>(exp));
    for (auto& d : dims) d = static_cast<int8_t>(d * exp);
    for (auto& [k, v] : arbitrary) v *= exp;
    if (exp != 1) atoms += 1;  // a special unit with an exponent is no longer convertible
  }
};

class Table {
 public:
  Table() {
    std::string_view text(tb_ucum_tsv_begin,
                          static_cast<size_t>(tb_ucum_tsv_end - tb_ucum_tsv_begin));
    while (!text.empty()) {
      size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      if (line.empty() || line[0] == '#') {
        if (line.rfind("# UCUM essence ", 0) == 0) {
          std::string_view rest = line.substr(15);
          version_ = std::string(rest.substr(0, rest.find(' ')));
        }
        continue;
      }
      std::vector<std::string_view> f;
      while (true) {
        size_t tab = line.find('\t');
        f.push_back(line.substr(0, tab));
        if (tab == std::string_view::npos) break;
        line = line.substr(tab + 1);
      }
      auto str = [](std::string_view s) { return s == "-" ? std::string() : std::string(s); };
      if (f[0] == "prefix" && f.size() >= 3) {
        prefixes_[std::string(f[1])] = std::strtold(std::string(f[2]).c_str(), nullptr);
      } else if (f[0] == "base" && f.size() >= 3) {
        static constexpr std::string_view kDims = "LTMACQF";
        UnitDef d;
        d.metric = true;
        d.base = static_cast<int>(kDims.find(f[2]));
        units_[std::string(f[1])] = d;
      } else if (f[0] == "unit" && f.size() >= 6) {
        UnitDef d;
        d.metric = f[2].find('m') != std::string_view::npos;
        d.special = f[2].find('s') != std::string_view::npos;
        d.arbitrary = f[2].find('a') != std::string_view::npos;
        d.value = f[3] == "-" ? 1 : std::strtold(std::string(f[3]).c_str(), nullptr);
        d.unit = str(f[4]);
        d.function = str(f[5]);
        units_[std::string(f[1])] = d;
      }
    }
  }

  const std::string& version() const { return version_; }

  // The Term of one unit atom (after prefix resolution), memoized.
  const Term* atom(std::string_view code, std::string* error) const {
    {
      std::shared_lock lock(mutex_);
      if (auto it = atoms_.find(code); it != atoms_.end()) return it->second.get();
    }
    auto def = units_.find(code);
    if (def == units_.end()) return nullptr;
    auto t = std::make_unique<Term>();
    const UnitDef& d = def->second;
    if (d.base >= 0) {
      t->dims[static_cast<size_t>(d.base)] = 1;
    } else if (d.arbitrary && (d.unit.empty() || d.unit == "1")) {
      t->arbitrary[std::string(code)] = 1;
    } else {
      Term inner;
      if (!d.unit.empty() && d.unit != "1") {
        if (!parseExpression(d.unit, inner, error, 0)) return nullptr;
      }
      inner.factor *= d.value;
      if (d.special) {
        inner.special = d.function;
        inner.specialScale = d.value;
      }
      *t = std::move(inner);
    }
    t->atoms = 1;
    std::unique_lock lock(mutex_);
    auto [it, inserted] = atoms_.emplace(std::string(code), std::move(t));
    return it->second.get();
  }

  // A symbol such as "mg", "[lb_av]", "kcal_th": a unit code, or a prefix and a metric unit.
  bool symbol(std::string_view sym, Term& out, std::string* error) const {
    if (units_.count(std::string(sym)) != 0) {
      const Term* t = atom(sym, error);
      if (t == nullptr) return false;
      out = *t;
      return true;
    }
    for (size_t len : {size_t{2}, size_t{1}}) {
      if (sym.size() <= len) continue;
      auto p = prefixes_.find(std::string(sym.substr(0, len)));
      if (p == prefixes_.end()) continue;
      auto u = units_.find(sym.substr(len));
      if (u == units_.end() || !u->second.metric) continue;
      const Term* t = atom(sym.substr(len), error);
      if (t == nullptr) return false;
      out = *t;
      out.factor *= p->second;
      return true;
    }
    if (error != nullptr) *error = "unknown unit '" + std::string(sym) + "'";
    return false;
  }

  bool parseExpression(std::string_view s, Term& out, std::string* error, int depth) const {
    size_t pos = 0;
    if (!parseTerm(s, pos, out, error, depth)) return false;
    if (pos != s.size()) {
      if (error != nullptr) *error = "unexpected '" + std::string(1, s[pos]) + "' in unit";
      return false;
    }
    return true;
  }

 private:
  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseTerm(std::string_view s, size_t& pos, Term& out, std::string* error, int depth) const {
    if (depth > 16) {
      if (error != nullptr) *error = "unit expression too deeply nested";
      return false;
    }
    out = Term();
    int sign = 1;
    if (pos < s.size() && s[pos] == '/') {
      sign = -1;
      ++pos;
    }
    while (true) {
      Term c;
      if (!parseComponent(s, pos, c, error, depth)) return false;
      out.multiply(c, sign);
      if (pos < s.size() && (s[pos] == '.' || s[pos] == '/')) {
        sign = s[pos] == '.' ? 1 : -1;
        ++pos;
        continue;
      }
      return true;
    }
  }

  static bool parseExponent(std::string_view s, size_t& pos, int& exp) {
    size_t p = pos;
    bool neg = false;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      neg = s[p] == '-';
      ++p;
    }
    if (p >= s.size() || !isDigit(s[p])) return false;
    int v = 0;
    while (p < s.size() && isDigit(s[p])) {
      v = v * 10 + (s[p] - '0');
      if (v > 1000) return false;
      ++p;
    }
    exp = neg ? -v : v;
    pos = p;
    return true;
  }

  static bool skipAnnotation(std::string_view s, size_t& pos, std::string* error) {
    if (pos >= s.size() || s[pos] != '{') return false;
    size_t close = s.find('}', pos);
    if (close == std::string_view::npos) {
      if (error != nullptr) *error = "unterminated annotation in unit";
      return false;
    }
    pos = close + 1;
    return true;
  }

  bool parseComponent(std::string_view s, size_t& pos, Term& out, std::string* error,
                      int depth) const {
    out = Term();
    if (pos >= s.size()) {
      if (error != nullptr) *error = "unit expression ends unexpectedly";
      return false;
    }
    const char c = s[pos];
    if (c == '(') {
      ++pos;
      if (!parseTerm(s, pos, out, error, depth + 1)) return false;
      if (pos >= s.size() || s[pos] != ')') {
        if (error != nullptr) *error = "missing ')' in unit";
        return false;
      }
      ++pos;
      int exp = 1;
      if (parseExponent(s, pos, exp)) out.power(exp);
      return true;
    }
    if (c == '{') {
      if (!skipAnnotation(s, pos, error)) return false;
      return true;  // an annotation alone is the unity
    }
    if (isDigit(c)) {
      size_t start = pos;
      while (pos < s.size() && isDigit(s[pos])) ++pos;
      std::string_view digits = s.substr(start, pos - start);
      if (pos < s.size() && (s[pos] == '*' || s[pos] == '^') && digits == "10") {
        ++pos;
        int exp = 1;
        if (!parseExponent(s, pos, exp)) exp = 1;
        out.factor = std::pow(10.0L, static_cast<long double>(exp));
      } else {
        out.factor = std::strtold(std::string(digits).c_str(), nullptr);
      }
      if (pos < s.size() && s[pos] == '{') return skipAnnotation(s, pos, error);
      return true;
    }
    // A symbol: up to an operator, a parenthesis, an annotation or an exponent.
    size_t start = pos;
    int bracket = 0;
    while (pos < s.size()) {
      char ch = s[pos];
      if (ch == '[') {
        ++bracket;
      } else if (ch == ']') {
        --bracket;
      } else if (bracket == 0 &&
                 (ch == '.' || ch == '/' || ch == '(' || ch == ')' || ch == '{' || ch == '}' ||
                  ch == '+' || ch == '-' || isDigit(ch) || ch == ' ')) {
        break;
      }
      ++pos;
    }
    if (bracket != 0) {
      if (error != nullptr) *error = "unbalanced '[' in unit";
      return false;
    }
    std::string_view sym = s.substr(start, pos - start);
    if (sym.empty()) {
      if (error != nullptr) *error = "unexpected '" + std::string(1, c) + "' in unit";
      return false;
    }
    if (!symbol(sym, out, error)) return false;
    int exp = 1;
    if (parseExponent(s, pos, exp)) out.power(exp);
    if (pos < s.size() && s[pos] == '{' && !skipAnnotation(s, pos, error)) return false;
    return true;
  }

  std::string version_;
  StringMap<long double> prefixes_;
  StringMap<UnitDef> units_;
  mutable std::shared_mutex mutex_;
  mutable StringMap<std::unique_ptr<Term>> atoms_;
};

const Table& table() {
  static const Table t;
  return t;
}

// Parsed expressions, by expression text (nullopt for invalid ones).
struct Cache {
  std::shared_mutex mutex;
  StringMap<std::optional<Canonical>> entries;
};

Cache& cache() {
  static Cache c;
  return c;
}

long double specialToKelvin(const Canonical& c, long double v) {
  if (c.special == "Cel") return v + 273.15L;
  if (c.special == "degF") return (v + 459.67L) * 5.0L / 9.0L;
  if (c.special == "degRe") return v * 5.0L / 4.0L + 273.15L;
  return NAN;
}

long double kelvinToSpecial(const Canonical& c, long double k) {
  if (c.special == "Cel") return k - 273.15L;
  if (c.special == "degF") return k * 9.0L / 5.0L - 459.67L;
  if (c.special == "degRe") return (k - 273.15L) * 4.0L / 5.0L;
  return NAN;
}

}  // namespace

bool Canonical::isDimensionless() const {
  return std::all_of(dims.begin(), dims.end(), [](int8_t d) { return d == 0; }) &&
         arbitrary.empty();
}

bool Canonical::comparableWith(const Canonical& other) const {
  return dims == other.dims && arbitrary == other.arbitrary;
}

std::optional<Canonical> parse(std::string_view unit, std::string* error) {
  Cache& c = cache();
  {
    std::shared_lock lock(c.mutex);
    if (auto it = c.entries.find(unit); it != c.entries.end()) {
      if (!it->second && error != nullptr) *error = "invalid UCUM unit '" + std::string(unit) + "'";
      return it->second;
    }
  }
  std::optional<Canonical> result;
  std::string err;
  if (unit.empty()) {
    err = "empty unit";
  } else if (unit.size() > 256) {
    err = "unit too long";
  } else {
    Term t;
    if (table().parseExpression(unit, t, &err, 0)) {
      Canonical can;
      can.factor = t.factor;
      can.dims = t.dims;
      for (const auto& [k, v] : t.arbitrary) {
        if (!can.arbitrary.empty()) can.arbitrary += '.';
        can.arbitrary += k;
        if (v != 1) can.arbitrary += std::to_string(v);
      }
      if (!t.special.empty() && t.atoms == 1) {
        can.special = t.special;
        can.specialScale = t.specialScale;
      } else if (!t.special.empty()) {
        can.special = "*";  // a special unit inside a product: not convertible
      }
      result = std::move(can);
    }
  }
  if (!result && error != nullptr) *error = err;
  std::unique_lock lock(c.mutex);
  if (c.entries.size() < 100000) c.entries.emplace(std::string(unit), result);
  return result;
}

bool isValid(std::string_view unit, std::string* error) { return parse(unit, error).has_value(); }

bool comparable(std::string_view a, std::string_view b) {
  auto ca = parse(a);
  auto cb = parse(b);
  if (!ca || !cb || !ca->comparableWith(*cb)) return false;
  if (ca->special == "*" || cb->special == "*") return false;
  if (ca->special.empty() != cb->special.empty()) {
    // A special temperature converts to a plain one only through kelvin.
    const Canonical& s = ca->special.empty() ? *cb : *ca;
    return !std::isnan(static_cast<double>(specialToKelvin(s, 0)));
  }
  return true;
}

std::optional<long double> toBase(long double value, const Canonical& unit) {
  if (unit.special == "*") return std::nullopt;
  if (!unit.special.empty()) {
    long double k = specialToKelvin(unit, value);
    if (std::isnan(static_cast<double>(k))) return std::nullopt;
    return k;
  }
  return value * unit.factor;
}

std::optional<long double> convert(long double value, std::string_view from, std::string_view to) {
  auto cf = parse(from);
  auto ct = parse(to);
  if (!cf || !ct || !comparable(from, to)) return std::nullopt;
  auto base = toBase(value, *cf);
  if (!base) return std::nullopt;
  if (!ct->special.empty()) {
    long double v = kelvinToSpecial(*ct, *base);
    if (std::isnan(static_cast<double>(v))) return std::nullopt;
    return v;
  }
  return *base / ct->factor;
}

std::string canonicalString(const Canonical& c) {
  static constexpr std::array<std::string_view, kDimensions> kBase = {"m", "s", "g", "rad",
                                                                      "K", "C", "cd"};
  std::string out;
  for (size_t i = 0; i < kDimensions; ++i) {
    if (c.dims[i] == 0) continue;
    if (!out.empty()) out += '.';
    out += kBase[i];
    if (c.dims[i] != 1) out += std::to_string(c.dims[i]);
  }
  if (!c.arbitrary.empty()) {
    if (!out.empty()) out += '.';
    out += c.arbitrary;
  }
  return out;
}

std::string_view dataVersion() { return table().version(); }

}  // namespace trialbridge::conformance::ucum
