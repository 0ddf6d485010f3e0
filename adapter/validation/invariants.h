#pragma once
// Invariants: the constraints of element definitions, each with its own severity. Most are
// FHIRPath, compiled once per definition (validation/structure_model.h) and evaluated here with
// %resource and %rootResource; ele-1, ext-1, txt-1, txt-2, dom-3 and whole-value regex matches
// run natively, with the same meaning. Also the evaluation of other FHIRPath expressions the
// checks meet (extension contexts, enableWhen expressions).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "validation/check_util.h"
#include "validation/definitions.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/validator.h"

namespace trialbridge::validation {

class Invariants {
 public:
  // `readerIssues`: what the reader reported about the input (an element it emptied of broken
  // content is not reported again by ele-1); may be null.
  Invariants(const Definitions& definitions, const ValidatorOptions& options, Reporter& reporter,
             const WalkState& state, const core::Issues* readerIssues)
      : defs_(definitions),
        options_(options),
        rep_(reporter),
        state_(state),
        readerIssues_(readerIssues) {}

  // The invariants of `node` on `e`. In a profile pass, those the base pass checks are skipped.
  void checkNode(const core::Element& e, const ElementNode& node, bool profile);

  // The invariants of the datatype's own definition (per-1, qty-3, ref-1...) that `node` does not
  // repeat, where the walk goes on into `type`, the model of the element's type.
  void checkTypeInvariants(const core::Element& e, const ElementNode& node,
                           const StructureModel& type);

  // Evaluates FHIRPath `text` (compiled once per process) on `focus`, with %resource and
  // %rootResource where the walk is: the elements it selects, and in `boolean` its value as a
  // boolean. nullopt when it cannot be compiled or evaluated.
  std::optional<std::vector<const core::Element*>> evaluate(
      const std::string& text, const core::Element& focus,
      std::optional<bool>* boolean = nullptr) const;

 private:
  void check(const core::Element& e, const Invariant& inv);
  bool baseHasConstraint(const core::Element& e, std::string_view key) const;
  bool readerErrorUnder(const std::string& path) const;
  void checkContainedReferenced(const core::Element& res, const Invariant& inv);

  const Definitions& defs_;
  const ValidatorOptions& options_;
  Reporter& rep_;
  const WalkState& state_;
  const core::Issues* readerIssues_;
};

}  // namespace trialbridge::validation
