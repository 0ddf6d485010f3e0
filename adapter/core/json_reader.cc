// FHIR JSON reader: RapidJSON SAX -> a small generic tree with source positions -> the typed
// element model, applying the FHIR JSON rules as it goes.
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>
#include <memory_resource>
#include <stdexcept>
#include <vector>

#include "core/json.h"

namespace trialbridge::core {

void rapidjsonAssertFailed(const char* expression) {
  throw std::logic_error(std::string("JSON library assertion failed: ") + expression);
}

void lineColumnOf(std::string_view text, size_t offset, uint32_t& line, uint32_t& column) {
  offset = std::min(offset, text.size());
  line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  }
  column = static_cast<uint32_t>(offset - lineStart + 1);
}

namespace {

// A RapidJSON input stream over a buffer that tracks the line and where it starts.
class TrackingStream {
 public:
  using Ch = char;
  explicit TrackingStream(std::string_view text)
      : begin_(text.data()), cur_(text.data()), end_(text.data() + text.size()), lineStart_(cur_) {}
  Ch Peek() const { return cur_ < end_ ? *cur_ : '\0'; }
  Ch Take() {
    if (cur_ >= end_) return '\0';
    const char c = *cur_++;
    if (c == '\n') {
      ++line_;
      lineStart_ = cur_;
    }
    return c;
  }
  size_t Tell() const { return static_cast<size_t>(cur_ - begin_); }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch /*c*/) {}
  void Flush() {}
  size_t PutEnd(Ch* /*begin*/) { return 0; }

  uint32_t line() const { return line_; }
  // Column (1-based) of the character `back` bytes before the current position.
  uint32_t columnBack(size_t back) const {
    const size_t col = static_cast<size_t>(cur_ - lineStart_) + 1;  // of the next character
    return static_cast<uint32_t>(col > back ? col - back : 1);
  }

 private:
  const char* begin_;
  const char* cur_;
  const char* end_;
  const char* lineStart_;
  uint32_t line_ = 1;
};

enum class JKind : uint8_t { Null, False, True, Number, String, Object, Array };

struct JNode {
  JKind kind = JKind::Null;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string_view text;  // strings and numbers
  std::string_view key;   // when a member of an object
  uint32_t keyLine = 0;
  uint32_t keyColumn = 0;
  uint32_t count = 0;
  JNode* first = nullptr;
  JNode* last = nullptr;
  JNode* next = nullptr;
};

const char* kindName(JKind k) {
  switch (k) {
    case JKind::Null: return "null";
    case JKind::False:
    case JKind::True: return "a boolean";
    case JKind::Number: return "a number";
    case JKind::String: return "a string";
    case JKind::Object: return "an object";
    case JKind::Array: return "an array";
  }
  return "a value";
}

// SAX handler that builds the JNode tree.
class TreeHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeHandler> {
 public:
  TreeHandler(std::pmr::memory_resource* arena, TrackingStream& stream, uint32_t maxDepth)
      : arena_(arena), stream_(stream), maxDepth_(maxDepth) {}

