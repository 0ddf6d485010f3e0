#pragma once
// Slicing: which slice of a sliced element each of its items is, by the discriminators of the
// slicing (value, pattern, exists, type, profile; paths through extension('url'), resolve() and
// ofType()), or by an extension's URL; and the rules of the slicing: each slice's cardinality,
// closed (no item outside the slices), ordered, openAtEnd. Re-slices are matched with the rules
// of the slicing they refine. The walk validates each item against its slice afterwards.
#include <string_view>
#include <vector>

#include "conformance/structure_definition.h"
#include "core/element.h"
#include "validation/check_util.h"
#include "validation/definitions.h"
#include "validation/references.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"

namespace trialbridge::validation {

class Slicing {
 public:
  Slicing(const Definitions& definitions, const References& references, Reporter& reporter,
          const WalkState& state, ProfileMatch& match)
      : defs_(definitions), refs_(references), rep_(reporter), state_(state), match_(match) {}

  // Assigns each of `items` (children of `parent` that element `sliced` of model `m` takes) to
  // the first of `sliced`'s slices it matches (nullptr: none), and reports what breaks the
  // slicing's rules. The result is in the order of `items`.
  std::vector<const ElementNode*> assign(const core::Element& parent, const ElementNode& sliced,
                                         const std::vector<const core::Element*>& items,
                                         const StructureModel& m);

 private:
  void checkCounts(const core::Element& parent, const ElementNode& sliced,
                   const std::vector<size_t>& counts, const StructureModel& m);
  void checkOrder(const ElementNode& sliced, const std::vector<const core::Element*>& items,
                  const std::vector<const ElementNode*>& assigned, const StructureModel& m);
  bool matches(const core::Element& item, const ElementNode& slice, const ElementNode& sliced,
               const StructureModel& m);
  bool discriminatorMatches(const core::Element& item, const ElementNode& slice,
                            const conformance::Discriminator& d, const StructureModel& m);
  bool valueMatches(const std::vector<const core::Element*>& values, const ElementNode* target);
  bool typeMatches(const std::vector<const core::Element*>& values, const ElementNode* target,
                   const StructureModel& dm);
  bool profileMatches(const std::vector<const core::Element*>& values, const ElementNode* target);
  std::vector<const core::Element*> select(const core::Element& e, std::string_view path) const;
  const ElementNode* defAt(const ElementNode& node, std::string_view path,
                           const StructureModel*& model) const;
  const ElementNode* extensionDefAt(const std::vector<const ElementNode*>& kids,
                                    std::string_view url, const StructureModel*& model) const;

  const Definitions& defs_;
  const References& refs_;
  Reporter& rep_;
  const WalkState& state_;
  ProfileMatch& match_;
};

}  // namespace trialbridge::validation
