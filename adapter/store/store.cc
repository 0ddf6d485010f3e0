#include "store/store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>

#include "core/json.h"
#include "store/fhir_time.h"

namespace trialbridge::store {

std::string newId() {
  // A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit sequence that
  // makes ids strictly increasing within the process, then random bits. Increasing ids keep
  // index inserts at the end of the B-trees, so a group commit touches few pages.
  static std::atomic<uint64_t> last{0};
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count())
      << 12;
  uint64_t prev = last.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  thread_local std::mt19937_64 rng(std::random_device{}());
  const uint64_t rand = rng();
  const uint64_t ms = next >> 12;
  const uint64_t seq = next & 0xFFF;
  uint8_t bytes[16];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  bytes[6] = static_cast<uint8_t>(0x70 | (seq >> 8));
  bytes[7] = static_cast<uint8_t>(seq);
  bytes[8] = static_cast<uint8_t>(0x80 | ((rand >> 56) & 0x3F));
  for (int i = 9; i < 16; ++i) bytes[i] = static_cast<uint8_t>(rand >> (8 * (15 - i)));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

PreparedCreate prepareCreate(core::Document& doc) {
  PreparedCreate p;
  p.lastUpdatedMs = nowMillis();
  p.lastUpdated = formatInstant(p.lastUpdatedMs);
  core::Element* root = doc.root();
  core::Element* meta = nullptr;
  for (core::Element* c = root->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == "meta") meta = c;
  }
  if (meta == nullptr) meta = doc.add(root, "meta");
  for (const auto& [name, value] :
       {std::pair<std::string_view, std::string_view>{"versionId", "1"},
        std::pair<std::string_view, std::string_view>{"lastUpdated", p.lastUpdated}}) {
    core::Element* e = nullptr;
    for (core::Element* c = meta->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->name() == name) e = c;
    }
    if (e != nullptr) {
      doc.setValue(e, value);
    } else {
      doc.addPrimitive(meta, name, value);
    }
  }
  p.json = core::writeJson(*root);
  return p;
}

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

bool isResourceType(const core::TypeResolver& types, std::string_view type) {
  if (type.empty() || type[0] < 'A' || type[0] > 'Z') return false;
  const core::TypeInfo* t = types.findType(type);
  return t != nullptr && t->isResource() && !t->isAbstract;
}

}  // namespace trialbridge::store
