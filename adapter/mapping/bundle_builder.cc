#include "mapping/bundle_builder.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "conformance/profiles.h"

namespace trialbridge::mapping {

using study::Coding;
using study::Concept;
namespace profiles = conformance::profiles;

core::TypeInfo::JsonMatch ResourceBuilder::lookup(const core::TypeInfo& type,
                                                  std::string_view jsonName) {
  const size_t h = (reinterpret_cast<uintptr_t>(&type) >> 4) * 31 +
                   (reinterpret_cast<uintptr_t>(jsonName.data()) >> 1) + jsonName.size();
  CacheEntry& e = cache_[h % kCacheSize];
  if (e.type == &type && e.name == jsonName) return e.match;
  e.type = &type;
  e.name.assign(jsonName);
  e.match = type.propertyForJsonName(jsonName);
  return e.match;
}

core::Element* ResourceBuilder::add(core::Element* parent, std::string_view jsonName) {
  const core::TypeInfo::JsonMatch m = lookup(parent->type(), jsonName);
  core::Element* e = nullptr;
  if (m.property != nullptr && m.type != nullptr) {
    e = doc_.create(m.property->name, *m.type, m.property);
    doc_.appendChildOrdered(parent, e);
  }
  if (e == nullptr) {
    throw std::logic_error("mapping: " + std::string(parent->type().name) + " has no element " +
                           std::string(jsonName));
  }
  return e;
}

core::Element* ResourceBuilder::primitive(core::Element* parent, std::string_view jsonName,
                                          std::string_view value) {
  if (value.empty()) return nullptr;
  core::Element* e = add(parent, jsonName);
  doc_.setValue(e, value);
  return e;
}

core::Element* ResourceBuilder::coding(core::Element* parent, std::string_view jsonName,
                                       std::string_view system, std::string_view code,
                                       std::string_view display, std::string_view version) {
  core::Element* c = add(parent, jsonName);
  primitive(c, "system", system);
  primitive(c, "version", version);
  primitive(c, "code", code);
  primitive(c, "display", display);
  return c;
}

core::Element* ResourceBuilder::codeable(core::Element* parent, std::string_view jsonName,
                                         std::string_view system, std::string_view code,
                                         std::string_view display, std::string_view text) {
  core::Element* cc = add(parent, jsonName);
  coding(cc, "coding", system, code, display);
  primitive(cc, "text", text);
  return cc;
}

core::Element* ResourceBuilder::codeableConcept(core::Element* parent, std::string_view jsonName,
                                                const Concept& c) {
  core::Element* cc = add(parent, jsonName);
  for (const Coding& k : c.codes) coding(cc, "coding", k.system, k.code, k.display, k.version);
  primitive(cc, "text", c.text);
  return cc;
}

core::Element* ResourceBuilder::reference(core::Element* parent, std::string_view jsonName,
                                          std::string_view ref, std::string_view display) {
  core::Element* r = add(parent, jsonName);
  primitive(r, "reference", ref);
  primitive(r, "display", display);
  return r;
}

core::Element* ResourceBuilder::quantity(core::Element* parent, std::string_view jsonName,
                                         std::string_view value, std::string_view unit,
                                         std::string_view code, std::string_view system,
                                         std::string_view comparator) {
  core::Element* q = add(parent, jsonName);
  primitive(q, "value", value);
  primitive(q, "comparator", comparator);
  primitive(q, "unit", unit);
  if (!code.empty()) {
    primitive(q, "system", system);
    primitive(q, "code", code);
  }
  return q;
}

core::Element* ResourceBuilder::extension(core::Element* parent, std::string_view url) {
  core::Element* x = add(parent, "extension");
  primitive(x, "url", url);
  return x;
}

void ResourceBuilder::narrative(core::Element* resource, std::string_view text) {
  std::string div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">";
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    div += "<p>";
    for (char c : text.substr(pos, eol - pos)) {
      switch (c) {
        case '<': div += "&lt;"; break;
        case '>': div += "&gt;"; break;
        case '&': div += "&amp;"; break;
        default: div += c;
      }
    }
    div += "</p>";
    pos = eol + 1;
  }
  div += "</div>";
  core::Element* t = add(resource, "text");
  primitive(t, "status", "generated");
  primitive(t, "div", div);
}

TransactionBuilder::TransactionBuilder(const core::TypeResolver& types, std::string fullUrlBase)
    : doc_(std::make_unique<core::Document>(types)),
      builder_(*doc_),
      base_(std::move(fullUrlBase)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  bundle_ = doc_->createResource("Bundle");
  if (bundle_ == nullptr) throw std::logic_error("mapping: the type resolver does not know Bundle");
  core::Element* meta = builder_.add(bundle_, "meta");
  builder_.primitive(meta, "profile", profiles::kTransactionBundle);
  builder_.primitive(bundle_, "type", "transaction");
}

core::Element* TransactionBuilder::addResource(std::string_view type, std::string_view id,
                                               std::string_view profile) {
  core::Element* entry = builder_.add(bundle_, "entry");
  const std::string local = std::string(type) + "/" + std::string(id);
  builder_.primitive(entry, "fullUrl", base_ + "/" + local);
  core::Element* resource = doc_->addResource(entry, "resource", type);
  if (resource == nullptr) {
    throw std::logic_error("mapping: unknown resource type " + std::string(type));
  }
  builder_.primitive(resource, "id", id);
  if (!profile.empty()) builder_.primitive(builder_.add(resource, "meta"), "profile", profile);
  core::Element* request = builder_.add(entry, "request");
  builder_.primitive(request, "method", "PUT");
  builder_.primitive(request, "url", local);
  return resource;
}

std::string deterministicId(std::string_view prefix,
                            std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view p : parts) {
    text.append(p);
    text += '\x1f';
  }
  // Fetched once: EVP_sha256() would look the algorithm up in the provider for every id.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, sha256, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  id += '-';
  for (unsigned int i = 0; i < 12 && i < length; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0x0f];
  }
  return id;
}

}  // namespace trialbridge::mapping
