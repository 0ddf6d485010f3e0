#pragma once
// Extensions: each is looked up by its URL and checked against where its definition allows it
// (context types, element paths, other extensions, FHIRPath context expressions and context
// invariants). The walk then validates it against the definition as against a profile.
//
// An extension on anything but another extension has an absolute url (only the sub-extensions of
// a complex extension are named relatively). An unknown extension is an error, except in example
// domains or with strictExtensions off (a warning), and for HL7 extensions outside the R4 core
// package (information: they are published in the extensions pack, which is not loaded).
#include <string>
#include <vector>

#include "core/element.h"
#include "validation/definitions.h"
#include "validation/invariants.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/validator.h"

namespace trialbridge::validation {

class Extensions {
 public:
  Extensions(const Definitions& definitions, const ValidatorOptions& options, Reporter& reporter,
             const Invariants& fhirpath)
      : defs_(definitions), options_(options), rep_(reporter), fhirpath_(fhirpath) {}

  // Checks extension `ext` (where the walk is): its url, and that its definition allows it here.
  // Returns the model of its definition, to validate it against; nullptr when there is none to
  // use (no url, a sub-extension's relative url, unknown, not an extension definition).
  const StructureModel* check(const core::Element& ext);

 private:
  void checkContext(const core::Element& ext, const StructureModel& em);
  bool contextAllows(const conformance::StructureDefinition& sd, const core::Element& host,
                     const std::vector<std::string>& names) const;

  const Definitions& defs_;
  const ValidatorOptions& options_;
  Reporter& rep_;
  const Invariants& fhirpath_;
};

}  // namespace trialbridge::validation
