#pragma once
// Exact decimals for FHIRPath: a 128-bit mantissa and a scale (digits after the point), so that
// 1.8 - 1.2 = 0.6 and 1.50 keeps its precision (FHIRPath's precision(), lowBoundary(), and
// equivalence at the precision of the less precise operand all need the scale as written).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::fhirpath {

__extension__ typedef __int128 Int128;

class Decimal {
 public:
  static constexpr int kMaxScale = 28;

  Decimal() = default;
  Decimal(Int128 mantissa, int scale) : mantissa_(mantissa), scale_(scale) {}
  static Decimal fromInt(int64_t v) { return Decimal(v, 0); }
  // "-1.50", "3", "1.2e-3" (exponents as FHIR JSON allows). nullopt if not a decimal.
  static std::optional<Decimal> parse(std::string_view text);
  // The shortest decimal that reads back as `v`; nullopt for NaN and infinities.
  static std::optional<Decimal> fromDouble(double v);

  Int128 mantissa() const { return mantissa_; }
  int scale() const { return scale_; }
  bool isZero() const { return mantissa_ == 0; }
  // A zero written with a minus sign ("-0.0", as lowBoundary() of a small negative value gives):
  // only its text differs.
  bool negativeZero() const { return negativeZero_ && mantissa_ == 0; }
  Decimal withNegativeZero() const {
    Decimal d = *this;
    d.negativeZero_ = mantissa_ == 0;
    return d;
  }
  bool isNegative() const { return mantissa_ < 0; }
  double toDouble() const;
  long double toLongDouble() const;
  // Integer part if it fits.
  std::optional<int64_t> toInt64() const;
  bool isInteger() const;

  // Text with exactly scale() digits after the point ("1.50", "-0.0", "3").
  std::string toString() const;

  // Same value with `scale` digits (only adds zeros or drops zeros; nullopt if it would lose
  // digits or overflow).
  std::optional<Decimal> rescaled(int scale) const;
  // Without trailing zeros after the point.
  Decimal normalized() const;

  // Arithmetic; nullopt on overflow (or division by zero).
  static std::optional<Decimal> add(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> sub(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> mul(const Decimal& a, const Decimal& b);
  // Division with up to `digits` digits after the point, trailing zeros removed.
  static std::optional<Decimal> div(const Decimal& a, const Decimal& b, int digits = 16);
  // Integer division (truncated) and the matching remainder.
  static std::optional<Decimal> intDiv(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> mod(const Decimal& a, const Decimal& b);
  Decimal negated() const { return Decimal(-mantissa_, scale_); }

  // Numeric comparison (scale-independent): -1, 0, 1.
  static int compare(const Decimal& a, const Decimal& b);

  // Rounding to `digits` digits after the point.
  Decimal roundHalfUp(int digits) const;    // half away from zero
  Decimal truncated(int digits = 0) const;  // toward zero
  Decimal floor() const;
  Decimal ceiling() const;

  // FHIRPath lowBoundary()/highBoundary() at `precision` digits after the point.
  std::optional<Decimal> lowBoundary(int precision) const;
  std::optional<Decimal> highBoundary(int precision) const;

 private:
  Int128 mantissa_ = 0;
  int scale_ = 0;
  bool negativeZero_ = false;
};

// 10^n as Int128 (n <= 38).
Int128 pow10i(int n);

}  // namespace trialbridge::fhirpath
