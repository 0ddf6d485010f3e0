#pragma once
// Internal to tb_mapping: pieces shared by the trial and entity readers and the mappers.
#include <optional>
#include <string>
#include <string_view>

#include "core/issue.h"
#include "mapping/detail/json_input.h"
#include "mapping/trial.h"

namespace trialbridge::mapping::detail {

// A coding / concept of an input file; a code-system alias that mappings/vocabulary.json does
// not know is an error located at its path.
Coding readCoding(const Node& node, core::Issues& issues);
Concept readConcept(const Node& node, core::Issues& issues);
TimeAmount readTime(const Node& node);

// Minutes in one unit for min, h, d, wk; nothing for mo (months have no fixed length).
std::optional<double> minutesPer(std::string_view unit);
// Whether amounts in these units can be added exactly.
bool convertible(std::string_view unitA, std::string_view unitB);
// A number as a FHIR decimal: no exponent, no trailing zeros after the point.
std::string decimalText(double value);

// A FHIR dateTime from the entity files' form: seconds are added when only hh:mm is given.
std::string fhirDateTime(std::string_view value);
// The date part (YYYY[-MM[-DD]]) of a date or dateTime.
std::string_view datePart(std::string_view value);

// A FHIR id made from a local key: characters other than A-Z a-z 0-9 - . become '-'.
std::string idPart(std::string_view key);
constexpr size_t kMaxFhirId = 64;

}  // namespace trialbridge::mapping::detail
