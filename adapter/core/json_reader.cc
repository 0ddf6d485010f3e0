// FHIR JSON reader: the tolerant JSON parser (json_tree.h) -> a small generic tree with source
// positions -> the typed element model, applying the FHIR JSON rules as it goes.
#include <algorithm>
#include <cstring>
#include <deque>
#include <memory_resource>
#include <stdexcept>
#include <vector>

#include "core/json.h"
#include "core/json_tree.h"

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

using json::Node;
using JNode = json::Node;
using JKind = json::Kind;

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
    // The entries of this object, in a vector kept for its depth (no allocation per object).
    if (depth_ == scratch_.size()) scratch_.emplace_back();
    std::vector<Entry>& entries = scratch_[depth_];
    entries.clear();
    struct Deeper {
      size_t& d;
      explicit Deeper(size_t& depth) : d(depth) { ++d; }
      ~Deeper() { --d; }
      Deeper(const Deeper&) = delete;
      Deeper& operator=(const Deeper&) = delete;
    } deeper(depth_);
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
        if (key == "fhir_comments") {  // legacy JSON comments: allowed, not kept
          checkComments(*m, *target);
          continue;
        }
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

  // fhir_comments (the JSON form of comments in earlier FHIR versions) is an array of strings.
  void checkComments(const JNode& m, const Element& target) {
    bool ok = m.kind == JKind::Array && m.count > 0;
    for (const JNode* c = ok ? m.first : nullptr; c != nullptr; c = c->next) {
      ok = ok && c->kind == JKind::String && !c->text.empty();
    }
    if (!ok) {
      error(m.keyLine, m.keyColumn, childPath(target, "fhir_comments"),
            "fhir_comments holds an array of strings", IssueType::Invalid);
    }
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
  size_t depth_ = 0;                        // objects being built, one in another
  std::deque<std::vector<Entry>> scratch_;  // the entries of each (a deque: they stay put)
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
  json::Tree tree = json::parseTree(text, arena, {options.maxDepth, options.allowComments});
  for (json::SyntaxError& e : tree.errors) {
    issues.add(Severity::Error, IssueType::Invalid, std::move(e.message), "", e.line, e.column);
  }
  if (tree.fatal) {
    std::string message = tree.depthExceeded
                              ? "JSON nesting is deeper than " + std::to_string(options.maxDepth)
                              : std::move(tree.fatal->message);
    issues.add(Severity::Fatal, IssueType::Structure, std::move(message), "", tree.fatal->line,
               tree.fatal->column);
    return nullptr;
  }
  auto doc = std::make_unique<Document>(types);
  ModelBuilder builder(*doc, issues);
  if (builder.buildRoot(*tree.root, options.rootType) == nullptr) return nullptr;
  return doc;
}

}  // namespace trialbridge::core
