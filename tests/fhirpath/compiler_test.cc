// The compiler's static checks against the whole R4 core: every invariant of every
// StructureDefinition compiles with its element's type as the static context, except the ones the
// R4 specification itself got wrong (listed here with the reason).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "conformance/context.h"
#include "conformance/structure_definition.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::fhirpath {
namespace {

// The static type of an element path ("Patient.contact.name" -> HumanName), or "" for choices,
// paths through several types and abstract resources.
std::string staticTypeOf(const conformance::Context& ctx, const std::string& root,
                         const std::string& path) {
  const core::TypeInfo* t = ctx.findType(root);
  if (t == nullptr || path.find("[x]") != std::string::npos) return "";
  size_t dot = path.find('.');
  while (dot != std::string::npos) {
    size_t next = path.find('.', dot + 1);
    const core::PropertyInfo* p = t->property(
        path.substr(dot + 1, next == std::string::npos ? std::string::npos : next - dot - 1));
    if (p == nullptr || p->typeCount() != 1 || (t = p->type(0)) == nullptr) return "";
    dot = next;
  }
  return t->isAbstractResource() ? "" : t->name;
}

TEST(Compiler, EveryR4CoreInvariantCompiles) {
  // "url key": errors in the R4 definitions themselves, which the HL7 Java validator reports too.
  const std::set<std::string> kSpecErrors = {
      // ChargeItemDefinition has no `name` element.
      "http://hl7.org/fhir/StructureDefinition/ChargeItemDefinition cid-0",
      // Logical models (patterns) without the Element/Resource `id`, or with a renamed element.
      "http://hl7.org/fhir/StructureDefinition/Definition ele-1",
      "http://hl7.org/fhir/StructureDefinition/Event ele-1",
      "http://hl7.org/fhir/StructureDefinition/Event inv-1",
      "http://hl7.org/fhir/StructureDefinition/FiveWs ele-1",
      "http://hl7.org/fhir/StructureDefinition/Request ele-1",
      // An extension invariant written for the extension's context, not for the Extension.
      "http://hl7.org/fhir/StructureDefinition/allergyintolerance-substanceExposureRisk inv-1",
  };
  const conformance::Context& ctx = conformance::Context::r4();
  size_t total = 0;
  std::set<std::string> failed;
  for (const auto& pkg : ctx.packages()) {
    for (const conformance::PackageResource& r : pkg->resources()) {
      if (r.resourceType != "StructureDefinition") continue;
      const conformance::StructureDefinition* sd = ctx.structureDefinition(r.url);
      if (sd == nullptr) continue;
      for (const conformance::ElementDefinition& e : sd->snapshot) {
        for (const conformance::Constraint& c : e.constraints) {
          if (c.expression.empty()) continue;
          ++total;
          CompileOptions options;
          options.contextType = staticTypeOf(ctx, sd->type, e.path);
          CompileResult compiled = ExpressionCache::global().get(c.expression, options);
          if (compiled) continue;
          failed.insert(sd->url + " " + c.key);
          EXPECT_TRUE(kSpecErrors.count(sd->url + " " + c.key) != 0)
              << sd->url << " " << e.path << " " << c.key << ": " << compiled.error().toString()
              << "\n  " << c.expression;
        }
      }
    }
  }
  EXPECT_GT(total, 10000u);
  for (const std::string& k : kSpecErrors)
    EXPECT_TRUE(failed.count(k) != 0) << k << " compiles now";
}

}  // namespace
}  // namespace trialbridge::fhirpath
