#include "conformance/type_model.h"

#include <algorithm>
#include <unordered_map>

namespace trialbridge::conformance {

using core::PropertyInfo;
using core::TypeInfo;
using core::TypeKind;

namespace {

constexpr std::string_view kSystemPrefix = "http://hl7.org/fhirpath/System.";

std::string_view lastSegment(std::string_view s, char sep) {
  const size_t p = s.rfind(sep);
  return p == std::string_view::npos ? s : s.substr(p + 1);
}

}  // namespace

std::string_view fhirTypeForCode(std::string_view code) {
  if (code.substr(0, kSystemPrefix.size()) != kSystemPrefix) return code;
  const std::string_view sys = code.substr(kSystemPrefix.size());
  if (sys == "String") return "string";
  if (sys == "Boolean") return "boolean";
  if (sys == "Integer") return "integer";
  if (sys == "Decimal") return "decimal";
  if (sys == "Date") return "date";
  if (sys == "DateTime") return "dateTime";
  if (sys == "Time") return "time";
  return "string";
}

std::vector<std::unique_ptr<TypeInfo>> buildTypes(const StructureDefinition& sd,
                                                  const core::TypeResolver* resolver) {
  std::vector<std::unique_ptr<TypeInfo>> out;
  if (sd.snapshot.empty()) return out;
  auto root = std::make_unique<TypeInfo>();
  root->name = sd.type;
  root->fhirType = sd.type;
  root->url = sd.url;
  root->baseName = std::string(lastSegment(sd.baseDefinition, '/'));
  root->isAbstract = sd.isAbstract;
  if (sd.kind == "primitive-type") {
    root->kind = TypeKind::Primitive;
  } else if (sd.kind == "resource") {
    root->kind = TypeKind::Resource;
  } else {
    root->kind = TypeKind::Complex;
  }
  std::unordered_map<std::string, TypeInfo*> byPath;  // element path -> type owning its children
  byPath[sd.snapshot.front().path] = root.get();
  out.push_back(std::move(root));

  for (size_t i = 1; i < sd.snapshot.size(); ++i) {
    const ElementDefinition& e = sd.snapshot[i];
    if (!e.sliceName.empty() || e.id.find(':') != std::string::npos) continue;
    const size_t dot = e.path.rfind('.');
    if (dot == std::string::npos) continue;
    auto owner = byPath.find(e.path.substr(0, dot));
    if (owner == byPath.end()) continue;
    TypeInfo* type = owner->second;
    std::string name = e.path.substr(dot + 1);

    // A primitive's value: not a property; it tells the value's System type and regex.
    if (type->kind == TypeKind::Primitive && name == "value") {
      const std::string code = e.types.empty() ? std::string() : e.types.front().code;
      const std::string_view sys = code.size() > kSystemPrefix.size() &&
                                           code.substr(0, kSystemPrefix.size()) == kSystemPrefix
                                       ? std::string_view(code).substr(kSystemPrefix.size())
                                       : std::string_view("String");
      type->systemType = std::string(sys);
      type->valueRegex = e.regex;
      type->jsonKind = sys == "Boolean"                         ? core::JsonKind::Boolean
                       : (sys == "Integer" || sys == "Decimal") ? core::JsonKind::Number
                                                                : core::JsonKind::String;
      continue;
    }

    PropertyInfo p;
    p.path = e.path;
    p.min = e.min;
    p.max = e.max == ElementDefinition::kUnbounded ? PropertyInfo::kUnbounded : e.max;
    p.summary = e.isSummary;
    p.modifier = e.isModifier;
    p.definition = &e;
    p.xmlAttribute = std::find(e.representation.begin(), e.representation.end(), "xmlAttr") !=
                     e.representation.end();
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "[x]") == 0) {
      name.resize(name.size() - 3);
      p.choice = true;
    }
    p.name = name;
    if (!e.contentReference.empty()) {
      p.typeCodes.push_back(e.contentReference.substr(e.contentReference.find('#') + 1));
    } else if (e.types.size() == 1 &&
               (e.types[0].code == "BackboneElement" || e.types[0].code == "Element") &&
               i + 1 < sd.snapshot.size() && sd.snapshot[i + 1].path.rfind(e.path + ".", 0) == 0) {
      // An element defined inline: a backbone type named by its path.
      auto backbone = std::make_unique<TypeInfo>();
      backbone->name = e.path;
      backbone->fhirType = e.types[0].code;
      backbone->url = sd.url;
      backbone->baseName = e.types[0].code;
      backbone->kind = TypeKind::Backbone;
      byPath[e.path] = backbone.get();
      p.typeCodes.push_back(e.path);
      out.push_back(std::move(backbone));
    } else if (e.basePath == "Resource.id") {
      // The R4 4.0.1 snapshots give Resource.id the fhir-type "string"; the specification (and
      // the id rules every validator applies) make it an `id`.
      p.typeCodes.push_back("id");
    } else {
      for (const TypeRef& t : e.types) {
        std::string code = t.code.rfind(kSystemPrefix, 0) == 0 && !e.fhirTypeExtension.empty()
                               ? e.fhirTypeExtension
                               : std::string(fhirTypeForCode(t.code));
        if (std::find(p.typeCodes.begin(), p.typeCodes.end(), code) == p.typeCodes.end()) {
          p.typeCodes.push_back(std::move(code));
        }
      }
    }
    type->properties.push_back(std::move(p));
  }
  TypeInfo& type = *out.front();
  if (type.isPrimitive() && type.systemType == "String" && resolver != nullptr &&
      type.baseName != "Element") {
    // R4 4.0.1 declares the value of positiveInt and unsignedInt as System.String; they derive
    // from integer, and their JSON form is a number. A primitive takes its base's value type.
    const TypeInfo* base = resolver->findType(type.baseName);
    if (base != nullptr && base->isPrimitive()) {
      type.systemType = base->systemType;
      type.jsonKind = base->jsonKind;
    }
  }
  for (auto& t : out) {
    for (PropertyInfo& p : t->properties) p.bind(resolver);
    t->index();
  }
  return out;
}

}  // namespace trialbridge::conformance