  bool Null() { return add(JKind::Null, {}, 4); }
  bool Bool(bool b) { return add(b ? JKind::True : JKind::False, {}, b ? 4 : 5); }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    return add(JKind::Number, copy(str, len), len);
  }
  bool String(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    if (hasSurrogate(str, len)) return false;
    return add(JKind::String, copy(str, len), len + 2);
  }
  bool Key(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    if (hasSurrogate(str, len)) return false;
    pendingKey_ = copy(str, len);
    pendingKeyLine_ = stream_.line();
    pendingKeyColumn_ = stream_.columnBack(len + 2);
    return true;
  }
  bool StartObject() { return open(JKind::Object); }
  bool EndObject(rapidjson::SizeType /*n*/) { return close(); }
  bool StartArray() { return open(JKind::Array); }
  bool EndArray(rapidjson::SizeType /*n*/) { return close(); }

  JNode* root() const { return root_; }
  bool depthExceeded() const { return depthExceeded_; }
  bool loneSurrogate() const { return loneSurrogate_; }

 private:
  // RapidJSON 1.1 decodes a lone low-surrogate escape ("\udc00") into UTF-8 bytes that are not
  // valid UTF-8 (ED B0 80); such text must not enter the model.
  bool hasSurrogate(const char* s, size_t n) {
    for (const void* p = std::memchr(s, 0xED, n); p != nullptr;) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(p) - s);
      if (at + 1 < n && static_cast<unsigned char>(s[at + 1]) >= 0xA0) {
        loneSurrogate_ = true;
        return true;
      }
      p = at + 1 < n ? std::memchr(s + at + 1, 0xED, n - at - 1) : nullptr;
    }
    return false;
  }

  std::string_view copy(const char* s, size_t n) {
    if (n == 0) return {};
    char* mem = static_cast<char*>(arena_->allocate(n, 1));
    std::memcpy(mem, s, n);
    return {mem, n};
  }
  JNode* node(JKind kind, std::string_view text, size_t back) {
    auto* n = new (arena_->allocate(sizeof(JNode), alignof(JNode))) JNode();
    n->kind = kind;
    n->text = text;
    n->line = stream_.line();
    n->column = stream_.columnBack(back);
    if (!stack_.empty() && stack_.back()->kind == JKind::Object) {
      n->key = pendingKey_;
      n->keyLine = pendingKeyLine_;
      n->keyColumn = pendingKeyColumn_;
    } else {
      n->keyLine = n->line;
      n->keyColumn = n->column;
    }
    if (stack_.empty()) {
      root_ = n;
    } else {
      JNode* parent = stack_.back();
      if (parent->last == nullptr) {
        parent->first = n;
      } else {
        parent->last->next = n;
      }
      parent->last = n;
      ++parent->count;
    }
    return n;
  }
  bool add(JKind kind, std::string_view text, size_t back) {
    node(kind, text, back);
    return true;
  }
  bool open(JKind kind) {
    if (stack_.size() >= maxDepth_) {
      depthExceeded_ = true;
      return false;
    }
    stack_.push_back(node(kind, {}, 1));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::pmr::memory_resource* arena_;
  TrackingStream& stream_;
  uint32_t maxDepth_;
  std::vector<JNode*> stack_;
  JNode* root_ = nullptr;
  std::string_view pendingKey_;
  uint32_t pendingKeyLine_ = 0;
  uint32_t pendingKeyColumn_ = 0;
  bool depthExceeded_ = false;
  bool loneSurrogate_ = false;
};

// Walks the JNode tree and builds Elements, applying the FHIR JSON rules.
class ModelBuilder {
 public:
  ModelBuilder(Document& doc, Issues& issues) : doc_(doc), types_(doc.types()), issues_(issues) {}

  Element* buildRoot(const JNode& node, std::string_view rootType) {
    if (node.kind != JKind::Object) {
      fatal(node, std::string("The JSON content must be an object, not ") + kindName(node.kind));
      return nullptr;
    }
    const TypeInfo* type = nullptr;
    if (rootType.empty()) {
      type = resourceTypeOf(node, "", true);
      if (type == nullptr) return nullptr;
    } else {
      type = types_.findType(rootType);
      if (type == nullptr) {
        fatal(node, "Unknown type '" + std::string(rootType) + "'");
        return nullptr;
      }
    }
    Element* root = doc_.create(type->name, *type, nullptr);
    doc_.setPosition(root, node.line, node.column);
    doc_.setRoot(root);
    buildObject(node, root);
    return root;
  }

 private:
  struct Entry {
    const PropertyInfo* property = nullptr;
    const TypeInfo* type = nullptr;
    const JNode* value = nullptr;      // the "x" member
    const JNode* extension = nullptr;  // the "_x" member
  };

