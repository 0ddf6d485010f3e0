// FHIR -> registry record (registry_fhir.h): the reading half, the inverse of
// registry_fhir_write.cc and of what study_elements.cc writes.
#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "conformance/profiles.h"
#include "mapping/registry_fhir.h"
#include "mapping/registry_tables.h"
#include "mapping/study_elements.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::Vocabulary;

namespace {

using core::Element;
namespace p = conformance::profiles;

std::string value(const Element* e, std::string_view name) {
  if (e == nullptr) return {};
  const Element* c = e->child(name);
  return c != nullptr && c->hasValue() ? std::string(c->value()) : std::string();
}

// The extension of `e` with this url, or nullptr.
const Element* extension(const Element* e, std::string_view url) {
  if (e == nullptr) return nullptr;
  for (const Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == "extension" && value(c, "url") == url) return c;
  }
  return nullptr;
}

template <typename F>
void forEachExtension(const Element* e, std::string_view url, F&& f) {
  if (e == nullptr) return;
  for (const Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == "extension" && value(c, "url") == url) f(*c);
  }
}

// The value of a simple extension (or of a part of a complex one): value[x] as text.
std::string extensionValue(const Element* ext) { return value(ext, "value"); }

std::string part(const Element* ext, std::string_view name) {
  return extensionValue(extension(ext, name));
}

std::vector<std::string> parts(const Element* ext, std::string_view name) {
  std::vector<std::string> out;
  forEachExtension(ext, name, [&](const Element& x) { out.push_back(extensionValue(&x)); });
  return out;
}

