#include "mapping/registry_prs.h"

#include <algorithm>

#include "mapping/registry_tables.h"
#include "mapping/xml_out.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::Vocabulary;

namespace {

constexpr std::string_view kNamespace = "http://clinicaltrials.gov/prs";

std::string yesNo(const std::optional<bool>& v) {
  if (!v) return {};
  return *v ? "yes" : "no";
}

// A registered name ("Suzanne George, MD") as PRS's parts: the degrees after the first comma,
// the last word of the rest as the last name, what precedes it as the first name.
struct PersonName {
  std::string first, last, degrees;
};

PersonName splitName(std::string_view name) {
  PersonName n;
  std::string_view person = name;
  if (size_t comma = name.find(", "); comma != std::string_view::npos) {
    person = name.substr(0, comma);
    n.degrees = std::string(name.substr(comma + 2));
  }
  while (!person.empty() && person.back() == ' ') person.remove_suffix(1);
  const size_t space = person.rfind(' ');
  if (space == std::string_view::npos) {
    n.last = std::string(person);
  } else {
    n.first = std::string(person.substr(0, space));
    n.last = std::string(person.substr(space + 1));
  }
  return n;
}

class PrsWriter {
 public:
  PrsWriter(const RegistryRecord& r, const PrsOptions& o, core::Issues& issues)
      : r_(r), o_(o), issues_(issues), t_(RegistryTables::get()) {}

  std::string write() {
    x_.open("prs:study_collection", {{"xmlns:prs", std::string(kNamespace)}});
    std::vector<std::pair<std::string, std::string>> attributes;
    if (!o_.sections.empty()) attributes.emplace_back("partial_upload", "true");
    x_.open("clinical_study", attributes);
    idInfo();
    titlesAndSponsors();
    statusAndDates();
    studyDesign();
    outcomesAndEnrollment();
    armsAndInterventions();
    eligibility();
    contacts();
    locations();
    ipdLinksReferences();
    x_.close();
    x_.close();
    return x_.finish();
  }

 private:
  bool want(std::string_view section) const {
    return o_.sections.empty() || o_.sections.count(std::string(section)) > 0;
  }

  void warn(const std::string& where, std::string message) {
    issues_.add(core::Severity::Warning, core::IssueType::Incomplete, std::move(message),
                "clinical_study." + where);
  }

  // A display of the table, or a warning and the code itself when it has none.
  std::string display(std::string_view enumName, const std::string& code,
                      const std::string& where) {
    if (code.empty()) return {};
    std::string d = t_.prs(enumName, code);
    if (d.empty()) {
      warn(where, "PRS has no value for " + std::string(enumName) + " " + code + "; left out");
    }
    return d;
  }

  // A required element: written even when empty, with a warning.
  void required(std::string_view name, const std::string& value, const std::string& where) {
    if (value.empty()) {
      warn(where, "PRS requires " + std::string(name) + ", which the record does not have");
      x_.empty(name, {});
      return;
    }
    x_.leaf(name, value);
  }

  void textBlock(std::string_view name, const std::string& text) {
    if (text.empty()) return;
    x_.open(name);
    x_.leaf("textblock", text);
    x_.close();
  }

  void idInfo() {
    x_.open("id_info");
    std::string org = o_.orgName;
    if (org.empty()) {
      org = r_.organization.name.empty() ? r_.leadSponsor.name : r_.organization.name;
      warn("id_info.org_name",
           "no PRS organization name given (--prs-org); the organization's name '" + org +
               "' is sent instead");
    }
    required("org_name", org, "id_info.org_name");
    required("org_study_id", r_.orgStudyId, "id_info.org_study_id");
    if (want("secondary_id")) {
      for (const RegistrySecondaryId& s : r_.secondaryIds) {
        x_.open("secondary_id");
        x_.leaf("id", s.id);
        std::string type = display("SecondaryIdType", s.type, "id_info.secondary_id");
        std::string domain = s.domain;
        if (s.type == "REGISTRY" && Vocabulary::get().registryOfValue(s.id) == "ctis") {
          type = "EU Trial (CTIS) Number";  // PRS has a type of its own for EU CT numbers
          domain.clear();
        }
        x_.leaf("id_type", type);
        x_.leaf("id_domain", domain);
        x_.close();
      }
    }
    x_.close();
  }

