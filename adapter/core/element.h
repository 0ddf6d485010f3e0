#pragma once
// The FHIR element model shared by every layer: FHIRPath, validation, mapping and the store.
//
// A Document owns a tree of Elements in an arena. Each Element knows its name (the element name
// of the definition: "value" for valueQuantity), its type (TypeInfo, from the
// StructureDefinitions), the property that defines it inside its parent, and for primitives the
// value exactly as written in the source (decimals keep their text: 1.50 stays 1.50). Children are
// kept in definition order, so JSON and XML writers and FHIRPath see the same order whatever the
// input's order. A primitive's id and extensions are ordinary children named "id" and "extension".
//
// Elements are immutable once the reader has built them, except through Document's builder calls.
// A Document is not thread-safe for writing; reading from several threads is safe.
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>

#include "core/type_info.h"

namespace trialbridge::core {

class Document;

class Element {
 public:
  std::string_view name() const { return name_; }
  const TypeInfo& type() const { return *type_; }
  const PropertyInfo* property() const { return property_; }  // nullptr for a root
  bool isPrimitive() const { return type_->isPrimitive(); }
  bool isResource() const { return type_->isResource(); }

  bool hasValue() const { return hasValue_; }
  std::string_view value() const { return value_; }

  const Element* parent() const { return parent_; }
  const Element* firstChild() const { return firstChild_; }
  const Element* nextSibling() const { return nextSibling_; }
  Element* firstChild() { return firstChild_; }
  Element* nextSibling() { return nextSibling_; }
  bool hasChildren() const { return firstChild_ != nullptr; }

  // The first child with this element name, or nullptr.
  const Element* child(std::string_view name) const;
  // Calls f(const Element&) for each child with this element name, in order.
  template <typename F>
  void forEachChild(std::string_view name, F&& f) const {
    for (const Element* c = firstChild_; c != nullptr; c = c->nextSibling_) {
      if (c->name_ == name) f(*c);
    }
  }
  size_t childCount(std::string_view name) const;

  // Position among the siblings of the same name (0 for non-repeating elements).
  uint32_t index() const { return index_; }
  // Source position (1-based); 0 when the element was not read from text.
  uint32_t line() const { return line_; }
  uint32_t column() const { return column_; }

  // The JSON property name: "valueQuantity" for a choice, else the element name.
  std::string jsonName() const;
  // FHIRPath location, e.g. "Patient.name[0].given[1]" (indexes on repeating elements only);
  // a resource inside another is written as its parent's path (Bundle.entry[0].resource).
  std::string path() const;
  // The resource this element belongs to (the nearest resource ancestor or self).
  const Element* resource() const;

 private:
  friend class Document;
  Element() = default;

  std::string_view name_;
  std::string_view value_;
  const TypeInfo* type_ = nullptr;
  const PropertyInfo* property_ = nullptr;
  Element* parent_ = nullptr;
  Element* firstChild_ = nullptr;
  Element* lastChild_ = nullptr;
  Element* nextSibling_ = nullptr;
  uint32_t index_ = 0;
  uint32_t line_ = 0;
  uint32_t column_ = 0;
  bool hasValue_ = false;
};

class Document {
 public:
  explicit Document(const TypeResolver& types);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  const TypeResolver& types() const { return *types_; }
  const Element* root() const { return root_; }
  Element* root() { return root_; }
  void setRoot(Element* root) { root_ = root; }

  // Builder calls. Strings are copied into the document's arena.
  Element* create(std::string_view name, const TypeInfo& type, const PropertyInfo* property);
  // Appends child under parent. Children must be appended in definition order (the readers
  // sort; appendChildOrdered() inserts at the right place for callers that do not).
  void appendChild(Element* parent, Element* child);
  void appendChildOrdered(Element* parent, Element* child);
  // Unlinks parent's last child (a reader drops an element whose every part was rejected).
  void removeLastChild(Element* parent);
  void setValue(Element* element, std::string_view value);
  void setPosition(Element* element, uint32_t line, uint32_t column);
  std::string_view intern(std::string_view text);

  // Convenience for code that builds resources: adds a child named `name` (a JSON name such as
  // "valueQuantity" selects the choice type) and returns it, or nullptr if the parent's type has
  // no such element.
  Element* add(Element* parent, std::string_view jsonName);
  Element* addPrimitive(Element* parent, std::string_view jsonName, std::string_view value);
  // A new root resource of this type, or nullptr if the type is unknown.
  Element* createResource(std::string_view resourceType);
  // A resource of this type as the child `jsonName` of parent (Bundle.entry.resource,
  // contained), or nullptr if either is unknown.
  Element* addResource(Element* parent, std::string_view jsonName, std::string_view resourceType);

  // Where the document was read from (file name), for messages.
  const std::string& source() const { return source_; }
  void setSource(std::string source) { source_ = std::move(source); }

 private:
  const TypeResolver* types_;
  std::pmr::monotonic_buffer_resource arena_;
  Element* root_ = nullptr;
  std::string source_;
};

// Deep copies, for moving a part of one document into another without writing it as text and
// reading it again. copyElement appends `src` and its subtree under `parent` of `dst` with the
// same name and property (so `parent` must be of the type that defines them); names and values
// are copied into dst's arena, source positions kept. copyResource makes a resource (a root,
// Bundle.entry.resource or a contained one) the root of a new Document over `types`.
Element* copyElement(Document& dst, Element* parent, const Element& src);
std::unique_ptr<Document> copyResource(const Element& resource, const TypeResolver& types);

}  // namespace trialbridge::core
