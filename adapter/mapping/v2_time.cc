#include "mapping/v2_time.h"

#include <algorithm>
#include <cstdint>

namespace trialbridge::mapping::v2time {

namespace {

bool allDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

int daysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// digits: YYYY[MM[DD]] -> "YYYY[-MM[-DD]]"; nullopt when out of the calendar.
std::optional<std::string> datePart(std::string_view digits) {
  if (digits.size() != 4 && digits.size() != 6 && digits.size() != 8) return std::nullopt;
  const int year = number(digits.substr(0, 4));
  if (year < 1) return std::nullopt;
  std::string out(digits.substr(0, 4));
  if (digits.size() >= 6) {
    const int month = number(digits.substr(4, 2));
    if (month < 1 || month > 12) return std::nullopt;
    out += "-" + std::string(digits.substr(4, 2));
    if (digits.size() == 8) {
      const int day = number(digits.substr(6, 2));
      if (day < 1 || day > daysIn(year, month)) return std::nullopt;
      out += "-" + std::string(digits.substr(6, 2));
    }
  }
  return out;
}

// digits: HH[MM[SS]] and fraction digits -> "HH:MM:SS[.f]"; nullopt when out of range.
std::optional<std::string> timePart(std::string_view digits, std::string_view fraction) {
  if (digits.size() != 2 && digits.size() != 4 && digits.size() != 6) return std::nullopt;
  const int h = number(digits.substr(0, 2));
  const int m = digits.size() >= 4 ? number(digits.substr(2, 2)) : 0;
  const int s = digits.size() == 6 ? number(digits.substr(4, 2)) : 0;
  if (h > 23 || m > 59 || s > 59) return std::nullopt;
  if (!fraction.empty() && digits.size() != 6) return std::nullopt;
  std::string out(digits.substr(0, 2));
  out += ":" + (digits.size() >= 4 ? std::string(digits.substr(2, 2)) : std::string("00"));
  out += ":" + (digits.size() == 6 ? std::string(digits.substr(4, 2)) : std::string("00"));
  if (!fraction.empty()) out += "." + std::string(fraction);
  return out;
}

// Splits "...+ZZZZ" or "...-ZZZZ" (a sign after at least 4 characters) from value.
std::string_view splitOffset(std::string_view& value) {
  const size_t sign = value.find_first_of("+-", 4);
  if (sign == std::string_view::npos) return {};
  std::string_view off = value.substr(sign);
  value = value.substr(0, sign);
  return off;
}

std::optional<DateTime> parseIso(std::string_view v) {
  // YYYY[-MM[-DD[Thh:mm[:ss[.f]][Z|+hh:mm]]]]
  DateTime dt;
  dt.iso = true;
  const size_t t = v.find('T');
  std::string_view date = v.substr(0, t);
  std::string digits;
  for (size_t i = 0; i < date.size(); ++i) {
    if ((i == 4 || i == 7) && date[i] == '-') continue;
    digits += date[i];
  }
  if (!allDigits(digits) || (date.size() != 4 && date.size() != 7 && date.size() != 10)) {
    return std::nullopt;
  }
  auto d = datePart(digits);
  if (!d) return std::nullopt;
  dt.date = *d;
  if (t == std::string_view::npos) return dt;
  std::string_view time = v.substr(t + 1);
  if (!time.empty() && time.back() == 'Z') {
    dt.offset = "Z";
    time.remove_suffix(1);
  } else if (time.size() > 6 && (time[time.size() - 6] == '+' || time[time.size() - 6] == '-') &&
             time[time.size() - 3] == ':') {
    std::string off(time.substr(time.size() - 6));
    off.erase(3, 1);
    auto o = offset(off);
    if (!o) return std::nullopt;
    dt.offset = *o;
    time.remove_suffix(6);
  }
  const size_t dot = time.find('.');
  std::string_view fraction = dot == std::string_view::npos ? "" : time.substr(dot + 1);
  time = time.substr(0, dot);
  if (date.size() != 10 || (time.size() != 5 && time.size() != 8) || time[2] != ':' ||
      (time.size() == 8 && time[5] != ':') || !allDigits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  std::string tdigits;
  for (char c : time) {
    if (c != ':') tdigits += c;
  }
  if (!allDigits(tdigits)) return std::nullopt;
  auto tp = timePart(tdigits, fraction);
  if (!tp) return std::nullopt;
  dt.time = *tp;
  return dt;
}

}  // namespace

std::optional<std::string> offset(std::string_view v) {
  if (v.size() != 5 || (v[0] != '+' && v[0] != '-') || !allDigits(v.substr(1))) {
    return std::nullopt;
  }
  const int h = number(v.substr(1, 2));
  const int m = number(v.substr(3, 2));
  if (m > 59 || (v[0] == '+' && (h > 14 || (h == 14 && m > 0))) ||
      (v[0] == '-' && (h > 12 || (h == 12 && m > 0)))) {
    return std::nullopt;
  }
  return std::string(v.substr(0, 3)) + ":" + std::string(v.substr(3, 2));
}

std::optional<std::string> zoneSetting(std::string_view zone) {
  if (zone == "Z") return std::string("Z");
  std::string v2(zone);
  if (v2.size() == 6 && v2[3] == ':') v2.erase(3, 1);
  return offset(v2);
}

std::optional<DateTime> parse(std::string_view value) {
  if (value.size() >= 7 && value[4] == '-') return parseIso(value);
  std::string_view v = value;
  const std::string_view off = splitOffset(v);
  DateTime dt;
  if (!off.empty()) {
    auto o = offset(off);
    if (!o) return std::nullopt;
    dt.offset = *o;
  }
  const size_t dot = v.find('.');
  const std::string_view fraction = dot == std::string_view::npos ? "" : v.substr(dot + 1);
  const std::string_view digits = v.substr(0, dot);
  if (!allDigits(digits) || !allDigits(fraction) || fraction.size() > 4 ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  auto d = datePart(digits.substr(0, std::min<size_t>(digits.size(), 8)));
  if (!d) return std::nullopt;
  dt.date = *d;
  if (digits.size() > 8) {
    if (dt.date.size() != 10) return std::nullopt;
    auto t = timePart(digits.substr(8), fraction);
    if (!t) return std::nullopt;
    dt.time = *t;
  } else if (!fraction.empty()) {
    return std::nullopt;
  }
  return dt;
}

std::string toDateTime(const DateTime& dt, std::string_view defaultOffset) {
  if (dt.time.empty()) return dt.date;
  return dt.date + "T" + dt.time + (dt.offset.empty() ? std::string(defaultOffset) : dt.offset);
}

std::optional<std::string> toInstant(const DateTime& dt, std::string_view defaultOffset) {
  if (dt.time.empty()) return std::nullopt;
  return toDateTime(dt, defaultOffset);
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Seconds since the epoch of a DateTime with a day, a time and a zone.
int64_t epochSeconds(const DateTime& dt) {
  const int64_t days = daysFromCivil(number(dt.date.substr(0, 4)),
                                     static_cast<unsigned>(number(dt.date.substr(5, 2))),
                                     static_cast<unsigned>(number(dt.date.substr(8, 2))));
  int64_t s = days * 86400 + number(dt.time.substr(0, 2)) * 3600 +
              number(dt.time.substr(3, 2)) * 60 + number(dt.time.substr(6, 2));
  if (dt.offset.size() == 6) {
    const int64_t off = number(dt.offset.substr(1, 2)) * 3600 + number(dt.offset.substr(4, 2)) * 60;
    s -= dt.offset[0] == '+' ? off : -off;
  }
  return s;
}

}  // namespace

bool isAfter(std::string_view a, std::string_view b) {
  const auto x = parse(a);
  const auto y = parse(b);
  if (!x || !y) return false;
  if (!x->time.empty() && !y->time.empty() && !x->offset.empty() && !y->offset.empty()) {
    return epochSeconds(*x) > epochSeconds(*y);
  }
  const size_t n = std::min(x->date.size(), y->date.size());
  return x->date.compare(0, n, y->date, 0, n) > 0;
}

std::optional<std::string> parseTime(std::string_view value, bool* hadOffset) {
  std::string_view v = value;
  const size_t sign = v.find_first_of("+-");
  if (hadOffset != nullptr) *hadOffset = sign != std::string_view::npos;
  if (sign != std::string_view::npos) {
    if (!offset(v.substr(sign))) return std::nullopt;
    v = v.substr(0, sign);
  }
  const size_t dot = v.find('.');
  const std::string_view fraction = dot == std::string_view::npos ? "" : v.substr(dot + 1);
  const std::string_view digits = v.substr(0, dot);
  if (!allDigits(digits) || !allDigits(fraction) || fraction.size() > 4 ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  return timePart(digits, fraction);
}

}  // namespace trialbridge::mapping::v2time
