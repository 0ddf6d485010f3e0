#include "fhirpath/temporal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace trialbridge::fhirpath {

namespace {

bool digitsAt(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's days_from_civil.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

constexpr int64_t kMsPerDay = 86400000;

int64_t toEpochMs(const Temporal& t) {
  int64_t days = daysFromCivil(t.year, t.month, t.day);
  return days * kMsPerDay + t.hour * 3600000LL + t.minute * 60000LL + t.second * 1000LL + t.millis;
}

bool fromEpochMs(int64_t ms, Temporal& t) {
  int64_t days = ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
  int64_t rest = ms - days * kMsPerDay;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  if (y < 1 || y > 9999) return false;
  t.year = static_cast<int16_t>(y);
  t.month = static_cast<uint8_t>(m);
  t.day = static_cast<uint8_t>(d);
  t.hour = static_cast<uint8_t>(rest / 3600000);
  t.minute = static_cast<uint8_t>(rest / 60000 % 60);
  t.second = static_cast<uint8_t>(rest / 1000 % 60);
  t.millis = static_cast<uint16_t>(rest % 1000);
  return true;
}

Temporal toUtc(const Temporal& t) {
  if (!t.hasTz || t.tzMinutes == 0) return t;
  Temporal u = t;
  if (!fromEpochMs(toEpochMs(t) - t.tzMinutes * 60000LL, u)) return t;
  u.tzMinutes = 0;
  return u;
}

// Parses "hh[:mm[:ss[.fff...]]]" at s[pos...]; advances pos.
bool parseTimePart(std::string_view s, size_t& pos, Temporal& t) {
  int v;
  if (!digitsAt(s, pos, 2, v) || v > 23) return false;
  t.hour = static_cast<uint8_t>(v);
  t.precision = Precision::Hour;
  pos += 2;
  if (pos >= s.size() || s[pos] != ':') return true;
  if (!digitsAt(s, pos + 1, 2, v) || v > 59) return false;
  t.minute = static_cast<uint8_t>(v);
  t.precision = Precision::Minute;
  pos += 3;
  if (pos >= s.size() || s[pos] != ':') return true;
  if (!digitsAt(s, pos + 1, 2, v) || v > 60) return false;
  t.second = static_cast<uint8_t>(v == 60 ? 59 : v);
  t.precision = Precision::Second;
  pos += 3;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    int ms = 0;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) {
        ms = ms * 10 + (s[pos] - '0');
        ++n;
      }
      ++pos;
    }
    if (pos == start) return false;
    while (n < 3) {
      ms *= 10;
      ++n;
    }
    t.millis = static_cast<uint16_t>(ms);
    t.precision = Precision::Millisecond;
  }
  return true;
}

bool parseTimezone(std::string_view s, size_t& pos, Temporal& t) {
  if (pos >= s.size()) return true;
  if (s[pos] == 'Z') {
    t.hasTz = true;
    t.tzMinutes = 0;
    ++pos;
    return true;
  }
  if (s[pos] != '+' && s[pos] != '-') return false;
  int h, m;
  if (!digitsAt(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
      !digitsAt(s, pos + 4, 2, m) || h > 14 || m > 59) {
    return false;
  }
  t.hasTz = true;
  t.tzMinutes = static_cast<int16_t>((h * 60 + m) * (s[pos] == '-' ? -1 : 1));
  pos += 6;
  return true;
}

bool parseDatePart(std::string_view s, size_t& pos, Temporal& t) {
  int v;
  if (!digitsAt(s, 0, 4, v)) return false;
  t.year = static_cast<int16_t>(v);
  t.precision = Precision::Year;
  pos = 4;
  if (pos >= s.size() || s[pos] != '-') return true;
  if (!digitsAt(s, pos + 1, 2, v) || v < 1 || v > 12) return false;
  t.month = static_cast<uint8_t>(v);
  t.precision = Precision::Month;
  pos += 3;
  if (pos >= s.size() || s[pos] != '-') return true;
  if (!digitsAt(s, pos + 1, 2, v) || v < 1 || v > daysInMonth(t.year, t.month)) return false;
  t.day = static_cast<uint8_t>(v);
  t.precision = Precision::Day;
  pos += 3;
  return true;
}

int precisionIndex(Precision p) { return static_cast<int>(p); }

int fieldOf(const Temporal& t, int p) {
  switch (p) {
    case 0: return t.year;
    case 1: return t.month;
    case 2: return t.day;
    case 3: return t.hour;
    case 4: return t.minute;
    default: return t.second * 1000 + t.millis;
  }
}

}  // namespace

