#include "mapping/bundle_builder.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "conformance/profiles.h"

namespace trialbridge::mapping {

using study::Coding;
using study::Concept;
namespace profiles = conformance::profiles;

namespace {

uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// a[0, n) == b[0, n) for the short names of elements: up to 16 bytes by two (overlapping) word
// loads each, without a call; reads only inside both ranges.
bool equalName(const char* a, const char* b, size_t n) {
  if (n >= 8 && n <= 16) {
    return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
  }
  if (n >= 4 && n < 8) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

core::TypeInfo::JsonMatch TypeCache::property(const core::TypeInfo& type,
                                              std::string_view jsonName) {
  const size_t h = (reinterpret_cast<uintptr_t>(&type) >> 4) * 31 +
                   (reinterpret_cast<uintptr_t>(jsonName.data()) >> 1) + jsonName.size();
  Entry& e = entries_[h % kSize];
  if (e.type == &type && e.name.size() == jsonName.size() &&
      equalName(e.name.data(), jsonName.data(), jsonName.size())) {
    return e.match;
  }
  e.type = &type;
  e.name.assign(jsonName);
  e.match = type.propertyForJsonName(jsonName);
  return e.match;
}

const core::TypeInfo* TypeCache::resourceType(const core::TypeResolver& types,
                                              std::string_view name) {
  for (const auto& [known, info] : resources_) {
    if (known == name) return info;
  }
  const core::TypeInfo* t = types.findType(name);
  if (t != nullptr && (!t->isResource() || t->isAbstract)) t = nullptr;
  resources_.emplace_back(std::string(name), t);
  return t;
}

core::Element* ResourceBuilder::add(core::Element* parent, std::string_view jsonName) {
  const core::TypeInfo::JsonMatch m = cache_->property(parent->type(), jsonName);
  if (m.property == nullptr || m.type == nullptr) {
    throw std::logic_error("mapping: " + std::string(parent->type().name) + " has no element " +
                           std::string(jsonName));
  }
  core::Element* e = doc_.create(m.property->name, *m.type, m.property);
  doc_.appendChildOrdered(parent, e);
  return e;
}

core::Element* ResourceBuilder::add(core::Element* parent, std::string_view jsonName,
                                    const core::TypeInfo& type) {
  const core::TypeInfo::JsonMatch m = cache_->property(parent->type(), jsonName);
  if (m.property == nullptr) {
    throw std::logic_error("mapping: " + std::string(parent->type().name) + " has no element " +
                           std::string(jsonName));
  }
  core::Element* e = doc_.create(m.property->name, type, m.property);
  doc_.appendChildOrdered(parent, e);
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

TransactionBuilder::TransactionBuilder(const core::TypeResolver& types, std::string fullUrlBase,
                                       TypeCache* cache)
    : doc_(std::make_unique<core::Document>(types)),
      builder_(*doc_, cache),
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
  const core::TypeInfo* resourceType = builder_.cache().resourceType(doc_->types(), type);
  if (resourceType == nullptr) {
    throw std::logic_error("mapping: unknown resource type " + std::string(type));
  }
  core::Element* entry = builder_.add(bundle_, "entry");
  // fullUrl is {base}/{type}/{id}, request.url its last part.
  std::string fullUrl;
  fullUrl.reserve(base_.size() + type.size() + id.size() + 2);
  fullUrl.append(base_).append(1, '/').append(type).append(1, '/').append(id);
  builder_.primitive(entry, "fullUrl", fullUrl);
  core::Element* resource = builder_.add(entry, "resource", *resourceType);
  builder_.primitive(resource, "id", id);
  if (!profile.empty()) builder_.primitive(builder_.add(resource, "meta"), "profile", profile);
  core::Element* request = builder_.add(entry, "request");
  builder_.primitive(request, "method", "PUT");
  builder_.primitive(request, "url", std::string_view(fullUrl).substr(base_.size() + 1));
  return resource;
}

namespace {

// SHA-256 of text, through one digest context per thread: making and freeing a context for each
// id cost as much as the hash of a short text. Falls back to EVP_Digest when a context cannot be
// had.
bool sha256(std::string_view text, unsigned char* digest, unsigned int* length) {
  // Fetched once: EVP_sha256() would look the algorithm up in the provider for every id.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  if (context.ctx != nullptr && EVP_DigestInit_ex2(context.ctx, kSha256, nullptr) == 1 &&
      EVP_DigestUpdate(context.ctx, text.data(), text.size()) == 1 &&
      EVP_DigestFinal_ex(context.ctx, digest, length) == 1) {
    return true;
  }
  return EVP_Digest(text.data(), text.size(), digest, length, kSha256, nullptr) == 1;
}

}  // namespace

std::string deterministicId(std::string_view prefix,
                            std::initializer_list<std::string_view> parts) {
  // The hashed text: each part followed by a unit separator (0x1F); on the stack when it fits.
  size_t size = 0;
  for (std::string_view p : parts) size += p.size() + 1;
  char stack[256];
  std::string heap;
  char* text = stack;
  if (size > sizeof stack) {
    heap.resize(size);
    text = heap.data();
  }
  char* out = text;
  for (std::string_view p : parts) {
    if (!p.empty()) std::memcpy(out, p.data(), p.size());
    out += p.size();
    *out++ = '\x1f';
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!sha256(std::string_view(text, size), digest, &length)) length = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(prefix.size() + 25);
  id.append(prefix);
  id += '-';
  for (unsigned int i = 0; i < 12 && i < length; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0x0f];
  }
  return id;
}

}  // namespace trialbridge::mapping
