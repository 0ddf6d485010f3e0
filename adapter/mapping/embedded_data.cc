#include "mapping/embedded_data.h"

#include <cstddef>

extern "C" {
extern const char tb_map_registries_begin[];
extern const char tb_map_registries_end[];
extern const char tb_map_countries_begin[];
extern const char tb_map_countries_end[];
extern const char tb_map_v2_coding_systems_begin[];
extern const char tb_map_v2_coding_systems_end[];
extern const char tb_map_v2_units_begin[];
extern const char tb_map_v2_units_end[];
extern const char tb_map_v2_concept_maps_begin[];
extern const char tb_map_v2_concept_maps_end[];
extern const char tb_map_v2_lab_codes_begin[];
extern const char tb_map_v2_lab_codes_end[];
}

namespace trialbridge::mapping {

namespace {
std::string_view span(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}
}  // namespace

std::string_view embeddedFile(EmbeddedFile file) {
  switch (file) {
    case EmbeddedFile::Registries: return span(tb_map_registries_begin, tb_map_registries_end);
    case EmbeddedFile::Countries: return span(tb_map_countries_begin, tb_map_countries_end);
    case EmbeddedFile::V2CodingSystems:
      return span(tb_map_v2_coding_systems_begin, tb_map_v2_coding_systems_end);
    case EmbeddedFile::V2Units: return span(tb_map_v2_units_begin, tb_map_v2_units_end);
    case EmbeddedFile::V2ConceptMaps:
      return span(tb_map_v2_concept_maps_begin, tb_map_v2_concept_maps_end);
    case EmbeddedFile::V2LabCodes: return span(tb_map_v2_lab_codes_begin, tb_map_v2_lab_codes_end);
  }
  return {};
}

}  // namespace trialbridge::mapping
