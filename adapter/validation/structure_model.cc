#include "validation/structure_model.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "conformance/type_model.h"
#include "core/json.h"
#include "core/regex.h"
#include "core/string_map.h"
#if TB_HAVE_FHIRPATH
#include "fhirpath/fhirpath.h"
#endif

namespace trialbridge::validation {

namespace {

constexpr std::string_view kEle1 = "hasValue() or (children().count() > id.count())";
constexpr std::string_view kExt1 = "extension.exists() != value.exists()";

// For an invariant `name.matches('regex')`: the child's name and the regex (the FHIRPath string
// literal unescaped); false for any other expression.
bool splitWholeMatch(std::string_view expr, std::string& name, std::string& regex) {
  constexpr std::string_view kCall = ".matches('";
  const size_t call = expr.find(kCall);
  if (call == std::string_view::npos || call == 0 || expr.size() < call + kCall.size() + 2 ||
      expr.substr(expr.size() - 2) != "')") {
    return false;
  }
  for (size_t i = 0; i < call; ++i) {
    const char c = expr[i];
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  name.assign(expr.substr(0, call));
  regex.clear();
  const std::string_view lit =
      expr.substr(call + kCall.size(), expr.size() - call - kCall.size() - 2);
  for (size_t i = 0; i < lit.size(); ++i) {
    char c = lit[i];
    if (c == '\'') return false;  // the literal ends before the call does
    if (c == '\\') {
      if (++i == lit.size()) return false;
      c = lit[i];
      switch (c) {
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'f': c = '\f'; break;
        case '\\':
        case '\'':
        case '"':
        case '`':
        case '/': break;
        default: return false;  // \uXXXX and the like: left to the FHIRPath engine
      }
    }
    regex += c;
  }
  return true;
}

// The compiled regex of an invariant `name.matches('regex')` (and the name), or nullptr.
std::shared_ptr<const core::Regex> wholeMatch(std::string_view expr, std::string& name) {
  std::string regex, error;
  if (!splitWholeMatch(expr, name, regex)) return nullptr;
  return core::Regex::compile(regex, true, error);  // nullptr: left to the FHIRPath engine
}

std::string effectiveId(const conformance::ElementDefinition& e) {
  if (!e.id.empty()) return e.id;
  return e.sliceName.empty() ? e.path : e.path + ":" + e.sliceName;
}

std::string typeNameFromSuffix(std::string_view suffix, const core::TypeResolver& types) {
  if (suffix.empty()) return {};
  std::string lower(suffix);
  lower[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[0])));
  const core::TypeInfo* t = types.findType(lower);
  if (t != nullptr && t->isPrimitive()) return lower;
  return std::string(suffix);
}

}  // namespace

ValueSpec readValueSpec(std::string_view prefix, const std::string& jsonName,
                        const std::string& json, const core::TypeResolver& types) {
  ValueSpec v;
  if (jsonName.size() <= prefix.size() || json.empty()) return v;
  v.type = typeNameFromSuffix(std::string_view(jsonName).substr(prefix.size()), types);
  const core::TypeInfo* t = types.findType(v.type);
  if (t == nullptr) {
    v.type.clear();
    return v;
  }
  if (t->isPrimitive()) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.data(), json.size());
    if (d.HasParseError()) {
      v.type.clear();
    } else if (d.IsString()) {
      v.text.assign(d.GetString(), d.GetStringLength());
    } else if (d.IsBool()) {
      v.text = d.GetBool() ? "true" : "false";
    } else {
      v.text = json;
    }
    return v;
  }
  core::Issues ignored;
  core::ReadOptions options;
  options.rootType = v.type;
  auto doc = core::readJson(json, types, ignored, options);
  if (!doc || doc->root() == nullptr) {
    v.type.clear();
    return v;
  }
  v.document = std::shared_ptr<core::Document>(std::move(doc));
  return v;
}

bool ElementNode::allowsType(std::string_view type) const {
  if (types.empty()) return true;
  for (const std::string& t : types) {
    if (t == type) return true;
  }
  return false;
}

const std::vector<std::string>* ElementNode::typeProfiles(std::string_view type) const {
  for (const conformance::TypeRef& t : def->types) {
    if (!t.profiles.empty() && conformance::fhirTypeForCode(t.code) == type) return &t.profiles;
  }
  return nullptr;
}

const std::vector<std::string>* ElementNode::targetProfiles() const {
  for (const conformance::TypeRef& t : def->types) {
    if (t.code == "Reference" || t.code == "canonical") return &t.targetProfiles;
  }
  return nullptr;
}

const ElementNode* StructureModel::byId(std::string_view id) const {
  for (const auto& [k, node] : ids_) {
    if (k == id) return node;
  }
  return nullptr;
}

struct ModelCache::Impl {
  mutable std::shared_mutex mutex;
  mutable core::StringMap<const StructureModel*> byName;
  mutable std::unordered_map<const conformance::StructureDefinition*,
                             std::unique_ptr<StructureModel>>
      bySd;
  mutable core::StringMap<std::string> errors;
};

