#pragma once
// HL7 v2 dates and times (DTM, DT, TM, and TS's first component) as FHIR dates and times.
//
// DTM is YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. FHIR's dateTime needs minutes and seconds
// once there is an hour, and a time zone once there is a time: an hour alone becomes HH:00:00,
// minutes alone HH:MM:00, and a time without a zone takes the zone the caller gives (the
// mapping passes MSH-7's, the sender's clock). Values already in ISO 8601 / FHIR form, as some
// engines send them, are read too (the caller may warn). Calendar checks: month 1-12, the day
// within its month (leap years included), hour 0-23, minute and second 0-59, zone -12:00..+14:00.
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::mapping::v2time {

struct DateTime {
  std::string date;    // 2025, 2025-03 or 2025-03-12
  std::string time;    // 07:30:00 or 07:30:00.1234; empty for a date alone
  std::string offset;  // +08:00 or Z; empty when the value has none
  bool iso = false;    // written in ISO 8601 form rather than v2 form
};

std::optional<DateTime> parse(std::string_view value);
// A v2 offset ("+0800") as FHIR writes it ("+08:00"); nullopt when malformed.
std::optional<std::string> offset(std::string_view v2Offset);
// A zone as a person writes it in a setting or an option ("+08:00", "+0800", "Z") in the form
// V2MapOptions::defaultTimezone takes ("+08:00", "Z"); nullopt when it is none of those.
std::optional<std::string> zoneSetting(std::string_view zone);

// FHIR dateTime; a time without an offset gets defaultOffset.
std::string toDateTime(const DateTime& dt, std::string_view defaultOffset);
// FHIR instant (a day and a time are needed: nullopt for less).
std::optional<std::string> toInstant(const DateTime& dt, std::string_view defaultOffset);
// FHIR date (the date part).
inline const std::string& toDate(const DateTime& dt) { return dt.date; }

// Whether FHIR dateTime a is certainly later than b: both with a time (and zone) compared as
// instants; otherwise their dates at the precision both have ("2025-03" and "2025-03-12" compare
// as months). False when either does not read.
bool isAfter(std::string_view a, std::string_view b);

// v2 TM (HH[MM[SS[.S...]]][+/-ZZZZ]) as a FHIR time (hh:mm:ss); FHIR times have no zone, so one
// given is dropped (hadOffset says so). nullopt when malformed.
std::optional<std::string> parseTime(std::string_view value, bool* hadOffset = nullptr);

}  // namespace trialbridge::mapping::v2time