int number(const std::string& v) {
  int n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

std::optional<bool> boolean(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

// The code of the first coding of a CodeableConcept with this system.
std::string code(const Element* cc, std::string_view system) {
  std::string out;
  if (cc == nullptr) return out;
  cc->forEachChild("coding", [&](const Element& c) {
    if (out.empty() && value(&c, "system") == system) out = value(&c, "code");
  });
  return out;
}

// A CodeableConcept's text, else its first coding's display or code.
std::string conceptText(const Element* cc) {
  std::string t = value(cc, "text");
  if (!t.empty() || cc == nullptr) return t;
  if (const Element* c = cc->child("coding")) {
    t = value(c, "display");
    if (t.empty()) t = value(c, "code");
  }
  return t;
}

class Reader {
 public:
  Reader(const Element& root, core::Issues& issues) : issues_(issues) { index(root); }

  std::optional<RegistryRecord> read() {
    if (study_ == nullptr) {
      issues_.add(core::Severity::Error, core::IssueType::NotFound,
                  "no ResearchStudy to export (give a ResearchStudy or a Bundle holding one)");
      return std::nullopt;
    }
    RegistryRecord r;
    identifiers(r);
    r.briefTitle = value(study_, "title");
    if (const Element* brief = extension(study_, p::kExtBriefTitle)) {
      r.officialTitle = r.briefTitle;
      r.briefTitle = extensionValue(brief);
    }
    r.acronym = extensionValue(extension(study_, p::kExtAcronym));
    status(r);
    dates(r);
    organizations(r);
    if (const Element* o = extension(study_, p::kExtOversight)) {
      r.oversightHasDmc = boolean(part(o, "hasDmc"));
      r.isFdaRegulatedDrug = boolean(part(o, "fdaRegulatedDrug"));
      r.isFdaRegulatedDevice = boolean(part(o, "fdaRegulatedDevice"));
    }
    r.briefSummary = value(study_, "description");
    if (const Element* summary = extension(study_, p::kExtDescriptionSummary)) {
      r.detailedDescription = r.briefSummary;
      r.briefSummary = extensionValue(summary);
    }
    study_->forEachChild("condition",
                         [&](const Element& c) { r.conditions.push_back(conceptText(&c)); });
    study_->forEachChild("keyword",
                         [&](const Element& c) { r.keywords.push_back(conceptText(&c)); });
    design(r);
    armsAndInterventions(r);
    study_->forEachChild("objective", [&](const Element& o) {
      if (const Element* x = extension(&o, p::kExtOutcomeMeasure)) {
        r.outcomes.push_back(
            {part(x, "kind"), part(x, "measure"), part(x, "description"), part(x, "timeFrame")});
      }
    });
    eligibility(r);
    contacts(r);
    references(r);
    if (const Element* ipd = extension(study_, p::kExtIpdSharing)) {
      r.ipdSharing = RegistryIpdSharing{part(ipd, "sharing"),        part(ipd, "description"),
                                        parts(ipd, "infoType"),      part(ipd, "timeFrame"),
                                        part(ipd, "accessCriteria"), part(ipd, "url")};
    }
    if (const Element* x = extension(study_, p::kExtDoseEscalation)) {
      r.escalationRule = part(x, "rule");
      r.escalationDescription = part(x, "description");
      r.escalationTargetRate = part(x, "targetToxicityRate");
    }
    r.hasResults = boolean(extensionValue(extension(study_, p::kExtHasResults)));
    forEachExtension(study_, p::kExtRegistryUnmapped, [&](const Element& x) {
      r.unmapped.push_back({part(&x, "path"), part(&x, "reason"), part(&x, "value")});
    });
    return r;
  }

 private:
  void index(const Element& root) {
    if (root.type().name == "ResearchStudy") {
      study_ = &root;
      return;
    }
    if (root.type().name != "Bundle") {
      issues_.add(core::Severity::Error, core::IssueType::NotSupported,
                  "a " + std::string(root.type().name) +
                      " is not a study: give a ResearchStudy or a Bundle holding one",
                  std::string(root.type().name));
      return;
    }
    root.forEachChild("entry", [&](const Element& entry) {
      const Element* res = entry.child("resource");
      if (res == nullptr) return;
      const std::string type(res->type().name);
      const std::string key = type + "/" + value(res, "id");
      resources_[key] = res;
      if (const std::string url = value(&entry, "fullUrl"); !url.empty()) resources_[url] = res;
      if (type == "ResearchStudy") {
        if (study_ == nullptr) {
          study_ = res;
        } else {
          issues_.add(core::Severity::Warning, core::IssueType::Processing,
                      "the Bundle holds more than one ResearchStudy; only the first is exported",
                      res->path());
        }
      }
      if (type == "PractitionerRole") roles_.push_back(res);
    });
  }

  // The resource a Reference points to inside the Bundle, or nullptr.
  const Element* resolve(const Element* reference) const {
    const std::string ref = value(reference, "reference");
    if (ref.empty()) return nullptr;
    auto it = resources_.find(ref);
    if (it != resources_.end()) return it->second;
    // An absolute reference ending in {type}/{id}.
    const size_t slash = ref.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      const size_t prev = ref.rfind('/', slash - 1);
      it = resources_.find(ref.substr(prev == std::string::npos ? 0 : prev + 1));
      if (it != resources_.end()) return it->second;
    }
    return nullptr;
  }

  RegistryOrganization organization(const Element* reference) const {
    const Element* org = resolve(reference);
    if (org == nullptr) return {value(reference, "display"), {}};
    return {value(org, "name"),
            elements::ctgovCode(code(org->child("type"), p::codeSystem("tb-organization-class")))};
  }

  void identifiers(RegistryRecord& r) {
    const std::string nct = Vocabulary::get().registry("nct")->system;
    const std::string sponsorType = p::codeSystem("tb-identifier-type");
    study_->forEachChild("identifier", [&](const Element& id) {
      const std::string system = value(&id, "system");
      const std::string v = value(&id, "value");
      const Element* assigner = id.child("assigner");
      if (system == nct && r.nctId.empty()) {
        r.nctId = v;
        r.firstSubmitDate = value(id.child("period"), "start");
        return;
      }
      if (code(id.child("type"), sponsorType) == "sponsor-protocol" && r.orgStudyId.empty()) {
        r.orgStudyId = v;
        if (assigner != nullptr) r.organization = organization(assigner);
        return;
      }
      RegistrySecondaryId s{v, extensionValue(extension(&id, p::kExtSecondaryIdType)),
                            value(assigner, "display")};
      const std::string registry = Vocabulary::get().registryOfSystem(system);
      if (s.type.empty() && !registry.empty())
        s.type = RegistryTables::get().secondaryIdType(registry);
      if (registry.empty() && s.domain.empty()) s.domain = system;
      r.secondaryIds.push_back(std::move(s));
    });
  }

  void status(RegistryRecord& r) {
    if (const Element* x = extension(study_, p::kExtRecruitmentStatus)) {
      r.overallStatus = part(x, "status");
      r.lastKnownStatus = part(x, "lastKnownStatus");
      r.whyStopped = part(x, "whyStopped");
      r.statusVerifiedDate = part(x, "verifiedDate");
    } else {
      r.overallStatus = RegistryTables::get().statusFromFhir(value(study_, "status"));
    }
  }

  void dates(RegistryRecord& r) {
    if (const Element* period = study_->child("period")) {
      for (auto [name, d] :
           {std::pair{"start", &r.startDate}, std::pair{"end", &r.completionDate}}) {
        const Element* e = period->child(name);
        if (e == nullptr) continue;
        d->date = e->hasValue() ? std::string(e->value()) : std::string();
        d->type = extensionValue(extension(e, p::kExtDateType));
      }
    }
    if (const Element* x = extension(study_, p::kExtPrimaryCompletion)) {
      r.primaryCompletionDate = {part(x, "date"), part(x, "type")};
    }
  }

  void organizations(RegistryRecord& r) {
    r.leadSponsor = organization(study_->child("sponsor"));
    forEachExtension(study_, p::kExtCollaborator, [&](const Element& x) {
      r.collaborators.push_back(organization(x.child("value")));
    });
    if (r.organization.name.empty()) r.organization = r.leadSponsor;
  }

  void design(RegistryRecord& r) {
    const std::string designSystem = p::codeSystem("tb-study-design");
    const std::string typeSystem = p::codeSystem("tb-study-type");
    const std::vector<std::pair<std::string, std::string*>> prefixes = {
        {"allocation-", &r.allocation},
        {"model-", &r.interventionModel},
        {"masking-", &r.masking},
        {"observational-model-", &r.observationalModel},
        {"time-perspective-", &r.timePerspective},
        {"sampling-", &r.samplingMethod},
        {"purpose-", &r.primaryPurpose}};
    study_->forEachChild("category", [&](const Element& c) {
      if (const std::string t = code(&c, typeSystem); !t.empty())
        r.studyType = elements::ctgovCode(t);
      const std::string d = code(&c, designSystem);
      if (d.rfind("masked-", 0) == 0) {
        r.whoMasked.push_back(elements::ctgovCode(d.substr(7)));
        return;
      }
      for (const auto& [prefix, field] : prefixes) {
        if (d.rfind(prefix, 0) == 0) {
          *field = elements::ctgovCode(d.substr(prefix.size()));
          return;
        }
      }
    });
    if (r.primaryPurpose.empty()) {
      r.primaryPurpose = Vocabulary::get().primaryPurposeOf(
          code(study_->child("primaryPurposeType"), p::kResearchStudyPurpose));
    }
    if (const Element* ph = study_->child("phase")) {
      std::string key = Vocabulary::get().phasesOf(code(ph, p::kResearchStudyPhase));
      if (key.empty()) key = value(ph, "text");
      for (size_t pos = 0; !key.empty() && pos <= key.size();) {
        size_t plus = key.find('+', pos);
        if (plus == std::string::npos) plus = key.size();
        const std::string one = key.substr(pos, plus - pos);
        if (RegistryTables::get().isCode("Phase", one)) {
          r.phases.push_back(one);
        } else {
          issues_.add(core::Severity::Warning, core::IssueType::CodeInvalid,
                      "the phase '" + one + "' is not a ClinicalTrials.gov phase; left out",
                      ph->path());
        }
        pos = plus + 1;
      }
    }
    if (const Element* x = extension(study_, p::kExtDesignDetail)) {
      r.interventionModelDescription = part(x, "modelDescription");
      r.maskingDescription = part(x, "maskingDescription");
      r.bioSpecRetention = part(x, "bioSpecRetention");
      r.bioSpecDescription = part(x, "bioSpecDescription");
    }
  }

  void armsAndInterventions(RegistryRecord& r) {
    const std::string armType = p::codeSystem("tb-arm-type");
    study_->forEachChild("arm", [&](const Element& a) {
      RegistryArmGroup g;
      g.label = value(&a, "name");
      g.type = elements::ctgovCode(code(a.child("type"), armType));
      g.description = value(&a, "description");
      forEachExtension(&a, p::kExtArmIntervention, [&](const Element& x) {
        g.interventionNames.push_back(extensionValue(&x));
      });
      if (const Element* c = extension(&a, p::kExtArmCohort)) {
        RegistryCohort cohort;
        cohort.sequence = number(part(c, "sequence"));
        cohort.part = part(c, "part");
        cohort.size = number(part(c, "size"));
        cohort.doseFrom = parts(c, "doseFrom");
        g.cohort = std::move(cohort);
      }
      r.armGroups.push_back(std::move(g));
    });
    study_->forEachChild("focus", [&](const Element& f) {
      RegistryIntervention i;
      i.name = conceptText(&f);
      const Element* x = extension(&f, p::kExtIntervention);
      i.type = elements::ctgovCode(part(x, "type"));
      if (i.type.empty()) {
        i.type = "OTHER";
        issues_.add(core::Severity::Warning, core::IssueType::Incomplete,
                    "the intervention '" + i.name +
                        "' has no type (extension tb-intervention); exported as OTHER",
                    f.path());
      }
      i.description = part(x, "description");
      i.otherNames = parts(x, "otherName");
      i.armGroupLabels = parts(x, "arm");
      r.interventions.push_back(std::move(i));
    });
  }

  void eligibility(RegistryRecord& r) {
    const Element* group = resolve(study_->child("enrollment"));
    if (group == nullptr) return;
    if (const std::string q = value(group, "quantity"); !q.empty()) {
      int64_t n = 0;
      if (std::from_chars(q.data(), q.data() + q.size(), n).ec == std::errc()) {
        r.enrollmentCount = n;
      }
    }
    r.enrollmentType = extensionValue(extension(group, p::kExtEnrollmentType));
    r.healthyVolunteers = boolean(extensionValue(extension(group, p::kExtHealthyVolunteers)));
    r.studyPopulation = extensionValue(extension(group, p::kExtStudyPopulation));
    r.sex = "ALL";
    std::vector<std::string> inclusion, exclusion;
    group->forEachChild("characteristic", [&](const Element& c) {
      const std::string kind = extensionValue(extension(&c, p::kExtCriterionKind));
      if (kind == "inclusion-text") inclusion.push_back(value(c.child("code"), "text"));
      if (kind == "exclusion-text") exclusion.push_back(value(c.child("code"), "text"));
      if (kind == "sex") {
        const std::string s = code(c.child("value"), "http://hl7.org/fhir/administrative-gender");
        r.sex = s == "female" ? "FEMALE" : s == "male" ? "MALE" : "ALL";
      }
      if (kind == "age") {
        const Element* range = c.child("value");
        for (auto [name, out] :
             {std::pair{"low", &r.minimumAge}, std::pair{"high", &r.maximumAge}}) {
          const Element* q = range != nullptr ? range->child(name) : nullptr;
          if (q != nullptr) *out = elements::ageText({value(q, "value"), value(q, "code")});
        }
      }
    });
    const Element* verbatim = extension(group, p::kExtEligibilityCriteria);
    r.eligibilityCriteria = verbatim != nullptr ? extensionValue(verbatim)
                                                : elements::criteriaText(inclusion, exclusion);
  }

  // The study's contacts: ResearchStudy.contact (central), PractitionerRoles without a location
  // (officials, unless they are plain contacts), and those of each site (with the locations).
  void contacts(RegistryRecord& r) {
    study_->forEachChild("contact", [&](const Element& cd) {
      RegistryContact c{value(&cd, "name"), "CONTACT", {}, {}, {}};
      telecom(&cd, c);
      r.centralContacts.push_back(std::move(c));
    });
    const std::string roleSystem = p::codeSystem("tb-contact-role");
    std::vector<const Element*> roles = roles_;
    if (const Element* pi = resolve(study_->child("principalInvestigator"));
        pi != nullptr && std::find(roles.begin(), roles.end(), pi) == roles.end()) {
      roles.push_back(pi);
    }
    for (const Element* role : roles) {
      if (role->child("location") != nullptr) continue;
      // Without a location, a contact is a central contact (ResearchStudy.contact says it);
      // any other role, or none, an official.
      const std::string c = elements::ctgovCode(code(role->child("code"), roleSystem));
      if (c == "CONTACT") continue;
      const Element* org = role->child("organization");
      const Element* resolved = resolve(org);
      r.overallOfficials.push_back(
          {value(role->child("practitioner"), "display"),
           resolved != nullptr ? value(resolved, "name") : value(org, "display"), c});
    }
    study_->forEachChild("site", [&](const Element& site) {
      const Element* loc = resolve(&site);
      RegistryLocation l;
      if (loc == nullptr) {
        l.facility = value(&site, "display");
        r.locations.push_back(std::move(l));
        return;
      }
      l.facility = value(loc, "name");
      l.status = part(extension(loc, p::kExtRecruitmentStatus), "status");
      const Element* a = loc->child("address");
      l.city = value(a, "city");
      l.state = value(a, "state");
      l.zip = value(a, "postalCode");
      const std::string country = value(a, "country");
      l.country = RegistryTables::get().countryName(country);
      if (l.country.empty()) l.country = country;
      l.latitude = value(loc->child("position"), "latitude");
      l.longitude = value(loc->child("position"), "longitude");
      for (const Element* role : roles) {
        if (resolve(role->child("location")) != loc) continue;
        RegistryContact c{value(role->child("practitioner"), "display"),
                          elements::ctgovCode(code(role->child("code"), roleSystem)),
                          {},
                          {},
                          {}};
        telecom(role, c);
        l.contacts.push_back(std::move(c));
      }
      r.locations.push_back(std::move(l));
    });
  }

  static void telecom(const Element* e, RegistryContact& c) {
    e->forEachChild("telecom", [&](const Element& t) {
      const std::string system = value(&t, "system");
      if (system == "phone" && c.phone.empty()) c.phone = value(&t, "value");
      if (system == "email" && c.email.empty()) c.email = value(&t, "value");
    });
  }

  void references(RegistryRecord& r) {
    constexpr std::string_view kPubmed = "https://pubmed.ncbi.nlm.nih.gov/";
    study_->forEachChild("relatedArtifact", [&](const Element& a) {
      const std::string type = value(&a, "type");
      const std::string url = value(&a, "url");
      if (type == "citation") {
        RegistryReference ref;
        ref.citation = value(&a, "citation");
        ref.type = elements::ctgovCode(extensionValue(extension(&a, p::kExtReferenceType)));
        if (url.rfind(kPubmed, 0) == 0) {
          ref.pmid = url.substr(kPubmed.size());
          if (!ref.pmid.empty() && ref.pmid.back() == '/') ref.pmid.pop_back();
        }
        r.references.push_back(std::move(ref));
      } else if (type == "documentation") {
        r.seeAlsoLinks.push_back({value(&a, "display"), url});
      }
    });
  }

  core::Issues& issues_;
  const Element* study_ = nullptr;
  std::map<std::string, const Element*> resources_;
  std::vector<const Element*> roles_;
};

}  // namespace

std::optional<RegistryRecord> recordFromFhir(const core::Element& root, core::Issues& issues) {
  return Reader(root, issues).read();
}

}  // namespace trialbridge::mapping
