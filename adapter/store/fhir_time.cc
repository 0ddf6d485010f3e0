#include "store/fhir_time.h"

#include <chrono>
#include <cstdio>

namespace trialbridge::store {

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

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

unsigned daysInMonth(int y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

constexpr int64_t kDayMs = 86400000;

}  // namespace

bool parseFhirTime(std::string_view s, TimeRange& out) {
  int year = 0, month = 1, day = 1;
  if (!digits(s, 0, 4, year)) return false;
  if (s.size() == 4) {
    out.low = daysFromCivil(year, 1, 1) * kDayMs;
    out.high = daysFromCivil(year + 1, 1, 1) * kDayMs;
    return true;
  }
  if (s.size() < 7 || s[4] != '-' || !digits(s, 5, 2, month) || month < 1 || month > 12) {
    return false;
  }
  if (s.size() == 7) {
    out.low = daysFromCivil(year, month, 1) * kDayMs;
    out.high = month == 12 ? daysFromCivil(year + 1, 1, 1) * kDayMs
                           : daysFromCivil(year, month + 1, 1) * kDayMs;
    return true;
  }
  if (s.size() < 10 || s[7] != '-' || !digits(s, 8, 2, day) || day < 1 ||
      day > static_cast<int>(daysInMonth(year, month))) {
    return false;
  }
  const int64_t dayStart = daysFromCivil(year, month, day) * kDayMs;
  if (s.size() == 10) {
    out.low = dayStart;
    out.high = dayStart + kDayMs;
    return true;
  }
  if (s[10] != 'T') return false;
  int hour = 0, minute = 0, second = 0;
  if (!digits(s, 11, 2, hour) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, minute) ||
      hour > 24 || minute > 59) {
    return false;
  }
  size_t pos = 16;
  int64_t width = 60000;  // the precision: one minute
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, second) || second > 60) return false;
    pos += 3;
    width = 1000;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t n = 0;
      int64_t frac = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (n < 3) frac = frac * 10 + (s[pos] - '0');
        ++n;
        ++pos;
      }
      if (n == 0) return false;
      for (size_t i = n; i < 3; ++i) frac *= 10;
      millis = frac;
      width = n >= 3 ? 1 : (n == 2 ? 10 : 100);
    }
  }
  int64_t offsetMinutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !digits(s, pos + 4, 2, om) || oh > 14 || om > 59) {
        return false;
      }
      offsetMinutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return false;
    }
  }
  if (pos != s.size()) return false;
  const int64_t t = dayStart + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  out.low = t;
  out.high = t + width;
  return true;
}

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatInstant(int64_t ms) {
  int64_t days = ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs;
  int64_t rest = ms - days * kDayMs;
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return buf;
}

}  // namespace trialbridge::store
