#pragma once
// What the validator needs of one StructureDefinition, prepared once and cached: the snapshot as
// a tree of ElementNodes (children, slices, content references), each with its allowed types,
// its fixed and pattern values read into the element model, and its invariants compiled to
// FHIRPath. Models are built on first use, shared by all threads, and never change afterwards.
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/context.h"
#include "conformance/snapshot.h"
#include "conformance/structure_definition.h"
#include "core/element.h"
#include "core/issue.h"
#include "core/regex.h"

namespace trialbridge::fhirpath {
class Expression;
}

namespace trialbridge::validation {

// A constraint of an element, ready to evaluate.
struct Invariant {
  enum class Native : uint8_t {
    None,
    Ele1,  // hasValue() or (children().count() > id.count())
    Ext1,  // extension.exists() != value.exists()
    Txt1,  // htmlChecks(): the narrative XHTML rules (conformance/narrative.h)
    Txt2,  // htmlChecks() in R4 too: the narrative has some non-whitespace content
    Dom3,  // contained resources are referenced (also from the narrative) or refer back
    // name.matches('regex') on a child of the element: the regex must match the whole value,
    // as the R4 invariants are written (eld-19, sdf-0...) and the Java validator reads them.
    WholeMatch,
  };
  const conformance::Constraint* constraint = nullptr;
  core::Severity severity = core::Severity::Error;
  Native native = Native::None;
  std::shared_ptr<const fhirpath::Expression> expression;  // null when native or not compiled
  std::string compileError;
  std::string matchChild;                    // WholeMatch: the child's name
  std::shared_ptr<const core::Regex> regex;  // WholeMatch: the pattern
};

// A fixed[x] or pattern[x] value.
struct ValueSpec {
  std::string type;                          // FHIR type: "code", "CodeableConcept"
  std::string text;                          // a primitive's value
  std::shared_ptr<core::Document> document;  // a complex value
  bool present() const { return !type.empty(); }
  const core::Element* root() const { return document ? document->root() : nullptr; }
};

struct ElementNode {
  const conformance::ElementDefinition* def = nullptr;
  std::string name;  // last path segment without "[x]" ("value"), or a renamed choice
  bool choice = false;
  const ElementNode* parent = nullptr;
  const ElementNode* slicedBy = nullptr;     // for a slice: the element it is a slice of
  std::vector<const ElementNode*> children;  // non-slice children, in snapshot order
  std::vector<const ElementNode*> slices;    // this element's slices, in order
  const ElementNode* contentReference = nullptr;
  std::vector<std::string> types;  // FHIR type names allowed ("Quantity", "string")
  ValueSpec fixed;
  ValueSpec pattern;
  // From extensions on the ElementDefinition (not kept by the conformance layer's structs).
  int64_t minLength = 0;       // http://hl7.org/fhir/StructureDefinition/minLength
  bool mustHaveValue = false;  // ...ElementDefinition.mustHaveValue (R5, used in R4 too)
  // narrative-language-control: _no, _yes, _resource or languages (comma-separated when the
  // extension repeats).
  std::string languageControl;
  uint64_t maxSize = 0;  // the maxSize extension (bytes of an attachment or base64Binary), 0: none
  // ...ElementDefinition.valueAlternatives (R5): the extensions that may stand in for a missing
  // primitive value.
  std::vector<std::string> valueAlternatives;
  std::vector<Invariant> invariants;

  bool allowsType(std::string_view type) const;
  // The profiles the type `type` must conform to (type[].profile), if any.
  const std::vector<std::string>* typeProfiles(std::string_view type) const;
  const std::vector<std::string>* targetProfiles() const;  // of the Reference type
};

class StructureModel {
 public:
  const conformance::StructureDefinition& sd() const { return *sd_; }
  const ElementNode& root() const { return nodes_.front(); }
  // "url|version" as messages name it.
  const std::string& label() const { return label_; }
  const ElementNode* byId(std::string_view id) const;

 private:
  friend class ModelCache;
  const conformance::StructureDefinition* sd_ = nullptr;
  std::string label_;
  std::deque<ElementNode> nodes_;
  std::vector<std::pair<std::string, const ElementNode*>> ids_;
};

// Models by canonical URL or type name. Thread-safe.
class ModelCache {
 public:
  ModelCache(const conformance::Context& context, const conformance::Snapshots& snapshots,
             bool compileInvariants);
  ~ModelCache();
  ModelCache(const ModelCache&) = delete;
  ModelCache& operator=(const ModelCache&) = delete;

  // nullptr when unknown or its snapshot cannot be made (reason in `error`).
  const StructureModel* get(std::string_view nameOrUrl, std::string* error = nullptr) const;

 private:
  std::unique_ptr<StructureModel> build(const conformance::StructureDefinition& sd) const;
  struct Impl;
  const conformance::Context& context_;
  const conformance::Snapshots& snapshots_;
  bool compileInvariants_;
  std::unique_ptr<Impl> impl_;
};

// Reads a fixed/pattern value: `jsonName` is "fixedCodeableConcept", `json` its JSON text.
ValueSpec readValueSpec(std::string_view prefix, const std::string& jsonName,
                        const std::string& json, const core::TypeResolver& types);

}  // namespace trialbridge::validation
