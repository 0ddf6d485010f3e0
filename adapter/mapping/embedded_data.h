#pragma once
// The data files of mappings/ that drive the mapping layer, embedded in the binary at build time
// (mapping_data.S.in), so that the mapping needs no files at run time.
#include <string_view>

namespace trialbridge::mapping {

enum class EmbeddedFile {
  Vocabulary,          // mappings/vocabulary.json
  TrialSchema,         // mappings/schemas/trial-definition.schema.json
  SubjectSchema,       // mappings/schemas/subject.schema.json
  AdverseEventSchema,  // mappings/schemas/adverse-event.schema.json
  Profiles,            // fhir-profiles/trialbridge/embedded.ndjson
  ProfilesManifest,    // fhir-profiles/trialbridge/package/package.json
};

std::string_view embeddedFile(EmbeddedFile file);

}  // namespace trialbridge::mapping
