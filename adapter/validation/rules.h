#pragma once
// Rules of resources and datatypes beyond what their definitions say (a Bundle's entries and
// references, a QuestionnaireResponse against its Questionnaire, a MeasureReport against its
// Measure, a narrative's language sections...), kept in one table by resource type or datatype.
//
// A family of rules lives in one file (NAME_rules.cc) whose addNAMERules() adds them to the
// table; a new rule of a family is a function in that file and one line in its add function; a
// new family is a new file (listed in CMakeLists.txt), a declaration below and one line in
// RuleTable::get(). Rules report through RuleContext::reporter and never throw.
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/context.h"
#include "core/element.h"
#include "validation/definitions.h"
#include "validation/invariants.h"
#include "validation/references.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/validator.h"

namespace trialbridge::validation {

// What a rule may use, for one run on one thread. The reporter is located where the walk is
// (at the resource, for a resource rule; at the element, for a datatype rule); a rule that
// reports deeper enters the element with Reporter::Scope.
struct RuleContext {
  Reporter& reporter;
  const Definitions& definitions;
  const ValidatorOptions& options;
  const References& references;  // resolution of references and Bundle rules
  const Invariants& fhirpath;    // FHIRPath evaluation (Invariants::evaluate)

  const conformance::Context& context() const { return definitions.context(); }
  // The loaded resource of `type` with canonical URL `canonical` (a Questionnaire, a Measure),
  // read into the element model; nullptr when there is none.
  std::unique_ptr<core::Document> loadDefinition(std::string_view canonical,
                                                 std::string_view type) const;
};

// A rule of whole resources of one type: run once per resource, in the base pass, after the
// walk over its elements.
using ResourceRule = void (*)(const core::Element& resource, RuleContext& ctx);

// An element being checked against its definition, in the base pass or a profile's.
struct ElementAt {
  const core::Element& element;
  const ElementNode& node;
  const StructureModel& model;
  bool profile;
};
// A rule of elements of one datatype (Narrative, Attachment, Quantity...): run wherever the walk
// checks such an element against a definition, base or profile.
using DatatypeRule = void (*)(const ElementAt& at, RuleContext& ctx);

class RuleTable {
 public:
  // The validator's rules: every family's, added once.
  static const RuleTable& get();

  // `resourceType` "*": every resource (after the rules of its own type).
  void addResourceRule(std::string_view resourceType, ResourceRule rule);
  void addDatatypeRule(std::string_view type, DatatypeRule rule);

  void runResourceRules(const core::Element& resource, RuleContext& ctx) const;
  void runDatatypeRules(const ElementAt& at, RuleContext& ctx) const {
    const std::string_view type = at.element.type().name;
    if (type.empty()) return;
    for (const auto& [t, rule] : datatypeRules_[static_cast<unsigned char>(type[0]) & 127]) {
      if (t == type) rule(at, ctx);
    }
  }

 private:
  std::vector<std::pair<std::string, ResourceRule>> resourceRules_;
  std::vector<ResourceRule> everyResource_;
  // By the first letter of the type's name: this runs for every element, so it compares few
  // names.
  std::array<std::vector<std::pair<std::string, DatatypeRule>>, 128> datatypeRules_;
};

// The families (one file each).
void addAttachmentRules(RuleTable& table);       // attachment_rules.cc: Attachment, base64Binary
void addBestPracticeRules(RuleTable& table);     // best_practice_rules.cc: Observation
void addBundleRules(RuleTable& table);           // bundle_rules.cc: Bundle
void addDatatypeRules(RuleTable& table);         // datatype_rules.cc: strings, dates, uri,
                                                 // Identifier, Coding
void addElementIdRules(RuleTable& table);        // element_id_rules.cc: every resource's ids
void addMeasureRules(RuleTable& table);          // measure_rules.cc: Measure, MeasureReport
void addMetaRules(RuleTable& table);             // meta_rules.cc: every resource's meta
void addNarrativeRules(RuleTable& table);        // narrative_rules.cc: Narrative
void addProfileRules(RuleTable& table);          // profile_rules.cc: StructureDefinition
void addQuantityRules(RuleTable& table);         // quantity_rules.cc: Quantity and its kinds
void addQuestionnaireRules(RuleTable& table);    // questionnaire_rules.cc: Questionnaire(Response)
void addSearchParameterRules(RuleTable& table);  // search_parameter_rules.cc: SearchParameter,
                                                 // CapabilityStatement

}  // namespace trialbridge::validation