  void titlesAndSponsors() {
    if (want("brief_title")) required("brief_title", r_.briefTitle, "brief_title");
    if (o_.sections.empty()) x_.leaf("acronym", r_.acronym);  // not a partial-upload section
    if (want("official_title")) x_.leaf("official_title", r_.officialTitle);
    if (want("sponsors") && !r_.leadSponsor.name.empty()) {
      x_.open("sponsors");
      x_.open("lead_sponsor");
      x_.leaf("agency", r_.leadSponsor.name);
      x_.close();
      for (const RegistryOrganization& c : r_.collaborators) {
        x_.open("collaborator");
        x_.leaf("agency", c.name);
        x_.close();
      }
      x_.close();
    }
    if (want("oversight_info") &&
        (r_.oversightHasDmc || r_.isFdaRegulatedDrug || r_.isFdaRegulatedDevice)) {
      x_.open("oversight_info");
      x_.leaf("has_dmc", yesNo(r_.oversightHasDmc));
      x_.leaf("fda_regulated_drug", yesNo(r_.isFdaRegulatedDrug));
      x_.leaf("fda_regulated_device", yesNo(r_.isFdaRegulatedDevice));
      x_.close();
    }
    if (want("brief_summary")) textBlock("brief_summary", r_.briefSummary);
    if (want("detailed_description")) textBlock("detailed_description", r_.detailedDescription);
  }

  void date(std::string_view name, const RegistryDate& d, const std::string& section) {
    if (!want(section) || d.date.empty()) return;
    x_.leaf(name, d.date);
    x_.leaf(std::string(name) + "_type", display("DateType", d.type, std::string(name)));
  }

  void statusAndDates() {
    const RegistryTables::Status* s = t_.status(r_.overallStatus);
    const bool expandedAccess = s != nullptr && s->expandedAccess;
    if (want("overall_status") && !expandedAccess && !r_.overallStatus.empty()) {
      if (s == nullptr || s->prs.empty()) {
        warn("overall_status", "PRS takes no status " + r_.overallStatus +
                                   " (the registry sets it); overall_status left out");
      } else {
        x_.leaf("overall_status", s->prs);
      }
    }
    if (want("why_stopped")) x_.leaf("why_stopped", r_.whyStopped);
    if (want("expanded_access_status") && expandedAccess) {
      x_.leaf("expanded_access_status", s->prs);
    }
    if (want("verification_date")) x_.leaf("verification_date", r_.statusVerifiedDate.substr(0, 7));
    date("start_date", r_.startDate, "start_date");
    // PRS orders: last follow-up (completion), then primary completion.
    if (want("last_follow_up_date") && !r_.completionDate.date.empty()) {
      x_.leaf("last_follow_up_date", r_.completionDate.date);
      x_.leaf("last_follow_up_date_type",
              display("DateType", r_.completionDate.type, "last_follow_up_date"));
    }
    date("primary_compl_date", r_.primaryCompletionDate, "primary_compl_date");
  }

  void studyDesign() {
    const bool interventional = r_.studyType == "INTERVENTIONAL";
    const bool observational = r_.studyType == "OBSERVATIONAL";
    const bool wantType = want("study_type");
    const bool wantInt = want("interventional_design") && interventional;
    const bool wantObs = want("observational_design") && observational;
    if (!wantType && !wantInt && !wantObs) return;
    x_.open("study_design");
    required("study_type", t_.prs("StudyType", r_.studyType), "study_design.study_type");
    if (wantInt) interventionalDesign();
    if (wantObs) observationalDesign();
    x_.close();
  }

  void interventionalDesign() {
    x_.open("interventional_design");
    required("interventional_subtype", display("PrimaryPurpose", r_.primaryPurpose, "study_design"),
             "study_design.interventional_design.interventional_subtype");
    std::string phases;
    for (const std::string& p : r_.phases) {
      phases += (phases.empty() ? "" : "/") + t_.prs("Phase", p);
    }
    x_.leaf("phase", phases.empty() ? "N/A" : phases);
    x_.leaf("assignment",
            display("InterventionalAssignment", r_.interventionModel, "study_design"));
    textBlock("model_description", r_.interventionModelDescription);
    const std::string allocation = display("DesignAllocation", r_.allocation, "study_design");
    x_.leaf("allocation", allocation.empty() ? "N/A" : allocation);
    if (!r_.masking.empty()) {
      x_.leaf("no_masking", r_.masking == "NONE" ? "yes" : "no");
      for (const char* who :
           {"PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"}) {
        const bool masked =
            std::find(r_.whoMasked.begin(), r_.whoMasked.end(), who) != r_.whoMasked.end();
        x_.leaf(t_.prs("WhoMasked", who), masked ? "yes" : "no");
      }
    }
    textBlock("masking_description", r_.maskingDescription);
    if (!r_.armGroups.empty()) x_.leaf("number_of_arms", std::to_string(r_.armGroups.size()));
    x_.close();
  }

