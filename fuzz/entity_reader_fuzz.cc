// libFuzzer target: reading trial entity files (study::readEntity: subjects and adverse-event
// reports, against each of the sample trials), the checks across entities
// (study::checkEntities) and mapping what reads to FHIR (mapping::mapTrial, as
// `trialbridge map --trial T --secret-file S ENTITY.json` does), and a subject's visit windows
// from its doses (study::VisitPlan).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; readEntity returns an
// entity exactly when it reported no error; the same entity given twice is reported as a
// duplicate; an entity that reads maps to a Bundle that writes as JSON.
// Seed corpus: fuzz/corpus/entity_reader/ (the samples/entities/ files and broken variants).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "mapping/pseudonymizer.h"
#include "mapping/trial_mapping.h"
#include "mapping_fuzz.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"
#include "study/visit_plan.h"

namespace {

using namespace trialbridge;

constexpr const char* kTarget = "entity_reader_fuzz";

struct Fixture {
  std::vector<study::Trial> trials;
  mapping::MapOptions options;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    for (const char* file :
         {"samples/trials/NCT06813157.json", "samples/trials/tbx101-fih-01.json"}) {
      const std::string text = fuzz::sourceFile(file);
      core::Issues issues;
      auto trial = study::readTrial(text, issues);
      if (!trial)
        fuzz::failFor(kTarget, std::string("the sample trial does not read: ") + file, text);
      x.trials.push_back(std::move(*trial));
    }
    auto secret = mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                   "/samples/entities/demo.secret");
    if (!secret) fuzz::failFor(kTarget, secret.message(), "samples/entities/demo.secret");
    x.options.pseudonymizer = std::move(secret.value());
    return x;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const conformance::Context& context = fuzz::mappingContext();
  static const Fixture& f = fixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const study::Trial& trial : f.trials) {
    core::Issues issues;
    std::optional<study::Entity> entity = study::readEntity(text, trial, issues);
    fuzz::checkVerdict(kTarget, entity.has_value(), issues, text);
    if (!entity) continue;
    entity->file = "fuzz.json";
    const std::vector<study::Entity> twice{*entity, *entity};
    std::vector<core::Issues> cross(twice.size());
    study::checkEntities(trial, twice, cross);
    if (cross[0].hasErrors() || !cross[1].hasErrors()) {
      fuzz::failFor(kTarget, "an entity given twice is not reported as a duplicate (once)", text);
    }
    auto bundle = mapping::mapTrial(trial, {*entity}, f.options, context);
    if (!bundle) fuzz::failFor(kTarget, "mapTrial failed: " + bundle.message(), text);
    if (core::writeJson(*bundle.value()->root()).empty()) {
      fuzz::failFor(kTarget, "the Bundle wrote as nothing", text);
    }
    // A subject's visit windows from its doses, and each dose placed in them.
    if (entity->kind == study::Entity::Kind::Subject) {
      const study::SubjectEvents events = study::subjectEvents(entity->subject);
      const study::VisitPlan plan = study::VisitPlan::compute(trial, events);
      for (const study::DoseGiven& d : events.doses) (void)plan.place(d.time);
    }
  }
  return 0;
}