  void error(uint32_t line, uint32_t column, std::string location, std::string message,
             IssueType code = IssueType::Structure) {
    issues_.add(Severity::Error, code, std::move(message), std::move(location), line, column);
  }
  void fatal(const JNode& n, std::string message) {
    issues_.add(Severity::Fatal, IssueType::Structure, std::move(message), "", n.line, n.column);
  }
  static std::string childPath(const Element& parent, std::string_view key) {
    return parent.path() + "." + std::string(key);
  }

  // The concrete resource type named by an object's resourceType member.
  const TypeInfo* resourceTypeOf(const JNode& obj, const std::string& location, bool isFatal) {
    const JNode* rt = nullptr;
    for (const JNode* m = obj.first; m != nullptr; m = m->next) {
      if (m->key == "resourceType") {
        rt = m;
        break;
      }
    }
    auto report = [&](const JNode& at, std::string msg) {
      if (isFatal) {
        fatal(at, std::move(msg));
      } else {
        error(at.line, at.column, location, std::move(msg));
      }
    };
    if (rt == nullptr) {
      report(obj, "Unable to find resourceType property");
      return nullptr;
    }
    if (rt->kind != JKind::String) {
      report(*rt, "resourceType must be a string");
      return nullptr;
    }
    const TypeInfo* type = types_.findType(rt->text);
    if (type == nullptr || !type->isResource() || type->isAbstract) {
      report(*rt, "Unknown resource type '" + std::string(rt->text) + "'");
      return nullptr;
    }
    return type;
  }

