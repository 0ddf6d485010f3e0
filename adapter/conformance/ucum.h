#pragma once
// UCUM (Unified Code for Units of Measure): parsing of unit expressions ("mg/dL", "kg.m/s2",
// "10*3/uL", "[lb_av]") and conversion between comparable units, from the UCUM essence data the
// binary carries (fhir-profiles/ucum/ucum-essence.tsv, made by tools/gen_ucum.py, embedded at
// build time). Thread-safe; parsed units are cached.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::conformance::ucum {

// The seven UCUM base dimensions, in this order: length (m), time (s), mass (g), plane angle
// (rad), temperature (K), electric charge (C), luminous intensity (cd).
inline constexpr size_t kDimensions = 7;

// A unit reduced to base units: value_in_base = value * factor (+ offset for the special
// temperature units, which only convert on their own, never inside a product).
struct Canonical {
  long double factor = 1;
  std::array<int8_t, kDimensions> dims{};
  // Arbitrary units ([iU], [arb'U]...) are commensurable only with themselves: their codes, with
  // exponents, in a canonical order ("" when there are none).
  std::string arbitrary;
  // Special (non-linear) unit, when the expression is exactly one: "Cel", "degF", "degRe"...
  std::string special;
  long double specialScale = 1;  // the special function's scale (5 for degF's "5 K/9")

  bool isDimensionless() const;
  // Same dimensions and arbitrary atoms, and neither or both special with the same function.
  bool comparableWith(const Canonical& other) const;
};

// Parses a UCUM unit expression (case-sensitive codes). Returns nullopt and sets `error` (when
// given) if the expression is not valid UCUM.
std::optional<Canonical> parse(std::string_view unit, std::string* error = nullptr);

bool isValid(std::string_view unit, std::string* error = nullptr);

// Whether quantities in these units can be compared or converted.
bool comparable(std::string_view a, std::string_view b);

// Converts `value` from unit `from` to unit `to`; nullopt when either is invalid or they are not
// comparable.
std::optional<long double> convert(long double value, std::string_view from, std::string_view to);

// Value expressed in base units (for comparing two quantities); nullopt for invalid units.
std::optional<long double> toBase(long double value, const Canonical& unit);

// A canonical unit string for a Canonical ("g.m-2", "" for dimensionless), for messages and keys.
std::string canonicalString(const Canonical& c);

// The version of the loaded UCUM essence data ("2.0.1").
std::string_view dataVersion();

}  // namespace trialbridge::conformance::ucum
