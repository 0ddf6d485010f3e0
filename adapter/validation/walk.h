#pragma once
// The walk of one validation run: one resource tree, on one thread. It checks the root against
// its type's model (the base pass) and against each of its profiles (profile passes): each
// element against its node (cardinality, the allowed types of choices, then the element's rules:
// values, datatype rules, bindings, codes, references, invariants), its children against the
// node's children, or where the definition does not go deeper, against the model of the
// element's own type. Resources inside others (contained, Bundle entries, Parameters) get a base
// pass of their own and the profiles the definition asks for; sliced elements go through
// Slicing, extensions through Extensions; the resource rules (validation/rules.h) run once per
// resource after its base pass. The reporter carries the location as the walk descends.
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "validation/bindings.h"
#include "validation/check_util.h"
#include "validation/definitions.h"
#include "validation/extensions.h"
#include "validation/invariants.h"
#include "validation/references.h"
#include "validation/reporter.h"
#include "validation/rules.h"
#include "validation/slicing.h"
#include "validation/structure_model.h"
#include "validation/validator.h"
#include "validation/values.h"

namespace trialbridge::validation {

class Walk final : public ProfileMatch {
 public:
  // Issues go to `issues`; `readerIssues` are those the reader found in the input (may be null).
  Walk(const ValidatorOptions& options, const Definitions& definitions, core::Issues& issues,
       const core::Issues* readerIssues);
  Walk(const Walk&) = delete;
  Walk& operator=(const Walk&) = delete;

  // Validates `root` against its type, its meta.profile, and `profiles`.
  void validateRoot(const core::Element& root, std::span<const std::string> profiles);

  bool conformsTo(const core::Element& e, std::string_view profileUrl) override;

 private:
  void validateResource(const core::Element& res, std::span<const std::string> profiles, bool base);
  void checkResourceBase(const core::Element& res);
  std::vector<std::string> resourceProfiles(const core::Element& res,
                                            std::span<const std::string> profiles, bool base);
  void addBundleRuleProfiles(const core::Element& res, std::vector<std::string>& profiles) const;
  void validateNode(const core::Element& e, const ElementNode& node, const StructureModel& m,
                    bool profile);
  void validateInnerResource(const core::Element& e, const ElementNode& node,
                             const StructureModel& m, bool profile);
  void validateTypeProfiles(const core::Element& e, const ElementNode& node,
                            const StructureModel& m);
  void validateChildren(const core::Element& e, const std::vector<const ElementNode*>& defs,
                        const StructureModel& m, bool profile);
  void checkChoiceTypes(const core::Element& first, uint32_t count, const ElementNode& c,
                        const StructureModel& m, bool profile);
  void validateSliced(const core::Element& parent, const ElementNode& c,
                      const std::vector<const core::Element*>& items, const StructureModel& m,
                      bool profile);
  void validateChild(const core::Element& child, const ElementNode& node, const StructureModel& m,
                     bool profile);
  void checkCardinality(const core::Element& parent, const ElementNode& c, size_t n,
                        const StructureModel& m, bool profile);
  void checkRules(const core::Element& e, const ElementNode& node, const StructureModel& m,
                  bool profile);

  const ValidatorOptions& options_;
  const Definitions& defs_;
  Reporter rep_;
  WalkState state_;
  // (element, profile) checks under way: a reference that leads back to one is taken to conform.
  std::vector<std::pair<const core::Element*, const StructureModel*>> checking_;
  ValueRules values_;
  Bindings bindings_;
  Invariants invariants_;
  References references_;
  Extensions extensions_;
  Slicing slicing_;
  RuleContext rules_;
  const RuleTable& table_;
};

}  // namespace trialbridge::validation
