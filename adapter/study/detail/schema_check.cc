#include "study/detail/schema_check.h"

#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/json_input_raw.h"
#include "study/embedded_data.h"

namespace trialbridge::study::detail {

namespace {

using core::JsonInput;
using rapidjson::Value;

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string jsonType(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  if (v.IsInt64() || v.IsUint64()) return "a whole number";
  return "a number";
}

std::string schemaTypeName(std::string_view t) {
  if (t == "object") return "an object";
  if (t == "array") return "an array";
  if (t == "string") return "a string";
  if (t == "integer") return "a whole number";
  if (t == "number") return "a number";
  if (t == "boolean") return "true or false";
  if (t == "null") return "null";
  return std::string(t);
}

// A short rendering of a scalar for messages.
std::string render(const Value& v) {
  if (v.IsString()) {
    std::string s = str(v);
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return "'" + s + "'";
  }
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNull()) return "null";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    std::string s = std::to_string(v.GetDouble());
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return jsonType(v);
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const char ca = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      const char cb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(std::string_view name, const Value* properties) {
  if (properties == nullptr || !properties->IsObject()) return {};
  std::string best;
  size_t bestDistance = 3;
  for (auto& m : properties->GetObject()) {
    const std::string candidate = str(m.name);
    const size_t d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

std::string listOf(const Value& values, size_t max = 15) {
  std::string out;
  size_t n = 0;
  for (auto& v : values.GetArray()) {
    if (n == max) {
      out += ", ...";
      break;
    }
    if (n++ > 0) out += ", ";
    out += v.IsString() ? str(v) : render(v);
  }
  return out;
}

}  // namespace

struct SchemaChecker::Impl {
  rapidjson::Document root;

  // A schema node made into a schema document of its own (with the root's definitions, so that
  // its $refs resolve).
  struct Compiled {
    rapidjson::Document json;
    std::unique_ptr<rapidjson::SchemaDocument> schema;
  };

  struct Run {
    const JsonInput& input;
    core::Issues& issues;
  };

  // Compiled schemas by node (and whether it is the shallow variant), kept for every later check:
  // compiling is most of the cost of a check, and a SchemaDocument is read-only once built, so
  // checks on several threads share them. At most two a node of the schema.
  mutable std::mutex compiledMutex;
  mutable std::map<std::pair<const Value*, bool>, std::unique_ptr<Compiled>> compiled;

  const Value& deref(const Value& node) const {
    const Value* n = &node;
    for (int guard = 0; guard < 32; ++guard) {
      const Value* ref = member(*n, "$ref");
      if (ref == nullptr || !ref->IsString()) return *n;
      const std::string r = str(*ref);
      static const std::string kPrefix = "#/definitions/";
      const Value* defs = member(root, "definitions");
      if (r.rfind(kPrefix, 0) != 0 || defs == nullptr) return *n;
      const Value* target = member(*defs, r.substr(kPrefix.size()).c_str());
      if (target == nullptr) return *n;
      n = target;
    }
    return *n;
  }

  Compiled& compile(const Value& node, bool shallow) const {
    auto key = std::make_pair(&node, shallow);
    std::lock_guard lock(compiledMutex);
    auto it = compiled.find(key);
    if (it != compiled.end()) return *it->second;
    auto c = std::make_unique<Compiled>();
    auto& a = c->json.GetAllocator();
    c->json.CopyFrom(node, a);
    if (c->json.IsObject()) {
      if (shallow) {
        if (Value* props = const_cast<Value*>(member(c->json, "properties"))) {
          for (auto& m : props->GetObject()) m.value.SetObject();
        }
        c->json.RemoveMember("items");
      }
      const Value* defs = member(root, "definitions");
      if (defs != nullptr && member(c->json, "definitions") == nullptr) {
        c->json.AddMember("definitions", Value(*defs, a), a);
      }
    }
    c->schema = std::make_unique<rapidjson::SchemaDocument>(c->json);
    Compiled& out = *c;
    compiled.emplace(key, std::move(c));
    return out;
  }

  static bool valid(Compiled& c, const Value& value) {
    rapidjson::SchemaValidator validator(*c.schema);
    value.Accept(validator);
    return validator.IsValid();
  }

  void node(Run& run, const Value& value, const Value& schemaNode, const std::string& path) const {
    const Value& s = deref(schemaNode);
    if (valid(compile(s, false), value)) return;

    const Value* oneOf = member(s, "oneOf");
    const Value* disc = member(s, "x-discriminator");
    if (oneOf != nullptr && disc != nullptr && disc->IsString() && value.IsObject()) {
      const std::string d = str(*disc);
      const Value* v = member(value, d.c_str());
      std::string known;
      for (auto& branch : oneOf->GetArray()) {
        const Value& b = deref(branch);
        const Value* props = member(b, "properties");
        const Value* dp = props != nullptr ? member(*props, d.c_str()) : nullptr;
        const Value* en = dp != nullptr ? member(*dp, "enum") : nullptr;
        if (en == nullptr || !en->IsArray()) continue;
        for (auto& e : en->GetArray()) {
          if (v != nullptr && *v == e) {
            node(run, value, b, path);
            return;
          }
          known += (known.empty() ? "" : ", ") + (e.IsString() ? str(e) : render(e));
        }
      }
      if (v == nullptr) {
        run.input.report(run.issues, path,
                         "missing required property '" + d + "' (one of: " + known + ")",
                         core::Severity::Error, core::IssueType::Required);
      } else {
        run.input.report(run.issues, JsonInput::memberPath(path, d),
                         render(*v) + " is not one of: " + known, core::Severity::Error,
                         core::IssueType::Value);
      }
      return;
    }

    const bool combinator = oneOf != nullptr || member(s, "anyOf") != nullptr ||
                            member(s, "allOf") != nullptr || member(s, "not") != nullptr;
    const Value* props = member(s, "properties");
    const Value* items = member(s, "items");
    if (!combinator && props != nullptr && props->IsObject() && value.IsObject()) {
      const size_t before = run.issues.size();
      for (auto& m : value.GetObject()) {
        const Value* sub = member(*props, m.name.GetString());
        if (sub != nullptr) node(run, m.value, *sub, JsonInput::memberPath(path, str(m.name)));
      }
      Compiled& shallow = compile(s, true);
      if (!valid(shallow, value)) leaf(run, shallow, s, value, path);
      if (run.issues.size() == before) leaf(run, compile(s, false), s, value, path);
      return;
    }
    if (!combinator && items != nullptr && items->IsObject() && value.IsArray()) {
      const size_t before = run.issues.size();
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        node(run, value[i], *items, JsonInput::itemPath(path, i));
      }
      Compiled& shallow = compile(s, true);
      if (!valid(shallow, value)) leaf(run, shallow, s, value, path);
      if (run.issues.size() == before) leaf(run, compile(s, false), s, value, path);
      return;
    }
    leaf(run, compile(s, false), s, value, path);
  }

  // Missing required members and members the schema does not allow.
  void objectProblems(Run& run, const Value& schema, const Value& v, const std::string& p) const {
    if (!v.IsObject()) return;
    const size_t before = run.issues.size();
    const Value* req = member(schema, "required");
    if (req != nullptr && req->IsArray()) {
      for (auto& r : req->GetArray()) {
        if (!r.IsString() || member(v, r.GetString()) != nullptr) continue;
        run.input.report(run.issues, p, "missing required property '" + str(r) + "'",
                         core::Severity::Error, core::IssueType::Required);
      }
    }
    const Value* additional = member(schema, "additionalProperties");
    const Value* properties = member(schema, "properties");
    if (additional != nullptr && additional->IsFalse()) {
      for (auto& m : v.GetObject()) {
        if (properties != nullptr && member(*properties, m.name.GetString()) != nullptr) continue;
        const std::string name = str(m.name);
        run.input.report(run.issues, JsonInput::memberPath(p, name),
                         "unknown property '" + name + "'" + suggestion(name, properties),
                         core::Severity::Error, core::IssueType::Structure);
      }
    }
    if (run.issues.size() == before) {
      run.input.report(run.issues, p, "the object does not match its schema", core::Severity::Error,
                       core::IssueType::Structure);
    }
  }

  // Reports the first error RapidJSON finds for value against c.
  void leaf(Run& run, Compiled& c, const Value& original, const Value& value,
            const std::string& path) const {
    rapidjson::SchemaValidator validator(*c.schema);
    value.Accept(validator);
    if (validator.IsValid()) return;
    const std::string keyword = validator.GetInvalidSchemaKeyword();
    const Value* failing = validator.GetInvalidSchemaPointer().Get(c.json);
    if (failing == nullptr) failing = &c.json;
    // For a node compiled shallow, messages may use the original (full) schema's properties.
    const Value* fullFailing = failing == &c.json ? &original : failing;

    // Walk the document pointer from value to the failing value, building its path.
    const rapidjson::Pointer docPointer = validator.GetInvalidDocumentPointer();
    const Value* v = &value;
    std::string p = path;
    const Value* parent = &value;
    std::string parentPath = path;
    for (size_t i = 0; i < docPointer.GetTokenCount(); ++i) {
      parent = v;
      parentPath = p;
      const auto& t = docPointer.GetTokens()[i];
      if (v->IsArray() && t.index != rapidjson::kPointerInvalidIndex && t.index < v->Size()) {
        p = JsonInput::itemPath(p, t.index);
        v = &(*v)[t.index];
      } else if (v->IsObject()) {
        const std::string name(t.name, t.length);
        const Value* next = member(*v, name.c_str());
        if (next == nullptr) break;
        p = JsonInput::memberPath(p, name);
        v = next;
      } else {
        break;
      }
    }

    const Value* xMessage = member(*failing, "x-message");
    if (keyword == "required" || keyword == "additionalProperties") {
      // RapidJSON names the first of these only; report both kinds of problem of the object.
      // For additionalProperties its document pointer names the offending member: use the
      // object that holds it.
      if (keyword == "additionalProperties" && !v->IsObject()) {
        v = parent;
        p = parentPath;
      } else if (keyword == "additionalProperties" && docPointer.GetTokenCount() > 0) {
        const Value* props = member(*fullFailing, "properties");
        const auto& last = docPointer.GetTokens()[docPointer.GetTokenCount() - 1];
        if (props == nullptr ||
            member(*props, std::string(last.name, last.length).c_str()) == nullptr) {
          v = parent;
          p = parentPath;
        }
      }
      objectProblems(run, *fullFailing, *v, p);
      return;
    }

    std::string reason;
    core::IssueType code = core::IssueType::Value;
    const bool scalar = !v->IsObject() && !v->IsArray();
    if (xMessage != nullptr && xMessage->IsString()) {
      reason = str(*xMessage);
      if (scalar) reason += ", not " + render(*v);
    } else if (keyword == "type") {
      const Value* t = member(*failing, "type");
      std::string expected;
      if (t != nullptr && t->IsString()) {
        expected = schemaTypeName(str(*t));
      } else if (t != nullptr && t->IsArray()) {
        for (auto& e : t->GetArray()) {
          expected += (expected.empty() ? "" : " or ") + schemaTypeName(str(e));
        }
      }
      reason = "expected " + expected + ", found " + jsonType(*v);
      code = core::IssueType::Structure;
    } else if (keyword == "enum") {
      const Value* e = member(*failing, "enum");
      reason = render(*v) + " is not one of: " + (e != nullptr ? listOf(*e) : std::string());
      code = core::IssueType::CodeInvalid;
    } else if (keyword == "pattern") {
      const Value* pat = member(*failing, "pattern");
      reason = render(*v) + " does not match the pattern " + (pat != nullptr ? str(*pat) : "");
    } else if (keyword == "minimum" || keyword == "exclusiveMinimum") {
      const Value* m = member(*failing, "minimum");
      reason = render(*v) + " is less than the minimum " + (m != nullptr ? render(*m) : "");
    } else if (keyword == "maximum" || keyword == "exclusiveMaximum") {
      const Value* m = member(*failing, "maximum");
      reason = render(*v) + " is more than the maximum " + (m != nullptr ? render(*m) : "");
    } else if (keyword == "minItems") {
      const Value* m = member(*failing, "minItems");
      reason = "expected at least " + (m != nullptr ? render(*m) : "") + " item(s), found " +
               std::to_string(v->IsArray() ? v->Size() : 0);
      code = core::IssueType::Required;
    } else if (keyword == "maxItems") {
      const Value* m = member(*failing, "maxItems");
      reason = "expected at most " + (m != nullptr ? render(*m) : "") + " item(s), found " +
               std::to_string(v->IsArray() ? v->Size() : 0);
    } else if (keyword == "uniqueItems") {
      reason = "the items must all be different";
      code = core::IssueType::Duplicate;
    } else if (keyword == "minLength") {
      reason = "expected a non-empty text";
    } else if (keyword == "minProperties" || keyword == "maxProperties") {
      reason = "wrong number of properties";
    } else {
      reason = "does not match the schema (" + keyword + ")";
    }
    run.input.report(run.issues, p, reason, core::Severity::Error, code);
  }
};

SchemaChecker::SchemaChecker(std::string_view schemaJson) : impl_(std::make_unique<Impl>()) {
  impl_->root.Parse(schemaJson.data(), schemaJson.size());
  if (impl_->root.HasParseError() || !impl_->root.IsObject()) {
    throw std::logic_error("SchemaChecker: the schema is not a JSON object");
  }
}

SchemaChecker::~SchemaChecker() = default;

bool SchemaChecker::check(const JsonInput& input, core::Issues& issues) const {
  Impl::Run run{input, issues};
  const size_t before = issues.size();
  const Value* root = core::rapidjsonValue(input.root());
  if (root == nullptr) return false;
  impl_->node(run, *root, impl_->root, "$");
  return issues.size() == before;
}

const SchemaChecker& trialDefinitionSchema() {
  static const SchemaChecker checker(embeddedFile(EmbeddedFile::TrialSchema));
  return checker;
}

const SchemaChecker& subjectSchema() {
  static const SchemaChecker checker(embeddedFile(EmbeddedFile::SubjectSchema));
  return checker;
}

const SchemaChecker& adverseEventSchema() {
  static const SchemaChecker checker(embeddedFile(EmbeddedFile::AdverseEventSchema));
  return checker;
}

}  // namespace trialbridge::study::detail
