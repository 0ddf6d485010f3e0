#pragma once
// FHIRPath Date, DateTime and Time values with partial precision (@2014, @2014-01-05T10:30,
// @T10:30) and optional timezone offset, and the comparison, arithmetic and boundary rules of
// FHIRPath for them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::fhirpath {

enum class TemporalKind : uint8_t { Date, DateTime, Time };

// Precision of a value: the last component it has. Times start at Hour.
enum class Precision : uint8_t { Year, Month, Day, Hour, Minute, Second, Millisecond };

enum class CalendarUnit : uint8_t { Year, Month, Week, Day, Hour, Minute, Second, Millisecond };

struct Temporal {
  int16_t year = 0;
  uint8_t month = 1;
  uint8_t day = 1;
  uint8_t hour = 0;
  uint8_t minute = 0;
  uint8_t second = 0;
  Precision precision = Precision::Year;
  uint16_t millis = 0;
  int16_t tzMinutes = 0;  // offset from UTC when hasTz
  bool hasTz = false;
};
static_assert(sizeof(Temporal) <= 16);

// FHIR/FHIRPath text without the leading '@' or 'T' (for time). Dates: YYYY[-MM[-DD]];
// date-times: a date, optionally 'T' and a time with optional seconds fraction and timezone
// ("Z" or +hh:mm); `allowBareT` accepts "2015T" (FHIRPath literal form); times: hh[:mm[:ss[.f]]].
std::optional<Temporal> parseDate(std::string_view text);
std::optional<Temporal> parseDateTime(std::string_view text, bool allowBareT = false);
std::optional<Temporal> parseTime(std::string_view text);
// A time literal with a timezone (FHIRPath has none): true when `text` is a time followed by one.
bool timeHasTimezone(std::string_view text);

// ISO text: "2014-01-05", "2014-01-05T10:30:00.000+10:00", "10:30".
std::string formatTemporal(const Temporal& t, TemporalKind kind);

// Comparison under FHIRPath rules: -1, 0, 1, or nullopt when the answer depends on precision
// the values do not have (or only one has a timezone). Seconds and milliseconds count as one
// precision. Dates compare with date-times as date-times of day precision.
std::optional<int> compareTemporal(const Temporal& a, const Temporal& b, bool isTime);
// Equivalence (~): same precision and equal.
bool equivalentTemporal(const Temporal& a, const Temporal& b, bool isTime);

// Adds `amount` of `unit` (negative to subtract). Units finer than the value's precision are
// converted to it (truncating). nullopt if the result is out of range.
std::optional<Temporal> addToTemporal(const Temporal& t, TemporalKind kind, int64_t amount,
                                      CalendarUnit unit);

// Calendar keywords ("year", "months", ...) and the UCUM time units that map to calendar
// arithmetic ("wk", "d", "h", "min", "s", "ms"; not "a" or "mo", which are not calendar units).
std::optional<CalendarUnit> calendarKeyword(std::string_view unit);
std::optional<CalendarUnit> ucumCalendarUnit(std::string_view unit);
std::string_view calendarUnitName(CalendarUnit u);

// lowBoundary/highBoundary: `digits` is the precision in FHIRPath digits (Date: 4, 6, 8;
// DateTime: 4 ... 17; Time: 2, 4, 6, 9). Values without a timezone get +14:00 (low) or -12:00
// (high) when the result has a time. nullopt for an invalid precision.
std::optional<Temporal> temporalBoundary(const Temporal& t, TemporalKind kind, int digits,
                                         bool high, TemporalKind& resultKind);
// precision(): digits of the value's precision (DateTime @2014-01-05T10:30:00.000 -> 17).
int temporalPrecisionDigits(const Temporal& t, TemporalKind kind);

// Current date-time in the local timezone, millisecond precision.
Temporal nowLocal();

}  // namespace trialbridge::fhirpath
