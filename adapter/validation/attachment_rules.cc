// Rules of attachments and binary content (http://hl7.org/fhir/R4/datatypes.html#Attachment):
// an Attachment's size and hash agree with its data, and one with no data and no url says what
// it is; base64Binary values hold no white space (RFC 4648); the maxSize extension of a profile
// limits either.
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "core/text.h"
#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

using core::isSpace;

namespace {

using core::Element;
using core::IssueType;

// The number of bytes base64 text decodes to (white space ignored), without decoding it.
size_t decodedSize(std::string_view b64) {
  size_t chars = 0;
  size_t pad = 0;
  for (char c : b64) {
    if (isSpace(c)) continue;
    ++chars;
    if (c == '=') ++pad;
  }
  return chars / 4 * 3 - std::min<size_t>(pad, 2);
}

// The maxSize extension of a definition: the content is not larger.
void checkMaxSize(const ElementAt& at, size_t bytes, RuleContext& ctx) {
  if (at.node.maxSize == 0 || bytes <= at.node.maxSize) return;
  ctx.reporter.error(IssueType::TooLong, &at.element,
                     "The content is " + std::to_string(bytes) +
                         " bytes, which exceeds the limit of " + std::to_string(at.node.maxSize) +
                         " bytes stated by " + at.model.label());
}

void checkAttachment(const ElementAt& at, RuleContext& ctx) {
  const Element& att = at.element;
  if (const Element* data = att.child("data"); data != nullptr && data->hasValue()) {
    checkMaxSize(at, decodedSize(data->value()), ctx);
  }
  if (at.profile) return;  // the base pass checks each Attachment once
  Reporter& rep = ctx.reporter;
  const Element* data = att.child("data");
  if (data == nullptr && att.child("url") == nullptr && att.child("contentType") == nullptr &&
      att.child("language") == nullptr) {
    rep.warning(IssueType::Invalid, &att,
                "An attachment with no data and no url should say what it is (contentType or "
                "language)");
  }
  if (data == nullptr || !data->hasValue()) return;
  if (const Element* size = att.child("size"); size != nullptr && size->hasValue()) {
    uint64_t stated = 0;
    const std::string_view text = size->value();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), stated);
    const size_t actual = decodedSize(data->value());
    if (ec == std::errc() && end == text.data() + text.size() && stated != actual) {
      Reporter::Scope s(rep, *size);
      rep.error(IssueType::Invalid, size,
                "The attachment's size is " + std::string(text) + ", but its data is " +
                    std::to_string(actual) + " bytes");
    }
  }
  if (const Element* hash = att.child("hash"); hash != nullptr && hash->hasValue()) {
    const auto bytes = core::base64Decode(data->value());
    if (!bytes) return;  // not base64: the primitive's own rule says so
    Poco::SHA1Engine sha1;
    sha1.update(bytes->data(), bytes->size());
    const Poco::DigestEngine::Digest& d = sha1.digest();
    const std::string actual =
        core::base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    const auto stated = core::base64Decode(hash->value());
    if (!stated || core::base64Encode(*stated) != actual) {
      Reporter::Scope s(rep, *hash);
      rep.error(IssueType::Invalid, hash,
                "The attachment's hash '" + std::string(hash->value()) +
                    "' is not the SHA-1 of its data ('" + actual + "')");
    }
  }
}

// White space in base64 is accepted by readers but not part of the encoding.
void checkBase64(const ElementAt& at, RuleContext& ctx) {
  if (!at.element.hasValue()) return;
  checkMaxSize(at, decodedSize(at.element.value()), ctx);
  if (at.profile) return;
  const std::string_view v = at.element.value();
  if (std::find_if(v.begin(), v.end(), isSpace) != v.end()) {
    ctx.reporter.warning(IssueType::Invalid, &at.element,
                         "Base64 encoded values should not contain any white space (RFC 4648)");
  }
}

}  // namespace

void addAttachmentRules(RuleTable& table) {
  table.addDatatypeRule("Attachment", checkAttachment);
  table.addDatatypeRule("base64Binary", checkBase64);
}

}  // namespace trialbridge::validation
