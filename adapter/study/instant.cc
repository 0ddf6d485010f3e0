#include "study/instant.h"

#include <cmath>
#include <cstdio>

namespace trialbridge::study {

namespace {

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

unsigned daysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Adds whole calendar months to a local second count.
int64_t addMonths(int64_t localSeconds, int64_t months) {
  const int64_t days = floorDiv(localSeconds, kSecondsPerDay);
  const int64_t timeOfDay = localSeconds - days * kSecondsPerDay;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  int64_t total = y * 12 + (m - 1) + months;
  y = floorDiv(total, 12);
  m = static_cast<unsigned>(total - y * 12) + 1;
  if (d > daysInMonth(y, m)) d = daysInMonth(y, m);
  return daysFromCivil(y, m, d) * kSecondsPerDay + timeOfDay;
}

}  // namespace

// The civil-date algorithms are the well-known era-based ones (Hinnant's "chrono-compatible
// low-level date algorithms"), written out again here.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = floorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = floorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

std::optional<Instant> parseInstant(std::string_view s, int32_t dateZone) {
  int year = 0, month = 1, day = 1;
  if (!digits(s, 0, 4, year)) return std::nullopt;
  Instant out;
  out.zoneMinutes = dateZone;
  size_t pos = 4;
  out.precision = TimePrecision::Year;
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, month) || month < 1 || month > 12)
      return std::nullopt;
    pos += 3;
    out.precision = TimePrecision::Month;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, day) || day < 1 ||
        static_cast<unsigned>(day) > daysInMonth(year, month))
      return std::nullopt;
    pos += 3;
    out.precision = TimePrecision::Day;
  }
  const int64_t days = daysFromCivil(year, month, day);
  if (pos == s.size()) {
    int64_t spanDays = 1;
    if (out.precision == TimePrecision::Month) spanDays = daysInMonth(year, month);
    if (out.precision == TimePrecision::Year) spanDays = daysFromCivil(year + 1, 1, 1) - days;
    out.seconds = days * kSecondsPerDay - int64_t{dateZone} * kSecondsPerMinute;
    out.span = spanDays * kSecondsPerDay;
    return out;
  }
  if (out.precision != TimePrecision::Day || s[pos] != 'T') return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!digits(s, pos + 1, 2, hour) || hour > 23 || pos + 3 >= s.size() || s[pos + 3] != ':' ||
      !digits(s, pos + 4, 2, minute) || minute > 59)
    return std::nullopt;
  pos += 6;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, second) || second > 60) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      size_t k = pos + 1;
      while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
      if (k == pos + 1) return std::nullopt;
      pos = k;  // fractions of a second do not matter to any window
    }
  }
  int zone = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int zh = 0, zm = 0;
    if (!digits(s, pos + 1, 2, zh) || zh > 14 || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, zm) || zm > 59)
      return std::nullopt;
    zone = (zh * 60 + zm) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;  // a time needs its zone
  }
  if (pos != s.size()) return std::nullopt;
  out.precision = TimePrecision::Second;
  out.zoneMinutes = zone;
  out.span = 1;
  out.seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second -
                int64_t{zone} * kSecondsPerMinute;
  return out;
}

std::optional<int64_t> addTime(int64_t seconds, double value, std::string_view unit,
                               int32_t zoneMinutes) {
  double per = 0;
  if (unit == "min") per = 60;
  if (unit == "h") per = 3600;
  if (unit == "d") per = 86400;
  if (unit == "wk") per = 604800;
  if (per > 0) return seconds + std::llround(value * per);
  if (unit != "mo") return std::nullopt;
  const double whole = std::trunc(value);
  const int64_t zone = int64_t{zoneMinutes} * kSecondsPerMinute;
  const int64_t local = addMonths(seconds + zone, static_cast<int64_t>(whole));
  return local - zone + std::llround((value - whole) * 30.4375 * 86400);
}

int64_t startOfLocalDay(int64_t seconds, int32_t zoneMinutes) {
  const int64_t zone = int64_t{zoneMinutes} * kSecondsPerMinute;
  return floorDiv(seconds + zone, kSecondsPerDay) * kSecondsPerDay - zone;
}

std::string formatSeconds(int64_t seconds, int32_t zoneMinutes) {
  const int64_t local = seconds + int64_t{zoneMinutes} * kSecondsPerMinute;
  const int64_t days = floorDiv(local, kSecondsPerDay);
  const int64_t tod = local - days * kSecondsPerDay;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[128];
  const int z = zoneMinutes < 0 ? -zoneMinutes : zoneMinutes;
  if (zoneMinutes == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(tod / 3600),
                  static_cast<long long>(tod / 60 % 60), static_cast<long long>(tod % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%c%02d:%02d",
                  static_cast<long long>(y), m, d, static_cast<long long>(tod / 3600),
                  static_cast<long long>(tod / 60 % 60), static_cast<long long>(tod % 60),
                  zoneMinutes < 0 ? '-' : '+', z / 60, z % 60);
  }
  return buf;
}

std::string formatInstant(const Instant& i) {
  if (i.hasTime()) return formatSeconds(i.seconds, i.zoneMinutes);
  std::string full = formatSeconds(i.seconds, i.zoneMinutes);
  const size_t len = i.precision == TimePrecision::Year    ? 4
                     : i.precision == TimePrecision::Month ? 7
                                                           : 10;
  return full.substr(0, len);
}

}  // namespace trialbridge::study
