#pragma once
// The data files of mappings/ that the trial model is read with (the vocabulary and the JSON
// Schemas of the trial definition and entity files), embedded in the binary at build time
// (study_data.S.in), so that reading a trial needs no files at run time.
#include <string_view>

namespace trialbridge::study {

enum class EmbeddedFile {
  Vocabulary,          // mappings/vocabulary.json
  TrialSchema,         // mappings/schemas/trial-definition.schema.json
  SubjectSchema,       // mappings/schemas/subject.schema.json
  AdverseEventSchema,  // mappings/schemas/adverse-event.schema.json
  LabAnalytes,         // mappings/lab-analytes.json
};

std::string_view embeddedFile(EmbeddedFile file);

}  // namespace trialbridge::study