ModelCache::ModelCache(const conformance::Context& context, const conformance::Snapshots& snapshots,
                       bool compileInvariants)
    : context_(context),
      snapshots_(snapshots),
      compileInvariants_(compileInvariants),
      impl_(std::make_unique<Impl>()) {}
ModelCache::~ModelCache() = default;

const StructureModel* ModelCache::get(std::string_view nameOrUrl, std::string* error) const {
  {
    std::shared_lock lock(impl_->mutex);
    auto it = impl_->byName.find(nameOrUrl);
    if (it != impl_->byName.end()) return it->second;
    auto e = impl_->errors.find(nameOrUrl);
    if (e != impl_->errors.end()) {
      if (error != nullptr) *error = e->second;
      return nullptr;
    }
  }
  std::string why;
  const conformance::StructureDefinition* sd = snapshots_.get(nameOrUrl, &why);
  if (sd == nullptr) {
    std::unique_lock lock(impl_->mutex);
    impl_->errors.try_emplace(std::string(nameOrUrl), why);
    if (error != nullptr) *error = why;
    return nullptr;
  }
  {
    // The same definition under another name ("Patient" and its URL) shares one model.
    std::unique_lock lock(impl_->mutex);
    auto it = impl_->bySd.find(sd);
    if (it != impl_->bySd.end()) {
      impl_->byName.try_emplace(std::string(nameOrUrl), it->second.get());
      return it->second.get();
    }
  }
  std::unique_ptr<StructureModel> model = build(*sd);
  std::unique_lock lock(impl_->mutex);
  auto [it, inserted] = impl_->bySd.try_emplace(sd, std::move(model));
  impl_->byName.try_emplace(std::string(nameOrUrl), it->second.get());
  return it->second.get();
}