std::optional<Temporal> parseDate(std::string_view s) {
  Temporal t;
  size_t pos = 0;
  if (!parseDatePart(s, pos, t) || pos != s.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> parseDateTime(std::string_view s, bool allowBareT) {
  Temporal t;
  size_t pos = 0;
  if (!parseDatePart(s, pos, t)) return std::nullopt;
  if (pos < s.size() && s[pos] == 'T') {
    ++pos;
    if (pos == s.size()) {
      if (!allowBareT) return std::nullopt;
      return t;
    }
    if (t.precision != Precision::Day) return std::nullopt;
    if (!parseTimePart(s, pos, t) || !parseTimezone(s, pos, t)) return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> parseTime(std::string_view s) {
  Temporal t;
  size_t pos = 0;
  if (!parseTimePart(s, pos, t) || pos != s.size()) return std::nullopt;
  return t;
}

bool timeHasTimezone(std::string_view s) {
  Temporal t;
  size_t pos = 0;
  if (!parseTimePart(s, pos, t) || pos == s.size()) return false;
  return parseTimezone(s, pos, t) && pos == s.size();
}

std::string formatTemporal(const Temporal& t, TemporalKind kind) {
  char buf[48];
  int n = 0;
  auto put = [&](const char* fmt, int v) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), fmt, v);
  };
  if (kind != TemporalKind::Time) {
    put("%04d", t.year);
    if (t.precision >= Precision::Month) put("-%02d", t.month);
    if (t.precision >= Precision::Day) put("-%02d", t.day);
    if (kind == TemporalKind::Date || t.precision < Precision::Hour) {
      return std::string(buf, static_cast<size_t>(n));
    }
    buf[n++] = 'T';
  }
  put("%02d", t.hour);
  if (t.precision >= Precision::Minute) put(":%02d", t.minute);
  if (t.precision >= Precision::Second) put(":%02d", t.second);
  if (t.precision >= Precision::Millisecond) put(".%03d", t.millis);
  if (kind == TemporalKind::DateTime && t.hasTz) {
    if (t.tzMinutes == 0) {
      buf[n++] = 'Z';
    } else {
      int off = t.tzMinutes < 0 ? -t.tzMinutes : t.tzMinutes;
      buf[n++] = t.tzMinutes < 0 ? '-' : '+';
      put("%02d", off / 60);
      put(":%02d", off % 60);
    }
  }
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<int> compareTemporal(const Temporal& a0, const Temporal& b0, bool isTime) {
  Temporal a = a0, b = b0;
  if (!isTime && a.precision >= Precision::Hour && b.precision >= Precision::Hour) {
    if (a.hasTz != b.hasTz) return std::nullopt;
    if (a.hasTz) {
      a = toUtc(a);
      b = toUtc(b);
    }
  }
  const int start = isTime ? precisionIndex(Precision::Hour) : 0;
  const int pa = std::min(precisionIndex(a.precision), precisionIndex(Precision::Second));
  const int pb = std::min(precisionIndex(b.precision), precisionIndex(Precision::Second));
  const int common = std::min(pa, pb);
  for (int p = start; p <= common; ++p) {
    int va = fieldOf(a, p), vb = fieldOf(b, p);
    if (va != vb) return va < vb ? -1 : 1;
  }
  if (pa != pb) return std::nullopt;
  return 0;
}

bool equivalentTemporal(const Temporal& a, const Temporal& b, bool isTime) {
  const int pa = std::min(precisionIndex(a.precision), precisionIndex(Precision::Second));
  const int pb = std::min(precisionIndex(b.precision), precisionIndex(Precision::Second));
  if (pa != pb) return false;
  auto c = compareTemporal(a, b, isTime);
  return c && *c == 0;
}

std::optional<Temporal> addToTemporal(const Temporal& t, TemporalKind kind, int64_t amount,
                                      CalendarUnit unit) {
  Temporal r = t;
  if (kind == TemporalKind::Time) {
    static constexpr int64_t kUnitMs[] = {0, 0, 0, 0, 3600000, 60000, 1000, 1};
    int64_t unitMs = kUnitMs[static_cast<int>(unit)];
    if (unitMs == 0) return std::nullopt;
    static constexpr int64_t kPrecMs[] = {0, 0, 0, 3600000, 60000, 1000, 1};
    int64_t precMs = kPrecMs[static_cast<int>(t.precision)];
    int64_t delta = amount * unitMs / precMs * precMs;
    int64_t ms = t.hour * 3600000LL + t.minute * 60000LL + t.second * 1000LL + t.millis + delta;
    ms %= kMsPerDay;
    if (ms < 0) ms += kMsPerDay;
    r.hour = static_cast<uint8_t>(ms / 3600000);
    r.minute = static_cast<uint8_t>(ms / 60000 % 60);
    r.second = static_cast<uint8_t>(ms / 1000 % 60);
    r.millis = static_cast<uint16_t>(ms % 1000);
    return r;
  }
  if (unit == CalendarUnit::Year || unit == CalendarUnit::Month) {
    int64_t months = unit == CalendarUnit::Year ? amount * 12 : amount;
    if (t.precision == Precision::Year) months = months / 12 * 12;
    int64_t total = static_cast<int64_t>(t.year) * 12 + (t.month - 1) + months;
    int64_t y = total >= 0 ? total / 12 : -((-total + 11) / 12);
    int64_t m = total - y * 12 + 1;
    if (y < 1 || y > 9999) return std::nullopt;
    r.year = static_cast<int16_t>(y);
    r.month = static_cast<uint8_t>(m);
    int dim = daysInMonth(r.year, r.month);
    if (r.day > dim) r.day = static_cast<uint8_t>(dim);
    return r;
  }
  static constexpr int64_t kUnitMs[] = {0, 0, 7 * kMsPerDay, kMsPerDay, 3600000, 60000, 1000, 1};
  int64_t delta = amount * kUnitMs[static_cast<int>(unit)];
  // Truncate to the value's precision (a Date only moves by whole days).
  static constexpr int64_t kPrecMs[] = {kMsPerDay, kMsPerDay, kMsPerDay, 3600000, 60000, 1000, 1};
  int64_t precMs = kPrecMs[static_cast<int>(t.precision)];
  delta = delta / precMs * precMs;
  Temporal full = t;
  if (!fromEpochMs(toEpochMs(full) + delta, r)) return std::nullopt;
  r.precision = t.precision;
  r.hasTz = t.hasTz;
  r.tzMinutes = t.tzMinutes;
  if (t.precision < Precision::Day) {
    r.day = t.day;
    if (t.precision < Precision::Month) r.month = t.month;
  }
  return r;
}

std::optional<CalendarUnit> calendarKeyword(std::string_view u) {
  if (u == "year" || u == "years") return CalendarUnit::Year;
  if (u == "month" || u == "months") return CalendarUnit::Month;
  if (u == "week" || u == "weeks") return CalendarUnit::Week;
  if (u == "day" || u == "days") return CalendarUnit::Day;
  if (u == "hour" || u == "hours") return CalendarUnit::Hour;
  if (u == "minute" || u == "minutes") return CalendarUnit::Minute;
  if (u == "second" || u == "seconds") return CalendarUnit::Second;
  if (u == "millisecond" || u == "milliseconds") return CalendarUnit::Millisecond;
  return std::nullopt;
}

std::optional<CalendarUnit> ucumCalendarUnit(std::string_view u) {
  if (u == "wk") return CalendarUnit::Week;
  if (u == "d") return CalendarUnit::Day;
  if (u == "h") return CalendarUnit::Hour;
  if (u == "min") return CalendarUnit::Minute;
  if (u == "s") return CalendarUnit::Second;
  if (u == "ms") return CalendarUnit::Millisecond;
  return std::nullopt;
}

std::string_view calendarUnitName(CalendarUnit u) {
  static constexpr std::string_view kNames[] = {"year", "month",  "week",   "day",
                                                "hour", "minute", "second", "millisecond"};
  return kNames[static_cast<int>(u)];
}

std::optional<Temporal> temporalBoundary(const Temporal& t, TemporalKind kind, int digits,
                                         bool high, TemporalKind& resultKind) {
  Precision p;
  resultKind = kind;
  if (kind == TemporalKind::Time) {
    switch (digits) {
      case 2: p = Precision::Hour; break;
      case 4: p = Precision::Minute; break;
      case 6: p = Precision::Second; break;
      case 9: p = Precision::Millisecond; break;
      default: return std::nullopt;
    }
  } else {
    switch (digits) {
      case 4: p = Precision::Year; break;
      case 6: p = Precision::Month; break;
      case 8: p = Precision::Day; break;
      case 10: p = Precision::Hour; break;
      case 12: p = Precision::Minute; break;
      case 14: p = Precision::Second; break;
      case 17: p = Precision::Millisecond; break;
      default: return std::nullopt;
    }
    if (kind == TemporalKind::Date && p > Precision::Day) resultKind = TemporalKind::DateTime;
  }
  Temporal r = t;
  if (t.precision < Precision::Month) r.month = high ? 12 : 1;
  if (t.precision < Precision::Day)
    r.day = high ? static_cast<uint8_t>(daysInMonth(r.year, r.month)) : 1;
  if (t.precision < Precision::Hour) r.hour = high ? 23 : 0;
  if (t.precision < Precision::Minute) r.minute = high ? 59 : 0;
  if (t.precision < Precision::Second) r.second = high ? 59 : 0;
  if (t.precision < Precision::Millisecond) r.millis = high ? 999 : 0;
  r.precision = p;
  if (resultKind == TemporalKind::DateTime && p >= Precision::Hour && !t.hasTz) {
    r.hasTz = true;
    r.tzMinutes = high ? -12 * 60 : 14 * 60;
  }
  return r;
}

int temporalPrecisionDigits(const Temporal& t, TemporalKind kind) {
  if (kind == TemporalKind::Time) {
    static constexpr int kDigits[] = {0, 0, 0, 2, 4, 6, 9};
    return kDigits[static_cast<int>(t.precision)];
  }
  static constexpr int kDigits[] = {4, 6, 8, 10, 12, 14, 17};
  return kDigits[static_cast<int>(t.precision)];
}

Temporal nowLocal() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const int64_t ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&secs, &local);
  Temporal t;
  t.year = static_cast<int16_t>(local.tm_year + 1900);
  t.month = static_cast<uint8_t>(local.tm_mon + 1);
  t.day = static_cast<uint8_t>(local.tm_mday);
  t.hour = static_cast<uint8_t>(local.tm_hour);
  t.minute = static_cast<uint8_t>(local.tm_min);
  t.second = static_cast<uint8_t>(local.tm_sec > 59 ? 59 : local.tm_sec);
  t.millis = static_cast<uint16_t>(ms % 1000);
  t.precision = Precision::Millisecond;
  t.hasTz = true;
  t.tzMinutes = static_cast<int16_t>(local.tm_gmtoff / 60);
  return t;
}

}  // namespace trialbridge::fhirpath
