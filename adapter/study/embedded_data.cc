#include "study/embedded_data.h"

#include <cstddef>

extern "C" {
extern const char tb_study_vocabulary_begin[];
extern const char tb_study_vocabulary_end[];
extern const char tb_study_trial_schema_begin[];
extern const char tb_study_trial_schema_end[];
extern const char tb_study_subject_schema_begin[];
extern const char tb_study_subject_schema_end[];
extern const char tb_study_ae_schema_begin[];
extern const char tb_study_ae_schema_end[];
extern const char tb_study_lab_analytes_begin[];
extern const char tb_study_lab_analytes_end[];
}

namespace trialbridge::study {

namespace {
std::string_view span(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}
}  // namespace

std::string_view embeddedFile(EmbeddedFile file) {
  switch (file) {
    case EmbeddedFile::Vocabulary: return span(tb_study_vocabulary_begin, tb_study_vocabulary_end);
    case EmbeddedFile::TrialSchema:
      return span(tb_study_trial_schema_begin, tb_study_trial_schema_end);
    case EmbeddedFile::SubjectSchema:
      return span(tb_study_subject_schema_begin, tb_study_subject_schema_end);
    case EmbeddedFile::AdverseEventSchema:
      return span(tb_study_ae_schema_begin, tb_study_ae_schema_end);
    case EmbeddedFile::LabAnalytes:
      return span(tb_study_lab_analytes_begin, tb_study_lab_analytes_end);
  }
  return {};
}

}  // namespace trialbridge::study
