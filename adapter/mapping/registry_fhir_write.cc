// Registry record -> FHIR (registry_fhir.h): the writing half of the import, the inverse of
// registry_fhir_read.cc. The ResearchStudy parts the trial mapper also writes come from
// study_elements.
#include <cctype>
#include <set>
#include <string>

#include "conformance/profiles.h"
#include "core/text.h"
#include "mapping/bundle_builder.h"
#include "mapping/registry_fhir.h"
#include "mapping/registry_tables.h"
#include "mapping/study_elements.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::Vocabulary;

namespace {

using core::Element;
namespace p = conformance::profiles;

constexpr std::string_view kPubmed = "https://pubmed.ncbi.nlm.nih.gov/";

// A FHIR id part from free text: lower-case letters and digits, others as '-', at most 40.
std::string idFrom(std::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() == 40) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

class Writer {
 public:
  Writer(const RegistryRecord& r, const core::TypeResolver& types,
         const RegistryImportOptions& options)
      : r_(r), tx_(types, options.fullUrlBase), b_(tx_.builder()), id_(registryStudyId(r)) {}

  std::unique_ptr<core::Document> write() {
    organizations();
    Element* study = tx_.addResource("ResearchStudy", id_, {});
    const std::string primary = r_.nctId.empty() ? r_.orgStudyId : r_.nctId;
    b_.narrative(study, primary + ": " +
                            (r_.officialTitle.empty() ? r_.briefTitle : r_.officialTitle) +
                            "\nStatus: " + r_.overallStatus + " (imported registry record)");
    researchStudy(study);
    group();
    officials(study);
    locations(study);
    return tx_.release();
  }

 private:
  static std::string ref(std::string_view type, const std::string& id) {
    return std::string(type) + "/" + id;
  }

  // The Organizations: the lead sponsor, the collaborators and the study's organization (one
  // resource a name and class).
  void organizations() {
    auto add = [&](const RegistryOrganization& o, const std::string& suffix) {
      if (o.name.empty() || orgIds_.count(key(o)) > 0) return;
      const std::string id = id_ + "-org-" + suffix;
      orgIds_[key(o)] = id;
      orgByName_.emplace(o.name, id);
      Element* org = tx_.addResource("Organization", id, {});
      b_.narrative(org, "Organization: " + o.name);
      b_.primitive(org, "active", "true");
      if (!o.klass.empty())
        b_.codeable(org, "type", p::codeSystem("tb-organization-class"),
                    elements::localCode(o.klass));
      b_.primitive(org, "name", o.name);
    };
    add(r_.leadSponsor, "sponsor");
    for (size_t i = 0; i < r_.collaborators.size(); ++i)
      add(r_.collaborators[i], "collaborator-" + std::to_string(i + 1));
    if (!r_.orgStudyId.empty()) add(r_.organization, "responsible");
  }

  static std::string key(const RegistryOrganization& o) { return o.name + "|" + o.klass; }

  void organizationReference(Element* parent, std::string_view name,
                             const RegistryOrganization& o) {
    auto it = orgIds_.find(key(o));
    b_.reference(parent, name,
                 it == orgIds_.end() ? std::string() : ref("Organization", it->second), o.name);
  }

  void identifiers(Element* study) {
    const Vocabulary& v = Vocabulary::get();
    if (!r_.nctId.empty()) {
      Element* x = b_.add(study, "identifier");
      b_.primitive(x, "use", "official");
      b_.primitive(x, "system", v.registry("nct")->system);
      b_.primitive(x, "value", r_.nctId);
      if (!r_.firstSubmitDate.empty())
        b_.primitive(b_.add(x, "period"), "start", r_.firstSubmitDate);
      b_.reference(x, "assigner", {}, v.registry("nct")->display);
    }
    if (!r_.orgStudyId.empty()) {
      Element* x = b_.add(study, "identifier");
      b_.primitive(x, "use", r_.nctId.empty() ? "official" : "secondary");
      b_.codeable(x, "type", p::codeSystem("tb-identifier-type"), "sponsor-protocol");
      b_.primitive(x, "value", r_.orgStudyId);
      if (!r_.organization.name.empty()) organizationReference(x, "assigner", r_.organization);
    }
    for (const RegistrySecondaryId& s : r_.secondaryIds) {
      Element* x = b_.add(study, "identifier");
      if (!s.type.empty())
        b_.primitive(b_.extension(x, p::kExtSecondaryIdType), "valueCode", s.type);
      b_.primitive(x, "use", "secondary");
      // The registry's system when the value has its form (EudraCT, EU CT, ISRCTN...).
      std::string registry;
      if (s.type == "EUDRACT_NUMBER" || s.type == "REGISTRY") registry = v.registryOfValue(s.id);
      if (!registry.empty()) b_.primitive(x, "system", v.registry(registry)->system);
      b_.primitive(x, "value", s.id);
      if (!s.domain.empty()) b_.reference(x, "assigner", {}, s.domain);
    }
  }

