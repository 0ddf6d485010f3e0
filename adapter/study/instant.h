#pragma once
// Points in time for the protocol's logic: a FHIR date or dateTime as the span of seconds it
// covers, with the UTC offset it was written in. "2025-02-12T09:30+08:00" is one second (well,
// the minute or second written); "2025-02-12" is the whole of that day in the zone the caller
// gives (the zone of the subject's other events), since a date alone has none.
//
// Calendar arithmetic (months, calendar days) is done in the value's own zone, so that "one
// month after a dose given at 09:30 local time" is 09:30 local time a month later, and a window
// of whole days ends at local midnight. Cheap: no allocation, no locale, no time-zone database
// (FHIR date-times carry their offset).
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::study {

inline constexpr int64_t kSecondsPerMinute = 60;
inline constexpr int64_t kSecondsPerDay = 86400;
// Open ends of windows ("before the first dose", no lower bound).
inline constexpr int64_t kNoLowerBound = std::numeric_limits<int64_t>::min() / 4;
inline constexpr int64_t kNoUpperBound = std::numeric_limits<int64_t>::max() / 4;

enum class TimePrecision : uint8_t { Year, Month, Day, Second };

struct Instant {
  int64_t seconds = 0;      // UTC seconds since 1970-01-01T00:00Z of the value's start
  int64_t span = 1;         // how many seconds the value covers (1 for a date-time)
  int32_t zoneMinutes = 0;  // the offset it was written with (or the zone given for a date)
  TimePrecision precision = TimePrecision::Second;

  int64_t end() const { return seconds + span; }  // exclusive
  bool hasTime() const { return precision == TimePrecision::Second; }
};

// Parses YYYY, YYYY-MM, YYYY-MM-DD and YYYY-MM-DDThh:mm[:ss[.fff]](Z|+hh:mm|-hh:mm). A date-time
// without a zone is refused (FHIR requires one when there is a time); a date is taken in
// `dateZoneMinutes`. nullopt for anything else, or a day that does not exist.
std::optional<Instant> parseInstant(std::string_view text, int32_t dateZoneMinutes = 0);

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian calendar).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);
void civilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day);

// Adds `value` `unit` (min, h, d, wk, mo; value may be negative or fractional) to a UTC second,
// calendar-wise for months in the zone `zoneMinutes`: the same local time N months later, on
// the same day of the month or the month's last day (31 January + 1 month = 28 or 29 February).
// A fraction of a month counts as that fraction of 30.4375 days. nullopt for an unknown unit.
std::optional<int64_t> addTime(int64_t seconds, double value, std::string_view unit,
                               int32_t zoneMinutes);

// The first second of the local calendar day holding `seconds`, in the zone `zoneMinutes`.
int64_t startOfLocalDay(int64_t seconds, int32_t zoneMinutes);

// "2025-02-12T09:30:00+08:00" (seconds always written) for a second in a zone; "2025-02-12" for
// day precision. For messages and FHIR values.
std::string formatInstant(const Instant& instant);
std::string formatSeconds(int64_t seconds, int32_t zoneMinutes);

}  // namespace trialbridge::study
