#include "study/time_amount.h"

#include <charconv>
#include <cstdio>

namespace trialbridge::study {

std::optional<double> minutesPer(std::string_view unit) {
  if (unit == "min") return 1.0;
  if (unit == "h") return 60.0;
  if (unit == "d") return 1440.0;
  if (unit == "wk") return 10080.0;
  return std::nullopt;
}

bool convertible(std::string_view a, std::string_view b) {
  return a == b || (minutesPer(a).has_value() && minutesPer(b).has_value());
}

std::string decimalText(double value) {
  if (value == 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", value);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

double decimalNumber(std::string_view text) {
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace trialbridge::study
