#pragma once
// Terminology checks: a code, Coding or CodeableConcept against the value set its definition
// binds it to (required: error; extensible: warning; preferred and example: nothing), and a
// Coding's code and display against its code system when that is loaded.
//
// A wrong display is not reported at once: a value set the element is bound to may give that
// display for the code, and the binding may be checked in a later pass (a profile's). Wrong
// displays wait until the resource is done (mark(), reportDisplays()).
#include <string>
#include <unordered_set>
#include <vector>

#include "conformance/structure_definition.h"
#include "conformance/terminology.h"
#include "core/element.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"

namespace trialbridge::validation {

class Bindings {
 public:
  Bindings(const conformance::Terminology& terminology, Reporter& reporter)
      : tx_(terminology), rep_(reporter) {}

  // Checks `e` against binding `b` of its definition in model `m`. In a profile pass, a binding
  // the base definition has too is left to the base pass.
  void checkBinding(const core::Element& e, const conformance::Binding& b, const StructureModel& m,
                    bool profile);

  // A Coding's code and display against its CodeSystem, when that is loaded.
  void checkCoding(const core::Element& c);

  // Where the wrong displays of a resource start (call before its passes), and the reporting of
  // those found since `mark` that no bound value set gives (after them).
  size_t mark() const { return pendingDisplays_.size(); }
  void reportDisplays(size_t mark);

 private:
  void checkBoundValue(const core::Element& e, const conformance::Binding& b, bool required);
  void checkCodings(const core::Element& at, const std::vector<const core::Element*>& codings,
                    const conformance::Binding& b, core::Severity sev, bool required);
  void unknownValueSet(const core::Element& e, std::string_view vs);
  void noteValueSetDisplay(const core::Element& coding, const conformance::ValueSetExpansion& x);

  struct PendingDisplay {
    const core::Element* display;
    std::string location;
    std::string message;
  };

  const conformance::Terminology& tx_;
  Reporter& rep_;
  std::vector<PendingDisplay> pendingDisplays_;
  // Displays that a value set the Coding is bound to gives: not wrong.
  std::unordered_set<const core::Element*> valueSetDisplays_;
};

}  // namespace trialbridge::validation
