#pragma once
// The value rules of the FHIR R4 primitive types: each type's regex (written out as code, not
// run through a regex engine) and the rules a regex cannot say: integer ranges, real calendar
// dates, time zones on instants, string length and characters, id length.
#include <cstddef>
#include <string>
#include <string_view>

namespace trialbridge::validation {

// The longest string value FHIR allows (1 MiB).
inline constexpr size_t kMaxStringBytes = 1024 * 1024;

// Checks `value` as a value of FHIR primitive `type` ("date", "positiveInt"...). Returns true if
// it is valid (or the type is not one with a rule); otherwise false with the reason in `why`
// ("not a valid date", "the day is out of range for the month").
bool checkPrimitive(std::string_view type, std::string_view value, std::string& why);

// Number of Unicode code points in UTF-8 text.
size_t codePoints(std::string_view utf8);

// Whether text is a resource id ([A-Za-z0-9\-\.]{1,64}); when not, `why` says why in the words
// of the Java validator ("Invalid Characters ('x_1')", "Too long (70 chars)").
bool checkResourceId(std::string_view id, std::string& why);

// Comparison of two values of the same primitive type for minValue/maxValue: -1, 0, 1, or
// std::nullopt-like 2 when they cannot be compared (different precision, bad text).
int comparePrimitive(std::string_view type, std::string_view a, std::string_view b);

}  // namespace trialbridge::validation
