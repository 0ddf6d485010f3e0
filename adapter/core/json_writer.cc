// FHIR JSON writer: resourceType first, then the elements in definition order; primitives as
// JSON strings, numbers or booleans per type, with their id/extensions in "_name".
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/json.h"

namespace trialbridge::core {

namespace {

template <typename Writer>
class ElementWriter {
 public:
  explicit ElementWriter(Writer& w) : w_(w) {}

  void writeObject(const Element& e) {
    w_.StartObject();
    writeMembers(e);
    w_.EndObject();
  }

 private:
  void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }

  void writePrimitive(const Element& e) {
    const std::string_view v = e.value();
    switch (e.type().jsonKind) {
      case JsonKind::Number:
        if (isJsonNumberText(v)) {
          w_.RawValue(v.data(), v.size(), rapidjson::kNumberType);
          return;
        }
        break;
      case JsonKind::Boolean:
        if (v == "true" || v == "false") {
          w_.RawValue(v.data(), v.size(),
                      v == "true" ? rapidjson::kTrueType : rapidjson::kFalseType);
          return;
        }
        break;
      case JsonKind::String: break;
    }
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }

  void writeMembers(const Element& e) {
    if (e.isResource()) {
      key("resourceType");
      w_.String(e.type().name.data(), static_cast<rapidjson::SizeType>(e.type().name.size()));
    }
    const Element* c = e.firstChild();
    while (c != nullptr) {
      // A group: the consecutive children of one property.
      const Element* end = c->nextSibling();
      while (end != nullptr && end->property() == c->property()) end = end->nextSibling();
      writeGroup(c, end);
      c = end;
    }
  }

  void writeGroup(const Element* first, const Element* end) {
    const std::string name = first->jsonName();
    const bool repeating = first->property() != nullptr && first->property()->repeating();
    if (!first->isPrimitive()) {
      key(name);
      if (repeating) w_.StartArray();
      for (const Element* c = first; c != end; c = c->nextSibling()) writeObject(*c);
      if (repeating) w_.EndArray();
      return;
    }
    bool anyValue = false;
    bool anyExtra = false;
    for (const Element* c = first; c != end; c = c->nextSibling()) {
      anyValue |= c->hasValue();
      anyExtra |= c->hasChildren();
    }
    if (!repeating) {
      if (anyValue) {
        key(name);
        writePrimitive(*first);
      }
      if (anyExtra) {
        key("_" + name);
        writeObject(*first);
      }
      return;
    }
    if (anyValue) {
      key(name);
      w_.StartArray();
      for (const Element* c = first; c != end; c = c->nextSibling()) {
        if (c->hasValue()) {
          writePrimitive(*c);
        } else {
          w_.Null();
        }
      }
      w_.EndArray();
    }
    if (anyExtra) {
      key("_" + name);
      w_.StartArray();
      for (const Element* c = first; c != end; c = c->nextSibling()) {
        if (c->hasChildren()) {
          writeObject(*c);
        } else {
          w_.Null();
        }
      }
      w_.EndArray();
    }
  }

  Writer& w_;
};

template <typename Writer>
std::string write(const Element& root, Writer& writer, rapidjson::StringBuffer& buffer) {
  ElementWriter<Writer>(writer).writeObject(root);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

bool isJsonNumberText(std::string_view s) {
  size_t i = 0;
  auto digit = [&](size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0' && digit(i + 1)) return false;
  while (digit(i)) ++i;
  if (i < s.size() && s[i] == '.') {
    if (!digit(++i)) return false;
    while (digit(i)) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == s.size();
}

std::string writeJson(const Element& root, const WriteOptions& options) {
  rapidjson::StringBuffer buffer;
  if (options.pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    return write(root, writer, buffer);
  }
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  return write(root, writer, buffer);
}

}  // namespace trialbridge::core
