#include "core/element.h"

#include <cstring>
#include <new>

namespace trialbridge::core {

const Element* Element::child(std::string_view name) const {
  for (const Element* c = firstChild_; c != nullptr; c = c->nextSibling_) {
    if (c->name_ == name) return c;
  }
  return nullptr;
}

size_t Element::childCount(std::string_view name) const {
  size_t n = 0;
  for (const Element* c = firstChild_; c != nullptr; c = c->nextSibling_) n += c->name_ == name;
  return n;
}

std::string Element::jsonName() const {
  if (property_ != nullptr && property_->choice)
    return std::string(name_) + choiceSuffix(type_->name);
  return std::string(name_);
}

std::string Element::path() const {
  if (parent_ == nullptr) return std::string(name_);
  std::string p = parent_->path();
  p += '.';
  p += name_;
  if (property_ != nullptr && property_->repeating()) {
    p += '[';
    p += std::to_string(index_);
    p += ']';
  }
  return p;
}

const Element* Element::resource() const {
  const Element* e = this;
  while (e != nullptr && !e->isResource()) e = e->parent_;
  return e;
}

Document::Document(const TypeResolver& types) : types_(&types) {}

Element* Document::create(std::string_view name, const TypeInfo& type,
                          const PropertyInfo* property) {
  void* mem = arena_.allocate(sizeof(Element), alignof(Element));
  auto* e = new (mem) Element();
  e->name_ = name;
  e->type_ = &type;
  e->property_ = property;
  return e;
}

void Document::appendChild(Element* parent, Element* child) {
  child->parent_ = parent;
  Element* last = parent->lastChild_;
  if (last == nullptr) {
    parent->firstChild_ = child;
  } else {
    last->nextSibling_ = child;
    if (last->name_ == child->name_) child->index_ = last->index_ + 1;
  }
  parent->lastChild_ = child;
}

void Document::appendChildOrdered(Element* parent, Element* child) {
  const uint16_t order = child->property_ != nullptr ? child->property_->order : 0;
  auto orderOf = [](const Element* e) { return e->property_ != nullptr ? e->property_->order : 0; };
  Element* last = parent->lastChild_;
  if (last == nullptr || orderOf(last) <= order) {
    appendChild(parent, child);
    return;
  }
  child->parent_ = parent;
  Element* prev = nullptr;
  Element* cur = parent->firstChild_;
  while (cur != nullptr && orderOf(cur) <= order) {
    prev = cur;
    cur = cur->nextSibling_;
  }
  child->nextSibling_ = cur;
  if (prev == nullptr) {
    parent->firstChild_ = child;
  } else {
    prev->nextSibling_ = child;
    if (prev->name_ == child->name_) child->index_ = prev->index_ + 1;
  }
}

void Document::removeLastChild(Element* parent) {
  Element* last = parent->lastChild_;
  if (last == nullptr) return;
  Element* prev = nullptr;
  for (Element* c = parent->firstChild_; c != last; c = c->nextSibling_) prev = c;
  if (prev == nullptr) {
    parent->firstChild_ = nullptr;
  } else {
    prev->nextSibling_ = nullptr;
  }
  parent->lastChild_ = prev;
  last->parent_ = nullptr;
}

void Document::setValue(Element* element, std::string_view value) {
  element->value_ = intern(value);
  element->hasValue_ = true;
}

void Document::setPosition(Element* element, uint32_t line, uint32_t column) {
  element->line_ = line;
  element->column_ = column;
}

std::string_view Document::intern(std::string_view text) {
  if (text.empty()) return {};
  char* mem = static_cast<char*>(arena_.allocate(text.size(), 1));
  std::memcpy(mem, text.data(), text.size());
  return {mem, text.size()};
}

Element* Document::add(Element* parent, std::string_view jsonName) {
  TypeInfo::JsonMatch m = parent->type().propertyForJsonName(jsonName);
  if (m.property == nullptr || m.type == nullptr) return nullptr;
  Element* e = create(m.property->name, *m.type, m.property);
  appendChildOrdered(parent, e);
  return e;
}

Element* Document::addPrimitive(Element* parent, std::string_view jsonName,
                                std::string_view value) {
  Element* e = add(parent, jsonName);
  if (e != nullptr) setValue(e, value);
  return e;
}

Element* Document::createResource(std::string_view resourceType) {
  const TypeInfo* t = types_->findType(resourceType);
  if (t == nullptr || !t->isResource() || t->isAbstract) return nullptr;
  Element* e = create(t->name, *t, nullptr);
  if (root_ == nullptr) root_ = e;
  return e;
}

Element* Document::addResource(Element* parent, std::string_view jsonName,
                               std::string_view resourceType) {
  TypeInfo::JsonMatch m = parent->type().propertyForJsonName(jsonName);
  const TypeInfo* t = types_->findType(resourceType);
  if (m.property == nullptr || t == nullptr || !t->isResource() || t->isAbstract) return nullptr;
  Element* e = create(m.property->name, *t, m.property);
  appendChildOrdered(parent, e);
  return e;
}

Element* copyElement(Document& dst, Element* parent, const Element& src) {
  Element* e = dst.create(dst.intern(src.name()), src.type(), src.property());
  if (src.hasValue()) dst.setValue(e, src.value());
  if (src.line() != 0) dst.setPosition(e, src.line(), src.column());
  if (parent != nullptr) dst.appendChild(parent, e);
  for (const Element* c = src.firstChild(); c != nullptr; c = c->nextSibling()) {
    copyElement(dst, e, *c);
  }
  return e;
}

std::unique_ptr<Document> copyResource(const Element& resource, const TypeResolver& types) {
  auto doc = std::make_unique<Document>(types);
  Element* root = doc->create(resource.type().name, resource.type(), nullptr);
  if (resource.line() != 0) doc->setPosition(root, resource.line(), resource.column());
  doc->setRoot(root);
  for (const Element* c = resource.firstChild(); c != nullptr; c = c->nextSibling()) {
    copyElement(*doc, root, *c);
  }
  return doc;
}

}  // namespace trialbridge::core
