#include "store/search_parameters.h"

#include <rapidjson/document.h>

#include <algorithm>

#include "conformance/context.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::store {

std::string_view paramTypeName(ParamType t) {
  switch (t) {
    case ParamType::Number: return "number";
    case ParamType::Date: return "date";
    case ParamType::String: return "string";
    case ParamType::Token: return "token";
    case ParamType::Reference: return "reference";
    case ParamType::Composite: return "composite";
    case ParamType::Quantity: return "quantity";
    case ParamType::Uri: return "uri";
    case ParamType::Special: return "special";
  }
  return "special";
}

namespace {

ParamType paramTypeOf(std::string_view s) {
  if (s == "number") return ParamType::Number;
  if (s == "date") return ParamType::Date;
  if (s == "string") return ParamType::String;
  if (s == "token") return ParamType::Token;
  if (s == "reference") return ParamType::Reference;
  if (s == "composite") return ParamType::Composite;
  if (s == "quantity") return ParamType::Quantity;
  if (s == "uri") return ParamType::Uri;
  return ParamType::Special;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\n' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\t' || s[e - 1] == '\r')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

// Top-level '|' branches (outside parentheses, brackets and string literals).
std::vector<std::string> splitUnion(std::string_view expr) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '\'' || c == '`') {
      for (++i; i < expr.size() && expr[i] != c; ++i) {
        if (expr[i] == '\\') ++i;
      }
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    } else if (c == '|' && depth == 0) {
      out.push_back(trim(expr.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(expr.substr(start)));
  return out;
}

bool isIdentChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string expressionForType(std::string_view expression, std::string_view resourceType) {
  std::string out;
  for (const std::string& branch : splitUnion(expression)) {
    size_t p = 0;
    while (p < branch.size() && (branch[p] == '(' || branch[p] == ' ')) ++p;
    size_t e = p;
    while (e < branch.size() && isIdentChar(branch[e])) ++e;
    const std::string_view first = std::string_view(branch).substr(p, e - p);
    std::string kept;
    if (first == resourceType) {
      kept = branch;
    } else if (first == "Resource" || first == "DomainResource") {
      kept = branch.substr(0, p) + std::string(resourceType) + branch.substr(e);
    } else {
      continue;
    }
    if (!out.empty()) out += " | ";
    out += kept;
  }
  return out;
}

std::string stripResolveFilter(std::string_view expression, std::string& type) {
  static constexpr std::string_view kOpen = ".where(resolve() is ";
  std::string out;
  std::string found;
  size_t pos = 0;
  while (true) {
    const size_t at = expression.find(kOpen, pos);
    if (at == std::string_view::npos) break;
    const size_t close = expression.find(')', at + kOpen.size());
    if (close == std::string_view::npos) return std::string(expression);
    const std::string t = trim(expression.substr(at + kOpen.size(), close - at - kOpen.size()));
    if (!found.empty() && found != t) return std::string(expression);
    found = t;
    out += expression.substr(pos, at - pos);
    pos = close + 1;
  }
  out += expression.substr(pos);
  type = found;
  return out;
}

SearchParameterRegistry::SearchParameterRegistry(const conformance::Context& context)
    : context_(&context) {
  std::unordered_map<std::string, size_t> byUrl;
  for (const auto& package : context.packages()) {
    const auto& resources = package->resources();
    for (size_t i = 0; i < resources.size(); ++i) {
      if (resources[i].resourceType != "SearchParameter") continue;
      auto json = package->json(i);
      if (!json) continue;
      rapidjson::Document d;
      d.Parse(json->data(), json->size());
      if (d.HasParseError() || !d.IsObject()) continue;
      Raw raw;
      auto str = [&](const char* name) -> std::string {
        auto it = d.FindMember(name);
        return it != d.MemberEnd() && it->value.IsString()
                   ? std::string(it->value.GetString(), it->value.GetStringLength())
                   : std::string();
      };
      auto list = [&](const char* name) {
        std::vector<std::string> v;
        auto it = d.FindMember(name);
        if (it != d.MemberEnd() && it->value.IsArray()) {
          for (const auto& x : it->value.GetArray()) {
            if (x.IsString()) v.emplace_back(x.GetString(), x.GetStringLength());
          }
        }
        return v;
      };
      raw.code = str("code");
      raw.url = str("url");
      raw.type = str("type");
      raw.expression = str("expression");
      raw.bases = list("base");
      raw.targets = list("target");
      if (raw.code.empty() || raw.bases.empty()) continue;
      if (!raw.url.empty()) {
        if (auto it = byUrl.find(raw.url); it != byUrl.end()) {
          raw_[it->second] = std::move(raw);  // a later package redefines it
          continue;
        }
        byUrl.emplace(raw.url, raw_.size());
      }
      raw_.push_back(std::move(raw));
    }
  }
  for (size_t i = 0; i < raw_.size(); ++i) {
    for (const std::string& base : raw_[i].bases) byBase_[base].push_back(i);
  }
}

SearchParameterRegistry::~SearchParameterRegistry() = default;

const SearchParameterRegistry& SearchParameterRegistry::r4() {
  static const SearchParameterRegistry kRegistry(conformance::Context::r4());
  return kRegistry;
}

const SearchParameterRegistry::TypeEntry& SearchParameterRegistry::entry(
    std::string_view resourceType) const {
  std::lock_guard lock(mutex_);
  auto it = types_.find(std::string(resourceType));
  if (it != types_.end()) return *it->second;
  auto entry = std::make_unique<TypeEntry>();
  const core::TypeInfo* t = context_->findType(resourceType);
  if (t != nullptr && t->isResource() && !t->isAbstract) {
    for (const char* base : {"Resource", "DomainResource", ""}) {
      const std::string key = *base != 0 ? std::string(base) : std::string(resourceType);
      auto b = byBase_.find(key);
      if (b == byBase_.end()) continue;
      for (size_t i : b->second) {
        const Raw& raw = raw_[i];
        auto def = std::make_unique<SearchParamDef>();
        def->code = raw.code;
        def->resourceType = std::string(resourceType);
        def->type = paramTypeOf(raw.type);
        def->url = raw.url;
        def->targets = raw.targets;
        def->expression = expressionForType(raw.expression, resourceType);
        if (def->expression.empty()) def->expression = raw.expression;
        def->expression = stripResolveFilter(def->expression, def->resolveFilter);
        const bool special = def->code == "_id" || def->code == "_lastUpdated";
        if (!special && !raw.expression.empty() && def->type != ParamType::Composite &&
            def->type != ParamType::Special) {
          fhirpath::CompileOptions options;
          options.types = context_;
          auto compiled = fhirpath::compile(def->expression, options);
          if (compiled) {
            def->compiled = compiled.expression();
            def->indexed = true;
          }
        }
        if (special) def->indexed = false;
        auto existing = entry->byCode.find(def->code);
        if (existing != entry->byCode.end()) {
          // A type-specific definition replaces a common one with the same code.
          for (auto& owned : entry->owned) {
            if (owned.get() == existing->second) owned = std::move(def);
          }
          existing->second = nullptr;
          for (auto& owned : entry->owned) {
            if (owned->code == existing->first) existing->second = owned.get();
          }
          continue;
        }
        entry->byCode.emplace(def->code, def.get());
        entry->owned.push_back(std::move(def));
      }
    }
    for (const auto& d : entry->owned) entry->all.push_back(d.get());
    std::sort(entry->all.begin(), entry->all.end(),
              [](const SearchParamDef* a, const SearchParamDef* b) { return a->code < b->code; });
  }
  auto* result = entry.get();
  types_.emplace(std::string(resourceType), std::move(entry));
  return *result;
}

const SearchParamDef* SearchParameterRegistry::find(std::string_view resourceType,
                                                    std::string_view code) const {
  const TypeEntry& e = entry(resourceType);
  auto it = e.byCode.find(std::string(code));
  return it == e.byCode.end() ? nullptr : it->second;
}

const std::vector<const SearchParamDef*>& SearchParameterRegistry::forType(
    std::string_view resourceType) const {
  return entry(resourceType).all;
}

}  // namespace trialbridge::store
