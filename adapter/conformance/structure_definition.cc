#include "conformance/structure_definition.h"

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "core/json.h"
#include "core/rapidjson_util.h"

namespace trialbridge::conformance {

using core::rj::eachItem;
using core::rj::member;
using core::rj::stringMember;

namespace {

using Value = rapidjson::Value;

bool boolean(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string toJson(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

uint32_t parseMax(const std::string& max) {
  if (max == "*") return ElementDefinition::kUnbounded;
  uint32_t v = 1;
  std::from_chars(max.data(), max.data() + max.size(), v);
  return v;
}

// The value of the extension with this URL on obj, as a string, or "".
constexpr std::string_view kBestPracticeExtension =
    "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice";

std::string extensionString(const Value& obj, std::string_view url, const char* valueName) {
  std::string out;
  eachItem(obj, "extension", [&](const Value& ext) {
    if (out.empty() && ext.IsObject() && stringMember(ext, "url") == url)
      out = stringMember(ext, valueName);
  });
  return out;
}

// The first member named <prefix>[Type]: its name and JSON text.
void choiceValue(const Value& obj, std::string_view prefix, std::string& name, std::string& json) {
  for (auto& m : obj.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix &&
        std::isupper(static_cast<unsigned char>(key[prefix.size()]))) {
      name = std::string(key);
      json = toJson(m.value);
      return;
    }
  }
}

ElementDefinition readElement(const Value& e) {
  ElementDefinition d;
  d.id = stringMember(e, "id");
  d.path = stringMember(e, "path");
  d.sliceName = stringMember(e, "sliceName");
  d.shortText = stringMember(e, "short");
  if (const Value* v = member(e, "min"); v != nullptr && v->IsUint()) d.min = v->GetUint();
  d.maxText = stringMember(e, "max");
  if (!d.maxText.empty()) d.max = parseMax(d.maxText);
  if (const Value* b = member(e, "base"); b != nullptr && b->IsObject()) {
    d.basePath = stringMember(*b, "path");
    if (const Value* v = member(*b, "min"); v != nullptr && v->IsUint()) d.baseMin = v->GetUint();
    d.baseMax = stringMember(*b, "max");
  }
  eachItem(e, "type", [&](const Value& t) {
    if (!t.IsObject()) return;
    TypeRef ref;
    ref.code = stringMember(t, "code");
    eachItem(t, "profile", [&](const Value& p) {
      if (p.IsString()) ref.profiles.emplace_back(p.GetString());
    });
    eachItem(t, "targetProfile", [&](const Value& p) {
      if (p.IsString()) ref.targetProfiles.emplace_back(p.GetString());
    });
    eachItem(t, "aggregation", [&](const Value& p) {
      if (p.IsString()) ref.aggregation.emplace_back(p.GetString());
    });
    if (d.fhirTypeExtension.empty()) {
      d.fhirTypeExtension = extensionString(
          t, "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type", "valueUrl");
      if (d.fhirTypeExtension.empty()) {
        d.fhirTypeExtension = extensionString(
            t, "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type", "valueUri");
      }
    }
    if (d.regex.empty()) {
      d.regex = extensionString(t, "http://hl7.org/fhir/StructureDefinition/regex", "valueString");
    }
    d.types.push_back(std::move(ref));
  });
  d.contentReference = stringMember(e, "contentReference");
  eachItem(e, "representation", [&](const Value& r) {
    if (r.IsString()) d.representation.emplace_back(r.GetString());
  });
  if (const Value* s = member(e, "slicing"); s != nullptr && s->IsObject()) {
    Slicing sl;
    eachItem(*s, "discriminator", [&](const Value& di) {
      if (di.IsObject())
        sl.discriminators.push_back({stringMember(di, "type"), stringMember(di, "path")});
    });
    sl.description = stringMember(*s, "description");
    sl.ordered = boolean(*s, "ordered");
    sl.rules = stringMember(*s, "rules");
    d.slicing = std::move(sl);
  }
  eachItem(e, "constraint", [&](const Value& c) {
    if (!c.IsObject()) return;
    d.constraints.push_back(Constraint{stringMember(c, "key"), stringMember(c, "severity"),
                                       stringMember(c, "human"), stringMember(c, "expression"),
                                       stringMember(c, "xpath"), stringMember(c, "source")});
    eachItem(c, "extension", [&](const Value& ext) {
      if (ext.IsObject() && stringMember(ext, "url") == kBestPracticeExtension) {
        d.constraints.back().bestPractice = boolean(ext, "valueBoolean");
      }
    });
  });
  eachItem(e, "condition", [&](const Value& c) {
    if (c.IsString()) d.conditions.emplace_back(c.GetString());
  });
  if (const Value* b = member(e, "binding"); b != nullptr && b->IsObject()) {
    d.binding = Binding{stringMember(*b, "strength"), stringMember(*b, "valueSet"),
                        stringMember(*b, "description")};
  }
  choiceValue(e, "fixed", d.fixedName, d.fixedJson);
  choiceValue(e, "pattern", d.patternName, d.patternJson);
  choiceValue(e, "minValue", d.minValueName, d.minValueJson);
  choiceValue(e, "maxValue", d.maxValueName, d.maxValueJson);
  if (const Value* v = member(e, "maxLength"); v != nullptr && v->IsInt64())
    d.maxLength = v->GetInt64();
  d.mustSupport = boolean(e, "mustSupport");
  d.isModifier = boolean(e, "isModifier");
  d.isSummary = boolean(e, "isSummary");
  return d;
}

}  // namespace

core::Result<StructureDefinition> parseStructureDefinition(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    uint32_t line = 0, column = 0;
    core::lineColumnOf(json, doc.GetErrorOffset(), line, column);
    return core::Result<StructureDefinition>::error("invalid JSON at " + std::to_string(line) +
                                                    ":" + std::to_string(column));
  }
  if (!doc.IsObject() || stringMember(doc, "resourceType") != "StructureDefinition") {
    return core::Result<StructureDefinition>::error("not a StructureDefinition");
  }
  StructureDefinition sd;
  sd.url = stringMember(doc, "url");
  sd.version = stringMember(doc, "version");
  sd.name = stringMember(doc, "name");
  sd.title = stringMember(doc, "title");
  sd.status = stringMember(doc, "status");
  sd.kind = stringMember(doc, "kind");
  sd.isAbstract = boolean(doc, "abstract");
  sd.type = stringMember(doc, "type");
  sd.baseDefinition = stringMember(doc, "baseDefinition");
  sd.derivation = stringMember(doc, "derivation");
  eachItem(doc, "context", [&](const Value& c) {
    if (!c.IsObject()) return;
    if (stringMember(c, "type") == "element" || stringMember(c, "type") == "extension") {
      sd.contextTypes.push_back(stringMember(c, "expression"));
    } else {
      sd.contextExpressions.push_back(stringMember(c, "expression"));
    }
  });
  eachItem(doc, "contextInvariant", [&](const Value& c) {
    if (c.IsString()) sd.contextInvariants.emplace_back(c.GetString());
  });
  for (const char* part : {"snapshot", "differential"}) {
    const Value* p = member(doc, part);
    if (p == nullptr || !p->IsObject()) continue;
    auto& out = part[0] == 's' ? sd.snapshot : sd.differential;
    eachItem(*p, "element", [&](const Value& e) {
      if (e.IsObject()) out.push_back(readElement(e));
    });
  }
  return sd;
}

}  // namespace trialbridge::conformance