  void buildObject(const JNode& obj, Element* target) {
    const TypeInfo& type = target->type();
    if (obj.count == 0) {
      error(obj.line, obj.column, target->path(), "Object must have some content");
      return;
    }
    std::vector<Entry> entries;
    entries.reserve(obj.count);
    for (const JNode* m = obj.first; m != nullptr; m = m->next) {
      std::string_view key = m->key;
      if (key == "resourceType" && type.isResource()) continue;  // read by resourceTypeOf()
      if (isDuplicateKey(obj, m)) {
        error(m->keyLine, m->keyColumn, childPath(*target, key),
              "Duplicate JSON property '" + std::string(key) + "'");
        continue;
      }
      const bool isExt = key.size() > 1 && key[0] == '_';
      const std::string_view name = isExt ? key.substr(1) : key;
      const TypeInfo::JsonMatch match = type.propertyForJsonName(name);
      if (match.property == nullptr ||
          (isExt && (match.type == nullptr || !match.type->isPrimitive()))) {
        if (key == "fhir_comments") continue;  // tolerated legacy JSON comments
        error(m->keyLine, m->keyColumn, childPath(*target, key),
              "Unrecognized property '" + std::string(key) + "'");
        continue;
      }
      if (match.type == nullptr) {
        error(m->keyLine, m->keyColumn, childPath(*target, key),
              "Type of property '" + std::string(key) + "' is not known");
        continue;
      }
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return e.property == match.property; });
      if (it != entries.end() && it->type != match.type) {
        error(m->keyLine, m->keyColumn, childPath(*target, key),
              "Only one of the choices for '" + match.property->name + "[x]' may be present");
        continue;
      }
      if (it == entries.end()) {
        entries.push_back(Entry{match.property, match.type, nullptr, nullptr});
        it = entries.end() - 1;
      }
      (isExt ? it->extension : it->value) = m;
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.property->order < b.property->order;
    });
    for (const Entry& e : entries) buildProperty(target, e);
  }

  bool isDuplicateKey(const JNode& obj, const JNode* m) const {
    for (const JNode* p = obj.first; p != m; p = p->next) {
      if (p->key == m->key) return true;
    }
    return false;
  }

  void buildProperty(Element* parent, const Entry& e) {
    const PropertyInfo& prop = *e.property;
    const JNode* value = e.value;
    const JNode* ext = e.extension;
    const std::string jsonName =
        prop.choice ? prop.name + choiceSuffix(e.type->name) : std::string(prop.name);
    if (prop.repeating()) {
      auto asList = [&](const JNode* n, std::string_view key) -> const JNode* {
        if (n == nullptr) return nullptr;
        if (n->kind == JKind::Array) {
          if (n->count == 0) {
            error(n->keyLine, n->keyColumn, childPath(*parent, key), "Array cannot be empty");
          }
          return n->first;
        }
        error(n->keyLine, n->keyColumn, childPath(*parent, key),
              "The property '" + std::string(key) + "' must be a JSON array, not " +
                  kindName(n->kind));
        return n;  // read it as a list of one
      };
      const JNode* v = asList(value, jsonName);
      const JNode* x = asList(ext, "_" + jsonName);
      const bool vIsArray = value != nullptr && value->kind == JKind::Array;
      const bool xIsArray = ext != nullptr && ext->kind == JKind::Array;
      if (value != nullptr && ext != nullptr && vIsArray && xIsArray &&
          value->count != ext->count) {
        error(ext->keyLine, ext->keyColumn, childPath(*parent, "_" + jsonName),
              "The arrays '" + jsonName + "' and '_" + jsonName +
                  "' must have the same number of items");
      }
      while (v != nullptr || x != nullptr) {
        buildValue(parent, prop, *e.type, jsonName, v, x, true);
        v = (v != nullptr && vIsArray) ? v->next : nullptr;
        x = (x != nullptr && xIsArray) ? x->next : nullptr;
      }
      return;
    }
    for (const JNode* n : {value, ext}) {
      if (n != nullptr && n->kind == JKind::Array) {
        error(n->keyLine, n->keyColumn, childPath(*parent, n->key),
              "The property '" + std::string(n->key) + "' must not be an array");
        return;
      }
    }
    buildValue(parent, prop, *e.type, jsonName, value, ext, false);
  }

  void buildValue(Element* parent, const PropertyInfo& prop, const TypeInfo& type,
                  const std::string& jsonName, const JNode* v, const JNode* x, bool inArray) {
    const JNode* at = v != nullptr ? v : x;
    const bool vNull = v == nullptr || v->kind == JKind::Null;
    const bool xNull = x == nullptr || x->kind == JKind::Null;
    if (!type.isPrimitive()) {
      if (vNull) {
        if (at != nullptr && at->kind == JKind::Null) {
          error(at->line, at->column, childPath(*parent, jsonName), "Null values are not allowed");
        }
        return;
      }
      if (v->kind != JKind::Object) {
        error(v->line, v->column, childPath(*parent, jsonName),
              "The property '" + jsonName + "' must be a JSON object, not " + kindName(v->kind));
        return;
      }
      const TypeInfo* actual = &type;
      if (type.isAbstractResource() || type.isResource()) {
        actual = resourceTypeOf(*v, childPath(*parent, jsonName), false);
        if (actual == nullptr) return;
      }
      Element* el = doc_.create(prop.name, *actual, &prop);
      doc_.setPosition(el, v->keyLine, v->keyColumn);
      doc_.appendChild(parent, el);
      buildObject(*v, el);
      dropIfEmpty(parent, el);
      return;
    }
    if (vNull && xNull) {
      if (at != nullptr) {
        error(at->line, at->column, childPath(*parent, jsonName),
              inArray ? "A null in a primitive array needs an extension at the same position"
                      : "Null values are not allowed");
      }
      return;
    }
    Element* el = doc_.create(prop.name, type, &prop);
    doc_.setPosition(el, at->keyLine, at->keyColumn);
    doc_.appendChild(parent, el);
    if (!vNull) setPrimitive(el, *v, type);
    if (!xNull) {
      if (x->kind != JKind::Object) {
        error(x->line, x->column, el->path(),
              "The property '_" + jsonName + "' must be a JSON object, not " + kindName(x->kind));
      } else {
        buildObject(*x, el);
      }
    }
    dropIfEmpty(parent, el);
  }

  // An element whose every part was rejected (the errors are reported) is not kept: an empty
  // element is not FHIR, and writing it would give JSON that reads differently.
  void dropIfEmpty(Element* parent, const Element* el) {
    if (!el->hasValue() && !el->hasChildren()) doc_.removeLastChild(parent);
  }

  void setPrimitive(Element* el, const JNode& v, const TypeInfo& type) {
    switch (type.jsonKind) {
      case JsonKind::Boolean:
        if (v.kind == JKind::True || v.kind == JKind::False) {
          doc_.setValue(el, v.kind == JKind::True ? "true" : "false");
          return;
        }
        error(v.line, v.column, el->path(),
              "Error parsing JSON: the primitive value must be a boolean, not " +
                  std::string(kindName(v.kind)),
              IssueType::Invalid);
        break;
      case JsonKind::Number:
        if (v.kind == JKind::Number) {
          doc_.setValue(el, v.text);
          return;
        }
        error(v.line, v.column, el->path(),
              "Error parsing JSON: the primitive value must be a number, not " +
                  std::string(kindName(v.kind)),
              IssueType::Invalid);
        break;
      case JsonKind::String:
        if (v.kind == JKind::String) {
          if (v.text.empty()) {
            error(v.line, v.column, el->path(), "A string value cannot be empty",
                  IssueType::Invalid);
            return;
          }
          doc_.setValue(el, v.text);
          return;
        }
        error(v.line, v.column, el->path(),
              "Error parsing JSON: the primitive value must be a string, not " +
                  std::string(kindName(v.kind)),
              IssueType::Invalid);
        break;
    }
    // Keep what was written so that nothing is lost; the validator reports it as well.
    if (v.kind == JKind::String || v.kind == JKind::Number) {
      doc_.setValue(el, v.text);
    } else if (v.kind == JKind::True || v.kind == JKind::False) {
      doc_.setValue(el, v.kind == JKind::True ? "true" : "false");
    }
  }

  Document& doc_;
  const TypeResolver& types_;
  Issues& issues_;
};

}  // namespace