namespace {

struct Extras {
  int64_t minLength = 0;
  bool mustHaveValue = false;
  std::string languageControl;
  uint64_t maxSize = 0;
  std::vector<std::string> valueAlternatives;
};

// The ElementDefinition extensions the validator uses, by element id, from the definition's
// JSON (snapshot and differential).
std::unordered_map<std::string, Extras> readExtras(const conformance::Context& context,
                                                   const std::string& url) {
  std::unordered_map<std::string, Extras> out;
  auto json = context.resourceJson(url);
  if (!json || json.value().find("\"extension\"") == std::string::npos) return out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.value().data(), json.value().size());
  if (d.HasParseError() || !d.IsObject()) return out;
  for (const char* part : {"differential", "snapshot"}) {
    auto p = d.FindMember(part);
    if (p == d.MemberEnd() || !p->value.IsObject()) continue;
    auto els = p->value.FindMember("element");
    if (els == p->value.MemberEnd() || !els->value.IsArray()) continue;
    for (const auto& e : els->value.GetArray()) {
      if (!e.IsObject()) continue;
      auto exts = e.FindMember("extension");
      if (exts == e.MemberEnd() || !exts->value.IsArray()) continue;
      std::string key;
      if (auto id = e.FindMember("id"); id != e.MemberEnd() && id->value.IsString()) {
        key = id->value.GetString();
      } else if (auto path = e.FindMember("path");
                 path != e.MemberEnd() && path->value.IsString()) {
        key = path->value.GetString();
        if (auto s = e.FindMember("sliceName"); s != e.MemberEnd() && s->value.IsString()) {
          key += std::string(":") + s->value.GetString();
        }
      } else {
        continue;
      }
      Extras& x = out[key];
      for (const auto& ext : exts->value.GetArray()) {
        if (!ext.IsObject() || !ext.HasMember("url") || !ext["url"].IsString()) continue;
        const std::string_view u = ext["url"].GetString();
        if (u == "http://hl7.org/fhir/StructureDefinition/minLength" &&
            ext.HasMember("valueInteger") && ext["valueInteger"].IsString()) {
          x.minLength = std::atoll(ext["valueInteger"].GetString());
        } else if (u.find("ElementDefinition.mustHaveValue") != std::string_view::npos &&
                   ext.HasMember("valueBoolean") && ext["valueBoolean"].IsBool()) {
          x.mustHaveValue = ext["valueBoolean"].GetBool();
        } else if (u.find("ElementDefinition.valueAlternatives") != std::string_view::npos &&
                   ext.HasMember("valueCanonical") && ext["valueCanonical"].IsString()) {
          x.valueAlternatives.emplace_back(ext["valueCanonical"].GetString());
        } else if (u == "http://hl7.org/fhir/StructureDefinition/narrative-language-control" &&
                   ext.HasMember("valueCode") && ext["valueCode"].IsString()) {
          if (!x.languageControl.empty()) x.languageControl += ',';
          x.languageControl += ext["valueCode"].GetString();
        } else if (u == "http://hl7.org/fhir/StructureDefinition/maxSize" &&
                   ext.HasMember("valueDecimal") && ext["valueDecimal"].IsString()) {
          x.maxSize = std::strtoull(ext["valueDecimal"].GetString(), nullptr, 10);
        }
      }
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<StructureModel> ModelCache::build(
    const conformance::StructureDefinition& sd) const {
  auto m = std::make_unique<StructureModel>();
  const bool core = sd.url.rfind("http://hl7.org/fhir/StructureDefinition/", 0) == 0 &&
                    sd.file.rfind("hl7.fhir.r4.core", 0) == 0;
  const auto extras =
      core ? std::unordered_map<std::string, Extras>() : readExtras(context_, sd.url);
  m->sd_ = &sd;
  m->label_ = sd.version.empty() ? sd.url : sd.url + "|" + sd.version;
  std::unordered_map<std::string, ElementNode*> byId;
  for (const conformance::ElementDefinition& e : sd.snapshot) {
    ElementNode& node = m->nodes_.emplace_back();
    node.def = &e;
    const std::string id = effectiveId(e);
    const size_t dot = e.path.rfind('.');
    std::string name = dot == std::string::npos ? e.path : e.path.substr(dot + 1);
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "[x]") == 0) {
      name.resize(name.size() - 3);
      node.choice = true;
    }
    node.name = std::move(name);
    for (const conformance::TypeRef& t : e.types) {
      std::string code = std::string(conformance::fhirTypeForCode(t.code));
      if (t.code.rfind("http://hl7.org/fhirpath/System.", 0) == 0 && !e.fhirTypeExtension.empty()) {
        code = e.fhirTypeExtension;
      }
      if (std::find(node.types.begin(), node.types.end(), code) == node.types.end()) {
        node.types.push_back(std::move(code));
      }
    }
    if (e.basePath == "Resource.id") node.types = {"id"};
    if (m->nodes_.size() > 1) {
      const size_t idDot = id.rfind('.');
      const size_t idColon = id.rfind(':');
      if (idColon != std::string::npos && (idDot == std::string::npos || idColon > idDot)) {
        auto it = byId.find(id.substr(0, idColon));
        // A re-slice ("actionType/Single") is a slice of the slice before the '/'.
        const size_t bar = e.sliceName.rfind('/');
        if (bar != std::string::npos) {
          auto parentSlice = byId.find(id.substr(0, idColon) + ":" + e.sliceName.substr(0, bar));
          if (parentSlice != byId.end()) it = parentSlice;
        }
        if (it != byId.end()) {
          node.slicedBy = it->second;
          node.parent = it->second->parent;
          it->second->slices.push_back(&node);
        }
      } else if (idDot != std::string::npos) {
        auto it = byId.find(id.substr(0, idDot));
        if (it != byId.end()) {
          node.parent = it->second;
          it->second->children.push_back(&node);
        }
      }
    }
    byId[id] = &node;
    m->ids_.emplace_back(id, &node);
    if (auto x = extras.find(id); x != extras.end()) {
      node.minLength = x->second.minLength;
      node.mustHaveValue = x->second.mustHaveValue;
      node.languageControl = x->second.languageControl;
      node.maxSize = x->second.maxSize;
      node.valueAlternatives = x->second.valueAlternatives;
    }
    if (!e.fixedName.empty())
      node.fixed = readValueSpec("fixed", e.fixedName, e.fixedJson, context_);
    if (!e.patternName.empty()) {
      node.pattern = readValueSpec("pattern", e.patternName, e.patternJson, context_);
    }
    for (const conformance::Constraint& c : e.constraints) {
      Invariant inv;
      inv.constraint = &c;
      inv.severity = c.severity == "error" ? core::Severity::Error : core::Severity::Warning;
      if (c.expression == kEle1) {
        inv.native = Invariant::Native::Ele1;
      } else if (c.expression == kExt1) {
        inv.native = Invariant::Native::Ext1;
      } else if (c.key == "txt-1" && c.expression.find("htmlChecks") != std::string::npos) {
        inv.native = Invariant::Native::Txt1;
      } else if (c.key == "txt-2" && c.expression.find("htmlChecks") != std::string::npos) {
        inv.native = Invariant::Native::Txt2;
      } else if (c.key == "dom-3" && c.expression.rfind("contained.where(", 0) == 0) {
        inv.native = Invariant::Native::Dom3;
      } else if ((inv.regex = wholeMatch(c.expression, inv.matchChild))) {
        inv.native = Invariant::Native::WholeMatch;
      } else if (!compileInvariants_ || c.expression.empty()) {
        continue;
      } else {
#if TB_HAVE_FHIRPATH
        fhirpath::CompileOptions options;
        options.types = &context_;
        auto compiled = fhirpath::ExpressionCache::global().get(c.expression, options);
        if (compiled) {
          inv.expression = compiled.expression();
        } else {
          inv.compileError = compiled.error().toString();
        }
#else
        continue;
#endif
      }
      node.invariants.push_back(std::move(inv));
    }
  }
  for (ElementNode& node : m->nodes_) {
    const std::string& ref = node.def->contentReference;
    if (ref.empty()) continue;
    const std::string target = ref.substr(ref.find('#') + 1);
    auto it = byId.find(target);
    if (it != byId.end()) node.contentReference = it->second;
  }
  return m;
}

}  // namespace trialbridge::validation
