#pragma once
// Building FHIR resources in the element model, and the transaction Bundle that holds them.
//
// ResourceBuilder wraps core::Document's builder calls with the shapes the mappers use again and
// again (codings, references, extensions, narratives). An element name the type does not have is
// a programming error (std::logic_error), caught by the tests.
//
// TransactionBuilder makes a Bundle of type transaction whose entries PUT each resource at
// {type}/{id}, so that mapping the same trial twice updates rather than duplicates; fullUrl is
// {base}/{type}/{id} and references between the resources are relative ({type}/{id}).
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/element.h"
#include "study/trial.h"

namespace trialbridge::mapping {

// What builders remember of the type model between calls: the property a JSON name resolves to
// in a type (a mapper asks for the same few names of the same few types over and over, and the
// lookup by name is the costly part of adding an element), and resource types by name. Valid
// while the TypeResolver it was used with lives, and for that one resolver only; not
// thread-safe: one builder at a time uses it. A mapper that builds many Bundles keeps one
// between them (V2Mapper keeps one per thread that maps), so that each Bundle starts warm.
class TypeCache {
 public:
  TypeCache() : entries_(kSize) {}
  core::TypeInfo::JsonMatch property(const core::TypeInfo& type, std::string_view jsonName);
  // A concrete resource type, or nullptr for an unknown or abstract one.
  const core::TypeInfo* resourceType(const core::TypeResolver& types, std::string_view name);

 private:
  // Direct-mapped on the type and the name's address; the name is compared on a hit, so a name
  // in a reused buffer cannot match wrongly.
  struct Entry {
    const core::TypeInfo* type = nullptr;
    std::string name;
    core::TypeInfo::JsonMatch match;
  };
  static constexpr size_t kSize = 512;
  std::vector<Entry> entries_;
  std::vector<std::pair<std::string, const core::TypeInfo*>> resources_;
};

class ResourceBuilder {
 public:
  // `cache`, when given, is used (and must outlive the builder) instead of one of its own.
  explicit ResourceBuilder(core::Document& doc, TypeCache* cache = nullptr)
      : doc_(doc),
        own_(cache != nullptr ? nullptr : std::make_unique<TypeCache>()),
        cache_(cache != nullptr ? cache : own_.get()) {}
  ResourceBuilder(const ResourceBuilder&) = delete;
  ResourceBuilder& operator=(const ResourceBuilder&) = delete;
  core::Document& document() { return doc_; }
  TypeCache& cache() { return *cache_; }

  core::Element* add(core::Element* parent, std::string_view jsonName);
  // Adds a child of a given type: a resource (Bundle.entry.resource, contained) under a property
  // whose type is Resource.
  core::Element* add(core::Element* parent, std::string_view jsonName, const core::TypeInfo& type);
  // Adds a primitive; nothing when value is empty (returns nullptr then).
  core::Element* primitive(core::Element* parent, std::string_view jsonName,
                           std::string_view value);
  core::Element* coding(core::Element* parent, std::string_view jsonName, std::string_view system,
                        std::string_view code, std::string_view display = {},
                        std::string_view version = {});
  // A CodeableConcept with one coding (and text when given).
  core::Element* codeable(core::Element* parent, std::string_view jsonName, std::string_view system,
                          std::string_view code, std::string_view display = {},
                          std::string_view text = {});
  core::Element* codeableConcept(core::Element* parent, std::string_view jsonName,
                                 const study::Concept& c);
  core::Element* reference(core::Element* parent, std::string_view jsonName, std::string_view ref,
                           std::string_view display = {});
  // A Quantity-like element (Quantity, Duration, Age) with a UCUM (or other) unit.
  core::Element* quantity(core::Element* parent, std::string_view jsonName, std::string_view value,
                          std::string_view unit, std::string_view code,
                          std::string_view system = "http://unitsofmeasure.org",
                          std::string_view comparator = {});
  core::Element* extension(core::Element* parent, std::string_view url);
  // A generated narrative: div with one paragraph per line of text (escaped).
  void narrative(core::Element* resource, std::string_view text);

 private:
  core::Document& doc_;
  std::unique_ptr<TypeCache> own_;
  TypeCache* cache_;
};

// A resource id made from `parts` (joined with a separator): "{prefix}-" and 24 hex digits of
// their SHA-256, so that the same source always gives the same id (a PUT updates) and the id
// tells nothing of the parts.
std::string deterministicId(std::string_view prefix, std::initializer_list<std::string_view> parts);

class TransactionBuilder {
 public:
  // `cache`: as ResourceBuilder's.
  TransactionBuilder(const core::TypeResolver& types, std::string fullUrlBase,
                     TypeCache* cache = nullptr);

  // A new entry; the resource gets id and meta.profile (none when `profile` is empty).
  core::Element* addResource(std::string_view type, std::string_view id, std::string_view profile);
  ResourceBuilder& builder() { return builder_; }
  core::Document& document() { return *doc_; }
  std::unique_ptr<core::Document> release() { return std::move(doc_); }

 private:
  std::unique_ptr<core::Document> doc_;
  ResourceBuilder builder_;
  core::Element* bundle_ = nullptr;
  std::string base_;
};

}  // namespace trialbridge::mapping
