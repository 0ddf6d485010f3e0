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
  // The same finding reached through the base and a profile (or two profiles) is kept once.
  std::unordered_set<std::string> seen;
  for (core::Issue& i : found.items()) {
    std::string key;
    key.reserve(i.location.size() + i.message.size() + 4);
    key += static_cast<char>('0' + static_cast<int>(i.severity));
    key += i.location;
    key += '\x1f';
    key += i.message;
    if (seen.insert(std::move(key)).second) issues.add(std::move(i));
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
