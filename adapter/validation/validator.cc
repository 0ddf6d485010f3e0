#include "validation/validator.h"

#include <unordered_set>

#include "core/resource_io.h"
#include "validation/definitions.h"
#include "validation/walk.h"

namespace trialbridge::validation {

struct Validator::Impl : Definitions {
  using Definitions::Definitions;
};

Validator::Validator(const conformance::Context& context, ValidatorOptions options)
    : context_(context),
      options_(options),
      impl_(std::make_unique<Impl>(context, options.invariants)) {}
Validator::~Validator() = default;

const conformance::Terminology& Validator::terminology() const { return impl_->terminology(); }
const conformance::Snapshots& Validator::snapshots() const { return impl_->snapshots(); }

void Validator::validate(const core::Element& resource, core::Issues& issues,
                         std::span<const std::string> profiles) const {
  core::Issues found;
  Walk walk(options_, *impl_, found, &issues);
  walk.validateRoot(resource, profiles);
  // The same finding reached through the base and a profile (or two profiles) is kept once:
  // first which to keep (compared where they are), then they are moved.
  struct Same {
    bool operator()(const core::Issue* a, const core::Issue* b) const {
      return a->severity == b->severity && a->location == b->location && a->message == b->message;
    }
  };
  struct Hash {
    size_t operator()(const core::Issue* i) const {
      return std::hash<std::string_view>{}(i->location) * 31 +
             std::hash<std::string_view>{}(i->message) + static_cast<size_t>(i->severity);
    }
  };
  std::vector<core::Issue>& items = found.items();
  std::unordered_set<const core::Issue*, Hash, Same> seen;
  seen.reserve(items.size());
  std::vector<bool> keep(items.size(), false);
  for (size_t k = 0; k < items.size(); ++k) keep[k] = seen.insert(&items[k]).second;
  for (size_t k = 0; k < items.size(); ++k) {
    if (keep[k]) issues.add(std::move(items[k]));
  }
}

void Validator::validateText(std::string_view text, core::Issues& issues,
                             std::span<const std::string> profiles) const {
  core::ReadOptions read;
  read.allowComments = options_.allowJsonComments;
  auto doc = core::readResource(text, context_, issues, read);
  if (doc == nullptr || doc->root() == nullptr) return;
  validate(*doc->root(), issues, profiles);
}

}  // namespace trialbridge::validation
