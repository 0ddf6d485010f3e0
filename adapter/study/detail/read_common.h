#pragma once
// Internal to tb_study: pieces shared by the trial and entity readers and the resource ids.
#include <string>
#include <string_view>

#include "core/issue.h"
#include "core/json_input.h"
#include "study/trial.h"

namespace trialbridge::study::detail {

// A coding / concept of an input file; a code-system alias that mappings/vocabulary.json does
// not know is an error located at its path.
Coding readCoding(const core::JsonNode& node, core::Issues& issues);
Concept readConcept(const core::JsonNode& node, core::Issues& issues);
TimeAmount readTime(const core::JsonNode& node);

// A FHIR dateTime from the entity files' form: seconds are added when only hh:mm is given.
std::string fhirDateTime(std::string_view value);
// The date part (YYYY[-MM[-DD]]) of a date or dateTime.
std::string_view datePart(std::string_view value);

// A FHIR id made from a local key: characters other than A-Z a-z 0-9 - . become '-'.
std::string idPart(std::string_view key);
constexpr size_t kMaxFhirId = 64;

}  // namespace trialbridge::study::detail