bool withinSizeLimit(std::string_view text, const ReadOptions& options, Issues& issues) {
  if (text.size() <= options.maxBytes) return true;
  issues.add(Severity::Fatal, IssueType::TooLong,
             "Input is " + std::to_string(text.size()) + " bytes; the limit is " +
                 std::to_string(options.maxBytes));
  return false;
}

std::unique_ptr<Document> readJson(std::string_view text, const TypeResolver& types, Issues& issues,
                                   const ReadOptions& options) {
  if (!withinSizeLimit(text, options, issues)) return nullptr;
  std::pmr::monotonic_buffer_resource arena(std::max<size_t>(text.size() * 2, 4096));
  TrackingStream stream(text);
  TreeHandler handler(&arena, stream, options.maxDepth);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult ok;
  try {
    ok = reader.Parse<kFlags>(stream, handler);
  } catch (const std::exception& e) {
    issues.add(Severity::Fatal, IssueType::Structure, std::string("Invalid JSON: ") + e.what());
    return nullptr;
  }
  if (!ok) {
    uint32_t line = 0;
    uint32_t column = 0;
    lineColumnOf(text, ok.Offset(), line, column);
    std::string message =
        handler.depthExceeded() ? "JSON nesting is deeper than " + std::to_string(options.maxDepth)
        : handler.loneSurrogate()
            ? std::string("Invalid JSON: a \\u escape names a lone surrogate")
            : std::string("Invalid JSON: ") + rapidjson::GetParseError_En(ok.Code());
    issues.add(Severity::Fatal, IssueType::Structure, std::move(message), "", line, column);
    return nullptr;
  }
  if (handler.root() == nullptr) {
    issues.add(Severity::Fatal, IssueType::Structure, "The input is empty");
    return nullptr;
  }
  auto doc = std::make_unique<Document>(types);
  ModelBuilder builder(*doc, issues);
  if (builder.buildRoot(*handler.root(), options.rootType) == nullptr) return nullptr;
  return doc;
}

}  // namespace trialbridge::core