  void researchStudy(Element* study) {
    elements::titles(b_, study, r_.briefTitle, r_.officialTitle, r_.acronym);
    identifiers(study);
    elements::studyStatus(b_, study, r_.overallStatus.empty() ? "UNKNOWN" : r_.overallStatus,
                          r_.lastKnownStatus, r_.whyStopped, r_.statusVerifiedDate);
    elements::phase(b_, study, r_.phases);
    elements::design(
        b_, study,
        {r_.studyType, r_.primaryPurpose, r_.allocation, r_.interventionModel, r_.masking,
         r_.whoMasked, r_.observationalModel, r_.timePerspective, r_.samplingMethod});
    elements::designDetail(b_, study,
                           {r_.interventionModelDescription, r_.maskingDescription,
                            r_.bioSpecRetention, r_.bioSpecDescription});
    elements::doseEscalation(b_, study, r_.escalationRule, r_.escalationDescription,
                             r_.escalationTargetRate);
    for (const RegistryIntervention& i : r_.interventions) elements::intervention(b_, study, i);
    for (const std::string& c : r_.conditions) b_.primitive(b_.add(study, "condition"), "text", c);
    for (const RegistryContact& c : r_.centralContacts) {
      Element* cd = b_.add(study, "contact");
      b_.primitive(cd, "name", c.name);
      telecom(cd, c);
    }
    for (const std::string& k : r_.keywords) b_.primitive(b_.add(study, "keyword"), "text", k);
    std::set<std::string> countries;
    for (const RegistryLocation& l : r_.locations) {
      const std::string code = RegistryTables::get().countryCode(l.country);
      if (!code.empty() && countries.insert(code).second)
        b_.codeable(study, "location", "urn:iso:std:iso:3166", code);
    }
    elements::descriptions(b_, study, r_.briefSummary, r_.detailedDescription);
    b_.reference(study, "enrollment", ref("Group", id_ + "-eligibility"), {});
    elements::dates(b_, study, r_.startDate, r_.primaryCompletionDate, r_.completionDate);
    if (!r_.leadSponsor.name.empty()) organizationReference(study, "sponsor", r_.leadSponsor);
    for (const RegistryOrganization& c : r_.collaborators)
      organizationReference(b_.extension(study, p::kExtCollaborator), "valueReference", c);
    for (size_t i = 0; i < r_.overallOfficials.size(); ++i) {
      if (r_.overallOfficials[i].role == "PRINCIPAL_INVESTIGATOR") {
        b_.reference(study, "principalInvestigator",
                     ref("PractitionerRole", id_ + "-official-" + std::to_string(i + 1)),
                     r_.overallOfficials[i].name);
        break;
      }
    }
    for (size_t i = 0; i < r_.locations.size(); ++i) {
      b_.reference(study, "site", ref("Location", siteId(i)), r_.locations[i].facility);
    }
    for (const RegistryArmGroup& a : r_.armGroups) elements::arm(b_, study, a);
    for (const RegistryOutcome& o : r_.outcomes) elements::outcome(b_, study, o);
    references(study);
    registryOnly(study);
  }

