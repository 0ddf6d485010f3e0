#include "mapping/embedded_data.h"

#include <cstddef>

extern "C" {
extern const char tb_map_vocabulary_begin[];
extern const char tb_map_vocabulary_end[];
extern const char tb_map_trial_schema_begin[];
extern const char tb_map_trial_schema_end[];
extern const char tb_map_subject_schema_begin[];
extern const char tb_map_subject_schema_end[];
extern const char tb_map_ae_schema_begin[];
extern const char tb_map_ae_schema_end[];
extern const char tb_map_profiles_begin[];
extern const char tb_map_profiles_end[];
extern const char tb_map_profiles_manifest_begin[];
extern const char tb_map_profiles_manifest_end[];
}

namespace trialbridge::mapping {

namespace {
std::string_view span(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}
}  // namespace

std::string_view embeddedFile(EmbeddedFile file) {
  switch (file) {
    case EmbeddedFile::Vocabulary: return span(tb_map_vocabulary_begin, tb_map_vocabulary_end);
    case EmbeddedFile::TrialSchema: return span(tb_map_trial_schema_begin, tb_map_trial_schema_end);
    case EmbeddedFile::SubjectSchema:
      return span(tb_map_subject_schema_begin, tb_map_subject_schema_end);
    case EmbeddedFile::AdverseEventSchema:
      return span(tb_map_ae_schema_begin, tb_map_ae_schema_end);
    case EmbeddedFile::Profiles: return span(tb_map_profiles_begin, tb_map_profiles_end);
    case EmbeddedFile::ProfilesManifest:
      return span(tb_map_profiles_manifest_begin, tb_map_profiles_manifest_end);
  }
  return {};
}

}  // namespace trialbridge::mapping
