#pragma once
// Registry record -> the WHO Trial Registration Data Set (TRDS, version 1.3.1): its 24 items in
// order, each with its number and name, as JSON or XML (the same content). An item the record
// has nothing for is still written, with a null value (JSON) or an empty element with
// missing="true" (XML), so that every output has all 24.
#include <string>
#include <vector>

#include "mapping/registry_record.h"

namespace trialbridge::mapping {

// The names of the 24 items, in order (item n is at index n - 1).
const std::vector<std::string>& whoItemNames();

std::string writeWhoJson(const RegistryRecord& record);
std::string writeWhoXml(const RegistryRecord& record);

}  // namespace trialbridge::mapping