  void references(Element* study) {
    for (const RegistryReference& ref : r_.references) {
      Element* a = b_.add(study, "relatedArtifact");
      if (!ref.type.empty())
        b_.primitive(b_.extension(a, p::kExtReferenceType), "valueCode",
                     elements::localCode(ref.type));
      b_.primitive(a, "type", "citation");
      b_.primitive(a, "citation", ref.citation);
      if (!ref.pmid.empty()) b_.primitive(a, "url", std::string(kPubmed) + ref.pmid);
    }
    for (const RegistryLink& l : r_.seeAlsoLinks) {
      Element* a = b_.add(study, "relatedArtifact");
      b_.primitive(a, "type", "documentation");
      b_.primitive(a, "display", l.label);
      b_.primitive(a, "url", l.url);
    }
  }

  // What only a registry says: oversight, IPD sharing, results, and what could not be mapped.
  void registryOnly(Element* study) {
    if (r_.oversightHasDmc || r_.isFdaRegulatedDrug || r_.isFdaRegulatedDevice) {
      Element* x = b_.extension(study, p::kExtOversight);
      auto flag = [&](const char* name, const std::optional<bool>& v) {
        if (v) elements::part(b_, x, name, "valueBoolean", *v ? "true" : "false");
      };
      flag("hasDmc", r_.oversightHasDmc);
      flag("fdaRegulatedDrug", r_.isFdaRegulatedDrug);
      flag("fdaRegulatedDevice", r_.isFdaRegulatedDevice);
    }
    if (const auto& ipd = r_.ipdSharing) {
      Element* x = b_.extension(study, p::kExtIpdSharing);
      elements::part(b_, x, "sharing", "valueCode", ipd->sharing);
      elements::part(b_, x, "description", "valueMarkdown", ipd->description);
      for (const std::string& t : ipd->infoTypes) elements::part(b_, x, "infoType", "valueCode", t);
      elements::part(b_, x, "timeFrame", "valueString", ipd->timeFrame);
      elements::part(b_, x, "accessCriteria", "valueMarkdown", ipd->accessCriteria);
      elements::part(b_, x, "url", "valueUri", ipd->url);
    }
    if (r_.hasResults) {
      b_.primitive(b_.extension(study, p::kExtHasResults), "valueBoolean",
                   *r_.hasResults ? "true" : "false");
    }
    for (const RegistryUnmapped& u : r_.unmapped) {
      Element* x = b_.extension(study, p::kExtRegistryUnmapped);
      elements::part(b_, x, "path", "valueString", u.path);
      elements::part(b_, x, "reason", "valueString", u.reason);
      elements::part(b_, x, "value", "valueString", u.json);
    }
  }

  void group() {
    Element* g = tx_.addResource("Group", id_ + "-eligibility", {});
    b_.narrative(g, "Eligibility and enrollment of " +
                        (r_.nctId.empty() ? r_.orgStudyId : r_.nctId) +
                        " (imported registry record)");
    b_.primitive(g, "type", "person");
    b_.primitive(g, "actual", "false");
    elements::enrollment(b_, g, r_.enrollmentCount ? std::to_string(*r_.enrollmentCount) : "",
                         r_.enrollmentType);
    if (!r_.studyPopulation.empty())
      b_.primitive(b_.extension(g, p::kExtStudyPopulation), "valueMarkdown", r_.studyPopulation);
    elements::ageRange(b_, g, elements::parseAge(r_.minimumAge), elements::parseAge(r_.maximumAge));
    elements::sexAndVolunteers(b_, g, r_.sex, r_.healthyVolunteers);
    std::vector<std::string> inclusion, exclusion;
    elements::splitCriteria(r_.eligibilityCriteria, inclusion, exclusion);
    std::vector<study::Criterion> inc, exc;
    for (const std::string& c : inclusion) inc.push_back({{}, c});
    for (const std::string& c : exclusion) exc.push_back({{}, c});
    elements::criteria(b_, g, inc, exc);
    // The text as registered, when the items do not give it back exactly.
    if (!r_.eligibilityCriteria.empty() &&
        elements::criteriaText(inclusion, exclusion) != r_.eligibilityCriteria) {
      b_.primitive(b_.extension(g, p::kExtEligibilityCriteria), "valueMarkdown",
                   r_.eligibilityCriteria);
    }
  }

