#pragma once
// The FHIR R4 validator: checks a resource (read by core's JSON/XML readers, which have already
// enforced the syntax rules of each format) against the base definitions of R4 and against
// profiles, and adds what it finds to an Issues list.
//
// What is checked (docs/validation.md has the details):
//   - structure: cardinality, allowed types of choice elements, primitive values (each type's
//     regex and range rules), resource ids, string lengths;
//   - fixed[x], pattern[x], minValue/maxValue, maxLength;
//   - bindings: required (error), extensible (warning) against the loaded ValueSets, with the
//     codes of loaded CodeSystems checked too; codes of systems that are not loaded are noted as
//     information;
//   - invariants of every element (FHIRPath), each with its own severity;
//   - profiles from meta.profile and the caller, including slicing (value, pattern, type,
//     profile and exists discriminators; ordered and closed rules), type profiles and extensions
//     against their definitions and contexts; differential-only profiles get a snapshot;
//   - references: format, target types against targetProfile, resolution inside a Bundle and to
//     contained resources; Bundle rules;
//   - narrative XHTML: allowed elements and attributes, no scripts.
//
// A Validator is built once per set of loaded definitions (it caches what it prepares from them)
// and is thread-safe: validate() may run on many threads at once.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/context.h"
#include "conformance/snapshot.h"
#include "conformance/terminology.h"
#include "core/element.h"
#include "core/issue.h"

namespace trialbridge::validation {

struct ValidatorOptions {
  // Evaluate the FHIRPath invariants of the definitions.
  bool invariants = true;
  // Treat text that looks like HTML or script in strings as an error (security checks).
  bool securityChecks = false;
  // Report unknown extensions from any domain as errors; when false, only those in the HL7
  // namespace are (others are a warning).
  bool strictExtensions = true;
  // Accept // and /* */ comments in JSON input (they are not JSON; some tools write them).
  bool allowJsonComments = false;
  // Markdown that holds what looks like HTML tags is an error (else nothing is said).
  bool htmlInMarkdownIsError = false;
  // Take the resource type in the URL of a reference that does not resolve (Patient/123, not in
  // the input) to be the target's type, and check it against the types the element allows. When
  // false, such a reference is not checked (the Java validator's default).
  bool assumeValidRestReferences = true;
  // How the rules the definitions mark as best practice are reported: the invariants carrying the
  // elementdefinition-bestpractice extension (dom-6 and con-3 in R4) and the advice that an
  // Observation have a subject, a performer and an effective time. Ignore: not checked; Hint:
  // information.
  enum class Level : uint8_t { Ignore, Hint, Warning, Error };
  Level bestPractice = Level::Warning;
  // What is checked of a reference to a contained resource (#id), beyond that it resolves:
  // Type, the target's type against the types the element allows; Valid, also the target
  // against the reference's target profiles; Ignore, neither. Contained resources themselves are
  // always validated as part of their container.
  enum class ContainedReferences : uint8_t { Ignore, Type, Valid };
  ContainedReferences containedReferences = ContainedReferences::Valid;
  // Resolves a reference that the input does not hold (Patient/123 kept elsewhere: a server, a
  // folder) to the root of that resource, or nullptr. Targets found so are checked against the
  // target profiles of the reference, as targets in the input are. Called from every validating
  // thread; what it returns must stay valid while the Validator is in use. Empty: no lookup.
  std::function<const core::Element*(std::string_view reference)> fetchReference;
  // Profiles for resources in a Bundle given as input: rule "Patient:0" is the first Patient
  // entry (index among the entries of that type), "Observation:*" every Observation.
  struct BundleRule {
    std::string rule;
    std::string profile;
  };
  std::vector<BundleRule> bundleRules;
};

class Validator {
 public:
  explicit Validator(const conformance::Context& context, ValidatorOptions options = {});
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Validates the resource `resource` (the root of a Document, usually) against its type and
  // the profiles in its meta.profile, plus `profiles` (canonical URLs) for the root.
  void validate(const core::Element& resource, core::Issues& issues,
                std::span<const std::string> profiles = {}) const;

  // Reads JSON or XML text and validates what was read. The reader's issues come first.
  void validateText(std::string_view text, core::Issues& issues,
                    std::span<const std::string> profiles = {}) const;

  const conformance::Context& context() const { return context_; }
  const conformance::Terminology& terminology() const;
  const conformance::Snapshots& snapshots() const;
  const ValidatorOptions& options() const { return options_; }

  struct Impl;

 private:
  const conformance::Context& context_;
  ValidatorOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::validation
