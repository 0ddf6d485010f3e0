#pragma once
// Arithmetic on the trial definition's amounts of time (TimeAmount: min, h, d, wk, mo), shared by
// the reader's checks (windows and offsets must use units that can be added) and by what is built
// from the model (ranges in one unit).
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::study {

// Minutes in one unit for min, h, d, wk; nothing for mo (months have no fixed length).
std::optional<double> minutesPer(std::string_view unit);
// Whether amounts in these units can be added exactly.
bool convertible(std::string_view unitA, std::string_view unitB);
// A number as a FHIR decimal: no exponent, no trailing zeros after the point.
std::string decimalText(double value);
// The number a decimal text of the model holds ("0.30" -> 0.3); 0 for text that is not one.
double decimalNumber(std::string_view text);

}  // namespace trialbridge::study
