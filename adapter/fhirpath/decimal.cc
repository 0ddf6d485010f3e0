#include "fhirpath/decimal.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace trialbridge::fhirpath {

namespace {

constexpr int kMaxDigits = 38;

bool mulOverflows(Int128 a, Int128 b, Int128& out) { return __builtin_mul_overflow(a, b, &out); }

// Scales both to the larger scale; false on overflow.
bool align(const Decimal& a, const Decimal& b, Int128& ma, Int128& mb, int& scale) {
  scale = a.scale() > b.scale() ? a.scale() : b.scale();
  ma = a.mantissa();
  mb = b.mantissa();
  if (a.scale() < scale && mulOverflows(ma, pow10i(scale - a.scale()), ma)) return false;
  if (b.scale() < scale && mulOverflows(mb, pow10i(scale - b.scale()), mb)) return false;
  return true;
}

Int128 abs128(Int128 v) { return v < 0 ? -v : v; }

}  // namespace

Int128 pow10i(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

std::optional<Decimal> Decimal::parse(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    ++i;
  }
  Int128 m = 0;
  int scale = 0;
  int digits = 0;
  bool point = false;
  bool any = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (digits >= kMaxDigits) {
        if (!point) return std::nullopt;  // too large
        continue;                         // drop digits beyond the representable precision
      }
      m = m * 10 + (c - '0');
      if (m != 0) ++digits;
      if (point) ++scale;
    } else if (c == '.' && !point) {
      point = true;
      if (i + 1 >= s.size() || s[i + 1] < '0' || s[i + 1] > '9') return std::nullopt;
    } else if ((c == 'e' || c == 'E') && any) {
      int exp = 0;
      auto [p, ec] =
          std::from_chars(s.data() + i + 1 + (s[i + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
      if (ec != std::errc() || p != s.data() + s.size() || exp > 60 || exp < -60) {
        return std::nullopt;
      }
      scale -= exp;
      if (scale < 0) {
        if (digits - scale > kMaxDigits) return std::nullopt;
        m *= pow10i(-scale);
        scale = 0;
      }
      break;
    } else {
      return std::nullopt;
    }
  }
  if (!any) return std::nullopt;
  return Decimal(neg ? -m : m, scale);
}

std::optional<Decimal> Decimal::fromDouble(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::nullopt;
  return parse(std::string_view(buf, static_cast<size_t>(p - buf)));
}

double Decimal::toDouble() const { return std::strtod(toString().c_str(), nullptr); }

long double Decimal::toLongDouble() const { return std::strtold(toString().c_str(), nullptr); }

std::optional<int64_t> Decimal::toInt64() const {
  Int128 v = mantissa_ / pow10i(scale_);
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(v);
}

bool Decimal::isInteger() const { return scale_ == 0 || mantissa_ % pow10i(scale_) == 0; }

std::string Decimal::toString() const {
  Int128 v = abs128(mantissa_);
  char digits[64];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  while (n <= scale_) digits[n++] = '0';
  std::string out;
  out.reserve(static_cast<size_t>(n) + 2);
  if (mantissa_ < 0 || negativeZero()) out += '-';
  for (int i = n - 1; i >= 0; --i) {
    out += digits[i];
    if (i == scale_ && i != 0) out += '.';
  }
  return out;
}

std::optional<Decimal> Decimal::rescaled(int scale) const {
  if (scale == scale_) return *this;
  if (scale > scale_) {
    Int128 m;
    if (scale - scale_ > kMaxDigits || mulOverflows(mantissa_, pow10i(scale - scale_), m)) {
      return std::nullopt;
    }
    return Decimal(m, scale);
  }
  Int128 f = pow10i(scale_ - scale);
  if (mantissa_ % f != 0) return std::nullopt;
  return Decimal(mantissa_ / f, scale);
}

Decimal Decimal::normalized() const {
  Int128 m = mantissa_;
  int s = scale_;
  while (s > 0 && m % 10 == 0) {
    m /= 10;
    --s;
  }
  return Decimal(m, s);
}

std::optional<Decimal> Decimal::add(const Decimal& a, const Decimal& b) {
  Int128 ma, mb, r;
  int scale;
  if (!align(a, b, ma, mb, scale) || __builtin_add_overflow(ma, mb, &r)) return std::nullopt;
  return Decimal(r, scale);
}

std::optional<Decimal> Decimal::sub(const Decimal& a, const Decimal& b) {
  Int128 ma, mb, r;
  int scale;
  if (!align(a, b, ma, mb, scale) || __builtin_sub_overflow(ma, mb, &r)) return std::nullopt;
  return Decimal(r, scale);
}

std::optional<Decimal> Decimal::mul(const Decimal& a, const Decimal& b) {
  Int128 r;
  Decimal x = a, y = b;
  if (mulOverflows(x.mantissa_, y.mantissa_, r)) {
    x = x.normalized();
    y = y.normalized();
    if (mulOverflows(x.mantissa_, y.mantissa_, r)) return std::nullopt;
  }
  Decimal out(r, x.scale_ + y.scale_);
  while (out.scale_ > kMaxScale) out = out.roundHalfUp(kMaxScale);
  return out;
}

std::optional<Decimal> Decimal::div(const Decimal& a, const Decimal& b, int digits) {
  if (b.mantissa_ == 0) return std::nullopt;
  // a/b = (ma / 10^sa) / (mb / 10^sb); compute q = ma * 10^(digits + 1 + sb - sa) / mb.
  int shift = digits + 1 + b.scale_ - a.scale_;
  Int128 num = a.mantissa_;
  Int128 den = b.mantissa_;
  while (shift > 0) {
    Int128 t;
    if (mulOverflows(num, 10, t)) break;
    num = t;
    --shift;
  }
  while (shift > 0) {  // could not scale the numerator further: scale the denominator down
    den /= 10;
    --shift;
    if (den == 0) return std::nullopt;
  }
  for (; shift < 0; ++shift) {
    Int128 t;
    if (mulOverflows(den, 10, t)) return std::nullopt;
    den = t;
  }
  Int128 q = num / den;
  // q has digits + 1 digits after the point: round half away from zero on the last one.
  Int128 last = q % 10;
  q /= 10;
  if (last >= 5) ++q;
  if (last <= -5) --q;
  return Decimal(q, digits).normalized();
}

std::optional<Decimal> Decimal::intDiv(const Decimal& a, const Decimal& b) {
  Int128 ma, mb;
  int scale;
  if (b.mantissa_ == 0 || !align(a, b, ma, mb, scale)) return std::nullopt;
  return Decimal(ma / mb, 0);
}

std::optional<Decimal> Decimal::mod(const Decimal& a, const Decimal& b) {
  Int128 ma, mb;
  int scale;
  if (b.mantissa_ == 0 || !align(a, b, ma, mb, scale)) return std::nullopt;
  return Decimal(ma % mb, scale);
}

int Decimal::compare(const Decimal& a, const Decimal& b) {
  Int128 ma, mb;
  int scale;
  if (!align(a, b, ma, mb, scale)) {
    // Too large to align exactly: compare as long doubles.
    long double x = a.toLongDouble(), y = b.toLongDouble();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return ma < mb ? -1 : (ma > mb ? 1 : 0);
}

Decimal Decimal::roundHalfUp(int digits) const {
  if (digits >= scale_) return *this;
  if (digits < 0) digits = 0;
  Int128 f = pow10i(scale_ - digits);
  Int128 q = mantissa_ / f;
  Int128 r = mantissa_ % f;
  if (abs128(r) * 2 >= f) q += mantissa_ < 0 ? -1 : 1;
  return Decimal(q, digits);
}

Decimal Decimal::truncated(int digits) const {
  if (digits >= scale_) return *this;
  return Decimal(mantissa_ / pow10i(scale_ - digits), digits);
}

Decimal Decimal::floor() const {
  Decimal t = truncated(0);
  if (mantissa_ < 0 && !isInteger()) t.mantissa_ -= 1;
  return t;
}

Decimal Decimal::ceiling() const {
  Decimal t = truncated(0);
  if (mantissa_ > 0 && !isInteger()) t.mantissa_ += 1;
  return t;
}

namespace {

// Digits of a non-negative decimal, truncated or padded to `precision` digits after the point;
// `roundUp` adds one unit in the last place when the first dropped digit is 5 or more.
Decimal cut(const Decimal& v, int precision, bool roundUp) {
  if (precision >= v.scale()) return *v.rescaled(precision);
  Int128 f = pow10i(v.scale() - precision);
  Int128 q = v.mantissa() / f;
  Int128 firstDropped = (v.mantissa() / pow10i(v.scale() - precision - 1)) % 10;
  if (roundUp && firstDropped >= 5) ++q;
  return Decimal(q, precision);
}

}  // namespace

// The value stands for the interval [v - u/2, v + u/2) where u is one unit in the last place.
// The boundaries are that interval's ends, cut to `precision` digits the way the reference
// implementation does (the low end truncated, the high end rounded on the first dropped digit),
// and mirrored for negative values, which the official tests depend on.
std::optional<Decimal> Decimal::lowBoundary(int precision) const {
  if (precision < 0 || precision > kMaxScale) return std::nullopt;
  if (mantissa_ < 0) {
    auto h = negated().highBoundary(precision);
    if (!h) return std::nullopt;
    return h->negated().withNegativeZero();
  }
  Decimal wide(mantissa_ * 10 - 5, scale_ + 1);  // v - u/2
  if (wide.mantissa_ < 0) {
    Decimal c = cut(wide.negated(), precision, true);
    return c.negated().withNegativeZero();
  }
  return cut(wide, precision, false);
}

std::optional<Decimal> Decimal::highBoundary(int precision) const {
  if (precision < 0 || precision > kMaxScale) return std::nullopt;
  if (mantissa_ < 0) {
    auto l = negated().lowBoundary(precision);
    if (!l) return std::nullopt;
    return l->negated().withNegativeZero();
  }
  Decimal wide(mantissa_ * 10 + 5, scale_ + 1);  // v + u/2
  return cut(wide, precision, true);
}

}  // namespace trialbridge::fhirpath
