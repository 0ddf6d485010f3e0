#pragma once
// FHIR date, dateTime and instant values as ranges of epoch milliseconds, for date search.
// A value covers the whole of its precision: "2024" is [2024-01-01T00:00Z, 2025-01-01T00:00Z),
// "2024-03-05T10:00:00+01:00" is one second. Values without a time zone are taken as UTC.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace trialbridge::store {

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

struct TimeRange {
  int64_t low = 0;   // inclusive
  int64_t high = 0;  // exclusive
};

// Parses YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm]; false when
// the text is none of these.
bool parseFhirTime(std::string_view text, TimeRange& out);

// The current time in epoch milliseconds.
int64_t nowMillis();
// "2025-02-03T10:11:12.345Z".
std::string formatInstant(int64_t epochMillis);

}  // namespace trialbridge::store
