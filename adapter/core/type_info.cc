#include "core/type_info.h"

#include <cctype>

namespace trialbridge::core {

void PropertyInfo::bind(const TypeResolver* resolver) {
  resolver_ = resolver;
  resolved_ = std::shared_ptr<std::atomic<const TypeInfo*>[]>(
      new std::atomic<const TypeInfo*>[typeCodes.size()]);
  for (size_t i = 0; i < typeCodes.size(); ++i) resolved_[i].store(nullptr);
}

const TypeInfo* PropertyInfo::type(size_t i) const {
  if (i >= typeCodes.size() || !resolved_) return nullptr;
  const TypeInfo* t = resolved_[i].load(std::memory_order_acquire);
  if (t == nullptr && resolver_ != nullptr) {
    t = resolver_->findType(typeCodes[i]);
    resolved_[i].store(t, std::memory_order_release);
  }
  return t;
}

const TypeInfo* PropertyInfo::choiceType(std::string_view suffix) const {
  for (size_t i = 0; i < typeCodes.size(); ++i) {
    const std::string& code = typeCodes[i];
    if (code.size() == suffix.size() && !code.empty() &&
        std::toupper(static_cast<unsigned char>(code[0])) == suffix[0] &&
        std::string_view(code).substr(1) == suffix.substr(1)) {
      return type(i);
    }
  }
  return nullptr;
}

const PropertyInfo* TypeInfo::property(std::string_view elementName) const {
  auto it = byName_.find(elementName);
  return it == byName_.end() ? nullptr : &properties[it->second];
}

TypeInfo::JsonMatch TypeInfo::propertyForJsonName(std::string_view jsonName) const {
  if (auto it = byName_.find(jsonName); it != byName_.end()) {
    const PropertyInfo& p = properties[it->second];
    if (!p.choice) return {&p, p.type(0)};
  }
  // A choice element: the longest property-name prefix that is a choice and whose suffix names
  // one of its types ("valueQuantity" -> value + Quantity).
  for (size_t len = jsonName.size() - (jsonName.empty() ? 0 : 1); len > 0; --len) {
    if (!std::isupper(static_cast<unsigned char>(jsonName[len]))) continue;
    auto it = byName_.find(jsonName.substr(0, len));
    if (it == byName_.end()) continue;
    const PropertyInfo& p = properties[it->second];
    if (!p.choice) continue;
    if (const TypeInfo* t = p.choiceType(jsonName.substr(len))) return {&p, t};
  }
  return {};
}

void TypeInfo::index() {
  byName_.clear();
  for (size_t i = 0; i < properties.size(); ++i) {
    properties[i].order = static_cast<uint16_t>(i);
    byName_.emplace(properties[i].name, static_cast<uint16_t>(i));
  }
}

std::string choiceSuffix(std::string_view typeName) {
  std::string s(typeName);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace trialbridge::core
