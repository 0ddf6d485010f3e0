#include "validation/extensions.h"

#include <algorithm>

#include "conformance/structure_definition.h"
#include "validation/check_util.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

namespace {

// Extensions of example domains and of the HL7 tools namespace: unknown is only a warning.
bool unknownAllowed(std::string_view url) {
  return url.find("example.org") != std::string_view::npos ||
         url.find("acme.com") != std::string_view::npos ||
         url.find("nema.org") != std::string_view::npos ||
         url.starts_with("http://hl7.org/fhir/tools/StructureDefinition/");
}

std::string withoutChoiceSuffix(std::string p) {
  if (p.size() > 3 && p.compare(p.size() - 3, 3, "[x]") == 0) p.resize(p.size() - 3);
  return p;
}

// What the host element of an extension is, as extension contexts name it: its type names, up
// the type hierarchy, and its path (and its base path, through a profile).
std::vector<std::string> hostNames(const Element& host, const core::TypeResolver& types) {
  std::vector<std::string> names;
  const core::TypeInfo* t = &host.type();
  for (int i = 0; t != nullptr && i < 10; ++i) {
    names.push_back(t->name);
    if (t->fhirType != t->name) names.push_back(t->fhirType);
    if (t->baseName.empty()) break;
    t = types.findType(t->baseName);
  }
  if (host.property() != nullptr) {
    const std::string p = withoutChoiceSuffix(host.property()->path);
    names.push_back(p);
    if (const auto* d = static_cast<const ElementDefinition*>(host.property()->definition)) {
      const std::string b = withoutChoiceSuffix(d->basePath);
      if (!b.empty() && b != p) names.push_back(b);
    }
  }
  return names;
}

}  // namespace

const StructureModel* Extensions::check(const Element& ext) {
  const std::string_view url = childValue(ext, "url");
  if (url.empty()) {
    rep_.error(IssueType::Invalid, &ext,
               "Extension.url is required in order to identify, use and validate the extension");
    return nullptr;
  }
  if (url.find("://") == std::string_view::npos && !url.starts_with("urn:")) {
    // Only the sub-extensions of a complex extension are named relatively (extensibility.html).
    const Element* host = ext.parent();
    if (host == nullptr || host->type().name != "Extension") {
      rep_.error(IssueType::Invalid, &ext,
                 "The extension's url '" + std::string(url) +
                     "' is not absolute (only the sub-extensions of a complex extension have "
                     "relative names)");
    }
    return nullptr;
  }
  if (url.find('|') != std::string_view::npos) {
    rep_.error(IssueType::Invalid, &ext, "The extension URL must not contain a version");
  }
  std::string error;
  const StructureModel* em = defs_.models().get(versionless(url), &error);
  if (em == nullptr) {
    if (url.starts_with(kCoreSd)) {
      // An HL7 extension published outside the R4 core package (the extensions pack).
      rep_.information(IssueType::NotSupported, &ext,
                       "The extension " + std::string(url) +
                           " is not loaded (it is not part of the R4 core package), so it was "
                           "not checked");
    } else if (unknownAllowed(url) || !options_.strictExtensions) {
      rep_.warning(IssueType::Structure, &ext,
                   "The extension " + std::string(url) + " is unknown, and not allowed here");
    } else {
      rep_.error(
          IssueType::Structure, &ext,
          "The extension " + std::string(url) + " could not be found so is not allowed here");
    }
    return nullptr;
  }
  if (em->sd().type != "Extension") {
    rep_.error(IssueType::Structure, &ext,
               "The URL " + std::string(url) + " names a " + em->sd().type +
                   " definition, not an extension");
    return nullptr;
  }
  checkContext(ext, *em);
  return em;
}

// Whether the definition's context types allow the extension on `host`, or (when there are
// FHIRPath context expressions) whether the host is among what they select from its resource.
bool Extensions::contextAllows(const conformance::StructureDefinition& sd, const Element& host,
                               const std::vector<std::string>& names) const {
  const std::string_view hostUrl =
      host.type().name == "Extension" ? childValue(host, "url") : std::string_view();
  for (const std::string& c : sd.contextTypes) {
    if (c == "Element" || c == "Base" || std::find(names.begin(), names.end(), c) != names.end()) {
      return true;
    }
    if (!hostUrl.empty() && (c == hostUrl || versionless(c) == hostUrl)) return true;
    if (c.find('.') != std::string::npos && host.property() != nullptr) {
      // "Patient.name" also matches the same element reached through a profile's path; a
      // context on a child of the host is taken as the host (as the Java validator does).
      const std::string& p = host.property()->path;
      if (p == c || p + "[x]" == c || c.starts_with(p + ".")) return true;
    } else if (c.find('#') != std::string::npos && !hostUrl.empty()) {
      if (c.substr(0, c.find('#')) == hostUrl) return true;
    }
  }
  const Element* res = host.resource();
  for (const std::string& expr : sd.contextExpressions) {
    if (res == nullptr) break;
    auto selected = fhirpath_.evaluate(expr, *res);
    if (!selected) return true;  // cannot tell
    if (std::find(selected->begin(), selected->end(), &host) != selected->end()) return true;
  }
  return false;
}

void Extensions::checkContext(const Element& ext, const StructureModel& em) {
  const conformance::StructureDefinition& sd = em.sd();
  if (sd.contextTypes.empty() && sd.contextExpressions.empty()) return;
  const Element* host = ext.parent();
  if (host == nullptr) return;
  const std::vector<std::string> names = hostNames(*host, defs_.context());
  if (!contextAllows(sd, *host, names)) {
    std::string here;
    for (const std::string& n : names) {
      if (n == "Element" || n == "Base" || n == "DataType") continue;
      here += (here.empty() ? "" : ", ") + n;
    }
    rep_.error(IssueType::Structure, &ext,
               "The extension " + sd.url +
                   " is not allowed to be used at this point (this "
                   "element is [" +
                   here + "]; allowed = " + joinList(sd.contextTypes) + ")");
    return;
  }
  for (const std::string& inv : sd.contextInvariants) {
    std::optional<bool> b;
    auto r = fhirpath_.evaluate(inv, *host, &b);
    if (r && b.has_value() && !*b) {
      rep_.error(IssueType::Structure, &ext,
                 "The extension " + sd.url +
                     " is not allowed to be used at this point (based on context invariant '" +
                     inv + "')");
    }
  }
}

}  // namespace trialbridge::validation
