#include "validation/rules.h"

#include "core/json.h"

namespace trialbridge::validation {

std::unique_ptr<core::Document> RuleContext::loadDefinition(std::string_view canonical,
                                                            std::string_view type) const {
  if (canonical.empty()) return nullptr;
  const auto* loc = context().find(canonical);
  if (loc == nullptr || loc->info->resourceType != type) return nullptr;
  auto json = loc->package->json(loc->index);
  if (!json) return nullptr;
  core::Issues ignored;
  auto doc = core::readJson(json.value(), context(), ignored);
  if (doc == nullptr || doc->root() == nullptr) return nullptr;
  return doc;
}

const RuleTable& RuleTable::get() {
  static const RuleTable table = [] {
    RuleTable t;
    addBundleRules(t);
    addSearchParameterRules(t);
    addQuestionnaireRules(t);
    addProfileRules(t);
    addMeasureRules(t);
    addElementIdRules(t);
    addNarrativeRules(t);
    addBestPracticeRules(t);
    addAttachmentRules(t);
    addQuantityRules(t);
    addDatatypeRules(t);
    addMetaRules(t);
    return t;
  }();
  return table;
}

void RuleTable::addResourceRule(std::string_view resourceType, ResourceRule rule) {
  if (resourceType == "*") {
    everyResource_.push_back(rule);
  } else {
    resourceRules_.emplace_back(resourceType, rule);
  }
}

void RuleTable::addDatatypeRule(std::string_view type, DatatypeRule rule) {
  if (type.empty()) return;
  datatypeRules_[static_cast<unsigned char>(type[0]) & 127].emplace_back(type, rule);
}

void RuleTable::runResourceRules(const core::Element& resource, RuleContext& ctx) const {
  const std::string_view type = resource.type().name;
  for (const auto& [t, rule] : resourceRules_) {
    if (t == type) rule(resource, ctx);
  }
  for (ResourceRule rule : everyResource_) rule(resource, ctx);
}

}  // namespace trialbridge::validation
