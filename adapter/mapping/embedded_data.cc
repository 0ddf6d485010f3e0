#include "mapping/embedded_data.h"

#include <cstddef>

extern "C" {
extern const char tb_map_registries_begin[];
extern const char tb_map_registries_end[];
extern const char tb_map_countries_begin[];
extern const char tb_map_countries_end[];
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
  }
  return {};
}

}  // namespace trialbridge::mapping
