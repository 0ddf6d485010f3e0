#pragma once
// References: finding what a reference points to (a contained resource, an entry of the Bundle
// around it by the Bundle rules, or outside the input through ValidatorOptions::fetchReference),
// and checking a Reference against its definition: the resource type a relative reference names,
// aggregation (bundled, contained), the allowed target types, and the target profiles of a
// target held in the input.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/element.h"
#include "validation/check_util.h"
#include "validation/definitions.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/validator.h"

namespace trialbridge::validation {

class References {
 public:
  References(const Definitions& definitions, const ValidatorOptions& options, Reporter& reporter,
             const WalkState& state, ProfileMatch& match)
      : defs_(definitions), options_(options), rep_(reporter), state_(state), match_(match) {}

  // The resource `ref` points to, seen from resource `from`: a contained resource of `from`'s
  // container (#id, or # for the container), an entry of the nearest Bundle around it, or
  // (`fetch`) the input's root or what ValidatorOptions::fetchReference finds; nullptr when none.
  const core::Element* resolve(std::string_view ref, const core::Element* from,
                               bool fetch = true) const;

  // Resolves `ref` in `bundle` as http://hl7.org/fhir/R4/bundle.html#references says: an
  // absolute reference matches a fullUrl; a relative one (Type/id) is made absolute with the
  // [root] of `fullUrl`, the fullUrl of the entry that holds the reference, when that is a
  // RESTful URL, and has no meaning in the Bundle otherwise (a urn:uuid fullUrl, none). A
  // version (/_history/v) is matched against meta.versionId.
  const core::Element* resolveInBundle(const core::Element& bundle, std::string_view ref,
                                       std::string_view fullUrl) const;

  // The [root] of a RESTful URL ([root]Type/id[/_history/version]), or nullopt.
  std::optional<std::string_view> restfulRoot(std::string_view url) const;

  // A URL with a scheme (http:, urn:...), as opposed to a relative reference (Type/id).
  static bool isAbsoluteUrl(std::string_view s);

  // The resource type Reference `e` points to, seen from `from`: the resolved target's (also
  // given in `resolved`), the one in its URL, or its `type`. Empty when none says.
  std::string targetType(const core::Element& e, const core::Element* from,
                         const core::Element** resolved = nullptr) const;

  // The type profile `url` constrains ("Patient" for a profile of Patient), empty when unknown.
  std::string typeOfProfile(const std::string& url) const;

  // Checks Reference `e` (where the walk is) against its definition `node`.
  void check(const core::Element& e, const ElementNode& node, bool profile) const;

 private:
  void checkRelativeType(const core::Element& e, std::string_view ref) const;
  void checkAggregation(const core::Element& e, const ElementNode& node, std::string_view ref,
                        const core::Element* target) const;
  void checkTargets(const core::Element& e, const ElementNode& node, std::string_view ref,
                    const std::string& targetType, const core::Element* target) const;

  // A Bundle's entries by fullUrl (their resources, in order), built on the first lookup in
  // that Bundle, so that resolving is linear in the number of references, not their product
  // with the number of entries.
  using FullUrlIndex = std::unordered_map<std::string_view, std::vector<const core::Element*>>;
  const FullUrlIndex& entriesByFullUrl(const core::Element& bundle) const;

  const Definitions& defs_;
  const ValidatorOptions& options_;
  Reporter& rep_;
  const WalkState& state_;
  ProfileMatch& match_;
  mutable std::unordered_map<const core::Element*, FullUrlIndex> bundles_;
};

}  // namespace trialbridge::validation
