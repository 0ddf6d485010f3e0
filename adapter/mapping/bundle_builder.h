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
#include <vector>

#include "core/element.h"
#include "study/trial.h"

namespace trialbridge::mapping {

class ResourceBuilder {
 public:
  explicit ResourceBuilder(core::Document& doc) : doc_(doc), cache_(kCacheSize) {}
  core::Document& document() { return doc_; }

  core::Element* add(core::Element* parent, std::string_view jsonName);
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
  // The property a JSON name resolves to in a type, remembered: a mapper asks for the same few
  // names of the same few types over and over, and the lookup by name is the costly part of
  // adding an element. Direct-mapped on the type and the name's address; the name is compared
  // on a hit, so a name in a reused buffer cannot match wrongly.
  struct CacheEntry {
    const core::TypeInfo* type = nullptr;
    std::string name;
    core::TypeInfo::JsonMatch match;
  };
  static constexpr size_t kCacheSize = 512;
  core::TypeInfo::JsonMatch lookup(const core::TypeInfo& type, std::string_view jsonName);

  core::Document& doc_;
  std::vector<CacheEntry> cache_;
};

// A resource id made from `parts` (joined with a separator): "{prefix}-" and 24 hex digits of
// their SHA-256, so that the same source always gives the same id (a PUT updates) and the id
// tells nothing of the parts.
std::string deterministicId(std::string_view prefix, std::initializer_list<std::string_view> parts);

class TransactionBuilder {
 public:
  TransactionBuilder(const core::TypeResolver& types, std::string fullUrlBase);

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
