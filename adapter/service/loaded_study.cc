#include "service/loaded_study.h"

#include <utility>
#include <vector>

#include "pipeline/store_subject_directory.h"

namespace trialbridge::service {
namespace {

// The context with what it points at: the catalog's entries (trials and secrets) and the
// directory.
struct Held {
  Held(std::vector<TrialCatalog::Entry> held, std::vector<pipeline::StudyTrial> known,
       store::Store& store, const core::TypeResolver& types, pipeline::StudyContextOptions options)
      : entries(std::move(held)),
        directory(store),
        context(std::move(known), directory, types, std::move(options)) {}
  std::vector<TrialCatalog::Entry> entries;
  pipeline::StoreSubjectDirectory directory;
  pipeline::StudyContext context;
};

}  // namespace

std::shared_ptr<const pipeline::StudyContext> loadedStudy(const TrialCatalog& trials,
                                                          store::Store& store,
                                                          const core::TypeResolver& types,
                                                          pipeline::StudyContextOptions options,
                                                          core::Issues& issues) {
  std::vector<TrialCatalog::Entry> entries = trials.all();
  if (entries.empty()) return nullptr;
  // The entries' trials and secrets do not move when the vector is moved into Held (the
  // pseudonymizers live in the vector's buffer, which a move keeps).
  std::vector<pipeline::StudyTrial> known;
  for (const TrialCatalog::Entry& e : entries) {
    if (e.pseudonymizer) known.push_back({e.trial.get(), &*e.pseudonymizer});
  }
  if (known.empty()) {
    issues.add(core::Severity::Error, core::IssueType::Exception,
               "no loaded trial has its pseudonymisation secret: results cannot be matched");
    return nullptr;
  }
  auto held = std::make_shared<const Held>(std::move(entries), std::move(known), store, types,
                                           std::move(options));
  return std::shared_ptr<const pipeline::StudyContext>(held, &held->context);
}

}  // namespace trialbridge::service