  void officials(Element* /*study*/) {
    for (size_t i = 0; i < r_.overallOfficials.size(); ++i) {
      const RegistryOfficial& o = r_.overallOfficials[i];
      Element* role =
          tx_.addResource("PractitionerRole", id_ + "-official-" + std::to_string(i + 1), {});
      b_.narrative(role, "Study official: " + o.name + " (" + o.role + ")");
      b_.primitive(role, "active", "true");
      if (!o.name.empty()) b_.reference(role, "practitioner", {}, o.name);
      if (!o.affiliation.empty()) {
        auto it = orgByName_.find(o.affiliation);
        b_.reference(role, "organization",
                     it == orgByName_.end() ? std::string() : ref("Organization", it->second),
                     o.affiliation);
      }
      if (!o.role.empty())
        b_.codeable(role, "code", p::codeSystem("tb-contact-role"), elements::localCode(o.role));
    }
  }

  std::string siteId(size_t i) const { return id_ + "-site-" + std::to_string(i + 1); }

  void locations(Element* /*study*/) {
    for (size_t i = 0; i < r_.locations.size(); ++i) {
      const RegistryLocation& l = r_.locations[i];
      Element* loc = tx_.addResource("Location", siteId(i), {});
      b_.narrative(loc, "Trial site: " + l.facility +
                            (l.status.empty() ? std::string() : " (" + l.status + ")"));
      elements::siteStatus(b_, loc, l.status);
      b_.primitive(loc, "name", l.facility);
      if (!l.city.empty() || !l.state.empty() || !l.zip.empty() || !l.country.empty()) {
        Element* a = b_.add(loc, "address");
        b_.primitive(a, "city", l.city);
        b_.primitive(a, "state", l.state);
        b_.primitive(a, "postalCode", l.zip);
        const std::string code = RegistryTables::get().countryCode(l.country);
        b_.primitive(a, "country", code.empty() ? l.country : code);
      }
      if (!l.latitude.empty() && !l.longitude.empty()) {
        Element* pos = b_.add(loc, "position");
        b_.primitive(pos, "longitude", l.longitude);
        b_.primitive(pos, "latitude", l.latitude);
      }
      for (size_t k = 0; k < l.contacts.size(); ++k) {
        const RegistryContact& c = l.contacts[k];
        Element* role = tx_.addResource("PractitionerRole",
                                        siteId(i) + "-contact-" + std::to_string(k + 1), {});
        b_.narrative(role, "Site contact: " + (c.name.empty() ? std::string("(no name)") : c.name));
        b_.primitive(role, "active", "true");
        if (!c.name.empty()) b_.reference(role, "practitioner", {}, c.name);
        if (!c.role.empty())
          b_.codeable(role, "code", p::codeSystem("tb-contact-role"), elements::localCode(c.role));
        b_.reference(role, "location", ref("Location", siteId(i)), l.facility);
        telecom(role, c);
      }
    }
  }

  void telecom(Element* parent, const RegistryContact& c) {
    for (const auto& [system, v] : {std::pair{"phone", &c.phone}, std::pair{"email", &c.email}}) {
      if (v->empty()) continue;
      Element* t = b_.add(parent, "telecom");
      b_.primitive(t, "system", system);
      b_.primitive(t, "value", *v);
    }
  }

  const RegistryRecord& r_;
  TransactionBuilder tx_;
  ResourceBuilder& b_;
  std::string id_;
  std::map<std::string, std::string> orgIds_;     // "name|class" -> resource id
  std::map<std::string, std::string> orgByName_;  // name -> the first resource of that name
};

}  // namespace

std::string registryStudyId(const RegistryRecord& record) {
  std::string id = idFrom(record.nctId);
  if (id.empty()) id = idFrom(record.orgStudyId);
  return id.empty() ? "study" : id;
}

std::unique_ptr<core::Document> fhirFromRecord(const RegistryRecord& record,
                                               const core::TypeResolver& types,
                                               const RegistryImportOptions& options) {
  return Writer(record, types, options).write();
}

}  // namespace trialbridge::mapping
