#pragma once
// The value rules of one element against its element definition: the primitive type's own rules
// (validation/primitives.h; HTML in strings and markdown when the options ask), fixed[x] (exactly,
// nothing more), pattern[x] (at least), minValue[x]/maxValue[x] (primitives and Quantity),
// maxLength, the minLength extension, and the R5 mustHaveValue and valueAlternatives extensions.
#include "conformance/structure_definition.h"
#include "core/element.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/validator.h"

namespace trialbridge::validation {

class ValueRules {
 public:
  ValueRules(const ValidatorOptions& options, Reporter& reporter)
      : options_(options), rep_(reporter) {}

  // Checks `e` against `node` of model `m`. A primitive's own rules are checked in the base pass
  // only (`profile` false); a resource's id is checked with the resource.
  void check(const core::Element& e, const ElementNode& node, const StructureModel& m,
             bool profile);

 private:
  void checkPrimitiveValue(const core::Element& e);
  void checkFixed(const core::Element& e, const ValueSpec& spec, const StructureModel& m,
                  const conformance::ElementDefinition& d, bool pattern);
  void compareFixed(const core::Element& e, const core::Element& fixed, const std::string& where);
  void checkQuantityBound(const core::Element& e, const std::string& json, const StructureModel& m,
                          bool min);
  void checkBound(const core::Element& e, const std::string& json, const StructureModel& m,
                  bool min);
  void checkValueAlternatives(const core::Element& e, const ElementNode& node,
                              const StructureModel& m);

  const ValidatorOptions& options_;
  Reporter& rep_;
};

}  // namespace trialbridge::validation
