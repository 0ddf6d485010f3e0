#pragma once
// The data files of mappings/ that drive the registry formats (registry_tables.h) and the HL7 v2
// mapping (v2_terminology.h), embedded in the binary at build time (mapping_data.S.in), so that
// the mapping needs no files at run time. The trial model's own files (vocabulary, schemas) are
// embedded by adapter/study.
#include <string_view>

namespace trialbridge::mapping {

enum class EmbeddedFile {
  Registries,       // mappings/registries.json
  Countries,        // mappings/countries.json
  V2CodingSystems,  // mappings/v2/coding-systems.json
  V2Units,          // mappings/v2/units.json
  V2ConceptMaps,    // mappings/v2/concept-maps.json
  V2LabCodes,       // mappings/v2/lab-codes.json
};

std::string_view embeddedFile(EmbeddedFile file);

}  // namespace trialbridge::mapping