  void observationalDesign() {
    x_.open("observational_design");
    required("observational_study_design",
             display("ObservationalModel", r_.observationalModel, "study_design"),
             "study_design.observational_design.observational_study_design");
    required("biospecimen_retention",
             display("BioSpecRetention", r_.bioSpecRetention, "study_design"),
             "study_design.observational_design.biospecimen_retention");
    textBlock("biospecimen_description", r_.bioSpecDescription);
    required("timing", display("DesignTimePerspective", r_.timePerspective, "study_design"),
             "study_design.observational_design.timing");
    x_.leaf("number_of_groups", std::to_string(r_.armGroups.size()));
    x_.close();
  }

  void outcomesAndEnrollment() {
    for (const char* kind : {"primary", "secondary", "other"}) {
      const std::string element = t_.prs("OutcomeKind", kind);
      if (!want(element)) continue;
      for (const RegistryOutcome& o : r_.outcomes) {
        if (o.kind != kind) continue;
        x_.open(element);
        x_.leaf("outcome_measure", o.measure);
        x_.leaf("outcome_time_frame", o.timeFrame);
        textBlock("outcome_description", o.description);
        x_.close();
      }
    }
    if (want("enrollment") && r_.enrollmentCount) {
      x_.leaf("enrollment", std::to_string(*r_.enrollmentCount));
      x_.leaf("enrollment_type", display("EnrollmentType", r_.enrollmentType, "enrollment"));
    }
    if (want("condition")) {
      for (const std::string& c : r_.conditions) x_.leaf("condition", c);
    }
    if (want("keyword")) {
      for (const std::string& k : r_.keywords) x_.leaf("keyword", k);
    }
  }

  void armsAndInterventions() {
    if (want("arm_group")) {
      for (const RegistryArmGroup& a : r_.armGroups) {
        x_.open("arm_group");
        x_.leaf("arm_group_label", a.label);
        if (r_.studyType == "INTERVENTIONAL")
          x_.leaf("arm_type", display("ArmGroupType", a.type, "arm_group"));
        textBlock("arm_group_description", a.description);
        x_.close();
      }
    }
    if (want("intervention")) {
      for (const RegistryIntervention& i : r_.interventions) {
        x_.open("intervention");
        x_.leaf("intervention_type", display("InterventionType", i.type, "intervention"));
        x_.leaf("intervention_name", i.name);
        textBlock("intervention_description", i.description);
        for (const std::string& a : i.armGroupLabels) x_.leaf("arm_group_label", a);
        for (const std::string& n : i.otherNames) x_.leaf("intervention_other_name", n);
        x_.close();
      }
    }
  }

  void eligibility() {
    if (!want("eligibility")) return;
    x_.open("eligibility");
    textBlock("study_population", r_.studyPopulation);
    x_.leaf("sampling_method", display("SamplingMethod", r_.samplingMethod, "eligibility"));
    if (r_.eligibilityCriteria.empty()) {
      warn("eligibility.criteria", "PRS requires the eligibility criteria; sent empty");
    }
    x_.open("criteria");
    if (r_.eligibilityCriteria.empty()) {
      x_.empty("textblock", {});
    } else {
      x_.leaf("textblock", r_.eligibilityCriteria);
    }
    x_.close();
    x_.leaf("healthy_volunteers", yesNo(r_.healthyVolunteers));
    const std::string sex = display("Sex", r_.sex.empty() ? "ALL" : r_.sex, "eligibility");
    x_.leaf("gender", sex);
    x_.leaf("minimum_age", r_.minimumAge.empty() ? "N/A" : r_.minimumAge);
    x_.leaf("maximum_age", r_.maximumAge.empty() ? "N/A" : r_.maximumAge);
    x_.close();
  }

  void person(const std::string& name) {
    const PersonName n = splitName(name);
    x_.leaf("first_name", n.first);
    x_.leaf("last_name", n.last);
    x_.leaf("degrees", n.degrees);
  }

  void contacts() {
    if (want("overall_official")) {
      for (const RegistryOfficial& o : r_.overallOfficials) {
        x_.open("overall_official");
        person(o.name);
        x_.leaf("role", display("OfficialRole", o.role, "overall_official"));
        x_.leaf("affiliation", o.affiliation);
        x_.close();
      }
    }
    for (size_t i = 0; i < r_.centralContacts.size() && i < 2; ++i) {
      const char* element = i == 0 ? "overall_contact" : "overall_contact_backup";
      if (!want(element)) continue;
      const RegistryContact& c = r_.centralContacts[i];
      x_.open(element);
      person(c.name.empty() ? "Study contact" : c.name);
      x_.leaf("phone", c.phone);
      x_.leaf("phone_ext", c.phoneExt);
      x_.leaf("email", c.email);
      x_.close();
    }
    if (r_.centralContacts.size() > 2 && want("overall_contact")) {
      warn("overall_contact", "PRS takes two central contacts; the others are left out");
    }
  }

  void locations() {
    if (!want("location")) return;
    for (const RegistryLocation& l : r_.locations) {
      x_.open("location");
      x_.open("facility");
      x_.leaf("name", l.facility);
      x_.open("address");
      x_.leaf("city", l.city);
      x_.leaf("state", l.state);
      x_.leaf("country", l.country);
      x_.leaf("zip", l.zip);
      x_.close();
      x_.close();
      x_.leaf("status", display("RecruitmentStatus", l.status, "location"));
      int contacts = 0;
      for (const RegistryContact& c : l.contacts) {
        if ((c.role.empty() || c.role == "CONTACT") && contacts < 2) {
          x_.open(contacts++ == 0 ? "contact" : "contact_backup");
          person(c.name);
          x_.leaf("phone", c.phone);
          x_.leaf("phone_ext", c.phoneExt);
          x_.leaf("email", c.email);
          x_.close();
        }
      }
      for (const RegistryContact& c : l.contacts) {
        if (c.role != "PRINCIPAL_INVESTIGATOR" && c.role != "SUB_INVESTIGATOR") continue;
        x_.open("investigator");
        person(c.name);
        x_.leaf("role", t_.prs("OfficialRole", c.role));
        x_.close();
      }
      x_.close();
    }
  }

  void ipdLinksReferences() {
    if (want("ipd_sharing_statement") && r_.ipdSharing) {
      const RegistryIpdSharing& s = *r_.ipdSharing;
      x_.open("ipd_sharing_statement");
      x_.leaf("sharing_ipd", display("IpdSharing", s.sharing, "ipd_sharing_statement"));
      textBlock("ipd_description", s.description);
      if (s.sharing == "YES") {
        for (const char* type : {"STUDY_PROTOCOL", "SAP", "ICF", "CSR", "ANALYTIC_CODE"}) {
          const bool has =
              std::find(s.infoTypes.begin(), s.infoTypes.end(), type) != s.infoTypes.end();
          x_.leaf(t_.prs("IpdSharingInfoType", type), has ? "yes" : "no");
        }
        textBlock("ipd_time_frame", s.timeFrame);
        textBlock("ipd_access_criteria", s.accessCriteria);
        x_.leaf("ipd_url", s.url);
      }
      x_.close();
    }
    if (want("link")) {
      for (const RegistryLink& l : r_.seeAlsoLinks) {
        x_.open("link");
        x_.leaf("url", l.url);
        x_.leaf("description", l.label.empty() ? l.url : l.label);
        x_.close();
      }
    }
    if (want("reference")) {
      for (const RegistryReference& ref : r_.references) {
        x_.open("reference");
        x_.leaf("citation", ref.citation);
        x_.leaf("pubmed_id", ref.pmid);
        x_.leaf("is_results_ref", t_.prs("ReferenceType", ref.type));
        x_.close();
      }
    }
  }

  const RegistryRecord& r_;
  const PrsOptions& o_;
  core::Issues& issues_;
  const RegistryTables& t_;
  XmlOut x_;
};

}  // namespace

const std::vector<std::string>& prsSections() {
  static const std::vector<std::string> kSections = {"secondary_id",
                                                     "brief_title",
                                                     "official_title",
                                                     "sponsors",
                                                     "oversight_info",
                                                     "brief_summary",
                                                     "detailed_description",
                                                     "overall_status",
                                                     "why_stopped",
                                                     "expanded_access_status",
                                                     "start_date",
                                                     "last_follow_up_date",
                                                     "primary_compl_date",
                                                     "study_type",
                                                     "interventional_design",
                                                     "observational_design",
                                                     "primary_outcome",
                                                     "secondary_outcome",
                                                     "other_outcome",
                                                     "enrollment",
                                                     "condition",
                                                     "keyword",
                                                     "arm_group",
                                                     "intervention",
                                                     "eligibility",
                                                     "overall_official",
                                                     "overall_contact",
                                                     "overall_contact_backup",
                                                     "location",
                                                     "ipd_sharing_statement",
                                                     "link",
                                                     "reference",
                                                     "verification_date"};
  return kSections;
}

std::string writePrsXml(const RegistryRecord& record, const PrsOptions& options,
                        core::Issues& issues) {
  const auto& known = prsSections();
  bool ok = true;
  for (const std::string& s : options.sections) {
    if (std::find(known.begin(), known.end(), s) == known.end()) {
      issues.add(core::Severity::Error, core::IssueType::NotSupported,
                 "'" + s + "' is not a section PRS takes in a partial upload");
      ok = false;
    }
  }
  if (!ok) return {};
  return PrsWriter(record, options, issues).write();
}

}  // namespace trialbridge::mapping
