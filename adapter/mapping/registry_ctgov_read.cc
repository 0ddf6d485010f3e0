// ClinicalTrials.gov API v2 JSON -> registry record (registry_ctgov.h): the reading half.
#include <map>
#include <string>
#include <vector>

#include "core/json_input.h"
#include "core/text.h"
#include "mapping/registry_ctgov.h"
#include "mapping/registry_tables.h"
#include "mapping/study_elements.h"

namespace trialbridge::mapping {

namespace {

using core::JsonInput;
using Node = core::JsonNode;

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// yyyy, yyyy-MM or yyyy-MM-dd with a month 01-12 and a day 01-31 (ctg-oas-v2 PartialDate, and a
// FHIR date).
bool isPartialDate(std::string_view s) {
  auto two = [&](size_t at, int lo, int hi) {
    if (!isDigits(s.substr(at, 2))) return false;
    const int v = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return v >= lo && v <= hi;
  };
  if (s.size() != 4 && s.size() != 7 && s.size() != 10) return false;
  if (!isDigits(s.substr(0, 4))) return false;
  if (s.size() >= 7 && (s[4] != '-' || !two(5, 1, 12))) return false;
  if (s.size() == 10 && (s[7] != '-' || !two(8, 1, 31))) return false;
  return true;
}

// Whether a FHIR string can hold it: not empty, not only white space, no control characters but
// tab, carriage return and line feed.
bool fhirString(std::string_view s) {
  bool content = false;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\r' && c != '\n') return false;
    if (u > 0x20) content = true;
  }
  return content;
}

// Why a part of a record with no place in the record was left out, by where it is.
std::string reasonFor(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> kReasons = {
      {"$.resultsSection", "results are not mapped to FHIR; kept as registered"},
      {"$.derivedSection", "data the registry derives (MeSH terms, browse leaves); kept"},
      {"$.documentSection", "document links are not mapped to FHIR; kept"},
      {"$.annotationSection", "registry annotations are not mapped to FHIR; kept"},
      {"$.protocolSection", "no FHIR element or trialbridge extension holds this field; kept"},
  };
  for (const auto& [prefix, reason] : kReasons) {
    if (path.rfind(prefix, 0) == 0) return reason;
  }
  return "not a field of a ClinicalTrials.gov study (ctg-oas-v2); kept";
}

class CtgovReader {
 public:
  CtgovReader(const JsonInput& in, core::Issues& issues, const Node& study)
      : in_(in), issues_(issues), study_(study), prefix_(study.path()) {}

  RegistryRecord read(std::set<std::string>& mapped) {
    RegistryRecord r;
    const Node ps = study_.get("protocolSection");
    if (!ps.exists()) {
      warn(ps.path(), "the study has no protocolSection");
    }
    identification(ps.get("identificationModule"), r);
    status(ps.get("statusModule"), r);
    sponsors(ps.get("sponsorCollaboratorsModule"), r);
    oversight(ps.get("oversightModule"), r);
    const Node d = ps.get("descriptionModule");
    r.briefSummary = text(d.get("briefSummary"));
    r.detailedDescription = text(d.get("detailedDescription"));
    const Node c = ps.get("conditionsModule");
    r.conditions = texts(c.get("conditions"));
    r.keywords = texts(c.get("keywords"));
    design(ps.get("designModule"), r);
    arms(ps.get("armsInterventionsModule"), r);
    outcomes(ps.get("outcomesModule"), r);
    eligibility(ps.get("eligibilityModule"), r);
    contacts(ps.get("contactsLocationsModule"), r);
    references(ps.get("referencesModule"), r);
    ipd(ps.get("ipdSharingStatementModule"), r);
    r.hasResults = flag(study_.get("hasResults"));
    unmapped(study_, r);
    for (const std::string& p : consumed_) mapped.insert(relative(p));
    return r;
  }

 private:
  // --- values -------------------------------------------------------------------------------

  std::string relative(const std::string& path) const { return "$" + path.substr(prefix_.size()); }

  void warn(const std::string& path, std::string message) {
    in_.report(issues_, path, std::move(message), core::Severity::Warning, core::IssueType::Value);
  }

  // A value left out because it breaks the schema: reported now, kept by unmapped().
  void reject(const Node& n, const std::string& reason) {
    rejected_[n.path()] = reason;
    warn(n.path(), reason + "; kept unmapped");
  }

  void take(const Node& n) { consumed_.insert(n.path()); }

  std::string text(const Node& n) {
    if (!n.exists()) return {};
    if (!n.isString()) {
      reject(n, "expected a string");
      return {};
    }
    std::string s = n.str();
    if (!fhirString(s)) {
      reject(n, "an empty text, or one with control characters FHIR cannot hold");
      return {};
    }
    take(n);
    return s;
  }

  std::vector<std::string> texts(const Node& n) {
    std::vector<std::string> out;
    if (!n.exists()) return out;
    if (!n.isArray()) {
      reject(n, "expected an array of strings");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s = text(n.item(i));
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  // A code of a ClinicalTrials.gov enumeration.
  std::string code(const Node& n, std::string_view enumName) {
    const std::string s = n.isString() ? n.str() : std::string();
    if (!n.exists()) return {};
    if (!RegistryTables::get().isCode(enumName, s)) {
      reject(n, "not a " + std::string(enumName) + " code of ClinicalTrials.gov");
      return {};
    }
    take(n);
    return s;
  }

  std::vector<std::string> codes(const Node& n, std::string_view enumName) {
    std::vector<std::string> out;
    if (!n.exists()) return out;
    if (!n.isArray()) {
      reject(n, "expected an array of " + std::string(enumName) + " codes");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s = code(n.item(i), enumName);
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<bool> flag(const Node& n) {
    if (!n.exists()) return std::nullopt;
    if (!n.isBool()) {
      reject(n, "expected true or false");
      return std::nullopt;
    }
    take(n);
    return n.isTrue();
  }

  std::string date(const Node& n) {
    if (!n.exists()) return {};
    const std::string s = n.isString() ? n.str() : std::string();
    if (!isPartialDate(s)) {
      reject(n, "not a date of the form yyyy, yyyy-MM or yyyy-MM-dd");
      return {};
    }
    take(n);
    return s;
  }

  RegistryDate dateStruct(const Node& n) {
    RegistryDate d{date(n.get("date")), {}};
    if (!d.date.empty()) d.type = code(n.get("type"), "DateType");
    return d;
  }

  std::string age(const Node& n) {
    if (!n.exists()) return {};
    const std::string s = n.isString() ? n.str() : std::string();
    // As ClinicalTrials.gov writes ages, so that FHIR (a number and a UCUM unit) gives it back.
    const std::optional<study::Age> parsed = elements::parseAge(s);
    if (!parsed || elements::ageText(*parsed) != s) {
      reject(n,
             "not an age of the form '18 Years' or '1 Year' (a whole number and Years, "
             "Months, Weeks, Days, Hours or Minutes)");
      return {};
    }
    take(n);
    return s;
  }

  // A decimal as written (geoPoint).
  std::string decimal(const Node& n) {
    if (!n.exists()) return {};
    if (!n.isNumber()) {
      reject(n, "expected a number");
      return {};
    }
    take(n);
    return n.number();
  }

  // --- modules ------------------------------------------------------------------------------

  void identification(const Node& m, RegistryRecord& r) {
    r.nctId = text(m.get("nctId"));
    r.orgStudyId = text(m.get("orgStudyIdInfo").get("id"));
    const Node ids = m.get("secondaryIdInfos");
    for (size_t i = 0; i < ids.size(); ++i) {
      const Node s = ids.item(i);
      RegistrySecondaryId id{text(s.get("id")), code(s.get("type"), "SecondaryIdType"),
                             text(s.get("domain"))};
      if (!id.id.empty()) r.secondaryIds.push_back(std::move(id));
    }
    r.briefTitle = text(m.get("briefTitle"));
    r.officialTitle = text(m.get("officialTitle"));
    r.acronym = text(m.get("acronym"));
    // The organization is the assigner of its study id: kept with one, or when it is the lead
    // sponsor (sponsors() runs later and compares).
    organizationNode_ = m.get("organization");
  }

  void status(const Node& m, RegistryRecord& r) {
    const Node overall = m.get("overallStatus");
    if (overall.exists()) {
      r.overallStatus = overall.str();
      if (RegistryTables::get().status(r.overallStatus) == nullptr) {
        reject(overall, "not a ClinicalTrials.gov status");
        r.overallStatus.clear();
      } else {
        take(overall);
      }
    }
    // A study always has a status (R4's is required): one the record does not say is unknown.
    if (r.overallStatus.empty()) {
      r.overallStatus = "UNKNOWN";
      in_.report(issues_, overall.path(), "no overall status; taken as UNKNOWN",
                 core::Severity::Information, core::IssueType::Informational);
    }
    const Node last = m.get("lastKnownStatus");
    if (last.exists()) {
      r.lastKnownStatus = last.str();
      if (RegistryTables::get().status(r.lastKnownStatus) == nullptr) {
        reject(last, "not a ClinicalTrials.gov status");
        r.lastKnownStatus.clear();
      } else {
        take(last);
      }
    }
    r.whyStopped = text(m.get("whyStopped"));
    r.statusVerifiedDate = date(m.get("statusVerifiedDate"));
    // The registration date belongs to the NCT number (its Identifier.period).
    if (!r.nctId.empty()) r.firstSubmitDate = date(m.get("studyFirstSubmitDate"));
    r.startDate = dateStruct(m.get("startDateStruct"));
    r.primaryCompletionDate = dateStruct(m.get("primaryCompletionDateStruct"));
    r.completionDate = dateStruct(m.get("completionDateStruct"));
  }

  // An organization: its class only with its name (a class alone says nothing).
  RegistryOrganization organization(const Node& n, const char* nameKey) {
    RegistryOrganization o{text(n.get(nameKey)), {}};
    if (!o.name.empty()) o.klass = code(n.get("class"), "AgencyClass");
    return o;
  }

  void sponsors(const Node& m, RegistryRecord& r) {
    r.leadSponsor = organization(m.get("leadSponsor"), "name");
    const Node list = m.get("collaborators");
    for (size_t i = 0; i < list.size(); ++i) {
      RegistryOrganization o = organization(list.item(i), "name");
      if (!o.name.empty()) r.collaborators.push_back(std::move(o));
    }
    // Without a study id of its own to be the assigner of, the organization has no place in
    // FHIR but as the lead sponsor: taken when it is that sponsor, name and class.
    const Node org = organizationNode_;
    const bool isSponsor = org.get("fullName").str() == r.leadSponsor.name &&
                           org.get("class").str() == r.leadSponsor.klass;
    if (org.exists() && (!r.orgStudyId.empty() || isSponsor)) {
      r.organization = organization(org, "fullName");
    }
    // As FHIR reads it (recordFromFhir): without one of its own, the lead sponsor is the
    // study's organization.
    if (r.organization.name.empty()) r.organization = r.leadSponsor;
  }

  void oversight(const Node& m, RegistryRecord& r) {
    r.oversightHasDmc = flag(m.get("oversightHasDmc"));
    r.isFdaRegulatedDrug = flag(m.get("isFdaRegulatedDrug"));
    r.isFdaRegulatedDevice = flag(m.get("isFdaRegulatedDevice"));
  }

  void design(const Node& m, RegistryRecord& r) {
    r.studyType = code(m.get("studyType"), "StudyType");
    r.phases = codes(m.get("phases"), "Phase");
    const Node info = m.get("designInfo");
    r.allocation = code(info.get("allocation"), "DesignAllocation");
    r.interventionModel = code(info.get("interventionModel"), "InterventionalAssignment");
    r.interventionModelDescription = text(info.get("interventionModelDescription"));
    r.primaryPurpose = code(info.get("primaryPurpose"), "PrimaryPurpose");
    r.observationalModel = code(info.get("observationalModel"), "ObservationalModel");
    r.timePerspective = code(info.get("timePerspective"), "DesignTimePerspective");
    const Node masking = info.get("maskingInfo");
    r.masking = code(masking.get("masking"), "DesignMasking");
    r.maskingDescription = text(masking.get("maskingDescription"));
    r.whoMasked = codes(masking.get("whoMasked"), "WhoMasked");
    r.bioSpecRetention = code(m.get("bioSpec").get("retention"), "BioSpecRetention");
    r.bioSpecDescription = text(m.get("bioSpec").get("description"));
    const Node enrollment = m.get("enrollmentInfo");
    const Node count = enrollment.get("count");
    if (count.exists()) {
      const std::string n = count.number();
      if (!isDigits(n) || n.size() > 9) {
        reject(count, "expected a whole number of participants, 0 or more");
      } else {
        take(count);
        r.enrollmentCount = std::stoll(n);
      }
    }
    r.enrollmentType = code(enrollment.get("type"), "EnrollmentType");
  }

  void arms(const Node& m, RegistryRecord& r) {
    const Node groups = m.get("armGroups");
    for (size_t i = 0; i < groups.size(); ++i) {
      const Node g = groups.item(i);
      RegistryArmGroup a;
      a.label = text(g.get("label"));
      a.type = code(g.get("type"), "ArmGroupType");
      a.description = text(g.get("description"));
      a.interventionNames = texts(g.get("interventionNames"));
      if (a.label.empty()) continue;  // an arm without a label is kept unmapped
      r.armGroups.push_back(std::move(a));
    }
    const Node list = m.get("interventions");
    for (size_t i = 0; i < list.size(); ++i) {
      const Node n = list.item(i);
      RegistryIntervention v;
      v.type = code(n.get("type"), "InterventionType");
      v.name = text(n.get("name"));
      v.description = text(n.get("description"));
      v.armGroupLabels = texts(n.get("armGroupLabels"));
      v.otherNames = texts(n.get("otherNames"));
      if (v.name.empty()) continue;
      if (v.type.empty()) v.type = "OTHER";
      r.interventions.push_back(std::move(v));
    }
  }

  void outcomes(const Node& m, RegistryRecord& r) {
    for (const auto& [kind, key] :
         {std::pair{"primary", "primaryOutcomes"}, std::pair{"secondary", "secondaryOutcomes"},
          std::pair{"other", "otherOutcomes"}}) {
      const Node list = m.get(key);
      for (size_t i = 0; i < list.size(); ++i) {
        const Node o = list.item(i);
        RegistryOutcome out{kind, text(o.get("measure")), text(o.get("description")),
                            text(o.get("timeFrame"))};
        if (!out.measure.empty()) r.outcomes.push_back(std::move(out));
      }
    }
  }

  void eligibility(const Node& m, RegistryRecord& r) {
    r.eligibilityCriteria = text(m.get("eligibilityCriteria"));
    r.healthyVolunteers = flag(m.get("healthyVolunteers"));
    r.sex = code(m.get("sex"), "Sex");
    if (r.sex.empty()) r.sex = "ALL";  // no limit said is no limit (FHIR has no sex criterion)
    r.minimumAge = age(m.get("minimumAge"));
    r.maximumAge = age(m.get("maximumAge"));
    r.studyPopulation = text(m.get("studyPopulation"));
    r.samplingMethod = code(m.get("samplingMethod"), "SamplingMethod");
  }

  RegistryContact contact(const Node& n) {
    RegistryContact c;
    c.name = text(n.get("name"));
    c.role = code(n.get("role"), "ContactRole");
    c.phone = text(n.get("phone"));
    c.email = text(n.get("email"));
    return c;
  }

  void contacts(const Node& m, RegistryRecord& r) {
    const Node central = m.get("centralContacts");
    for (size_t i = 0; i < central.size(); ++i) {
      // Central contacts are ContactDetails: their role is CONTACT (another is kept unmapped).
      const Node n = central.item(i);
      RegistryContact c;
      c.name = text(n.get("name"));
      c.phone = text(n.get("phone"));
      c.email = text(n.get("email"));
      if (c.name.empty() && c.phone.empty() && c.email.empty()) continue;  // nothing to reach
      c.role = "CONTACT";
      if (n.get("role").str() == "CONTACT") take(n.get("role"));
      r.centralContacts.push_back(std::move(c));
    }
    const Node officials = m.get("overallOfficials");
    for (size_t i = 0; i < officials.size(); ++i) {
      const Node o = officials.item(i);
      r.overallOfficials.push_back(
          {text(o.get("name")), text(o.get("affiliation")), code(o.get("role"), "OfficialRole")});
    }
    const Node locations = m.get("locations");
    for (size_t i = 0; i < locations.size(); ++i) {
      const Node n = locations.item(i);
      RegistryLocation l;
      l.facility = text(n.get("facility"));
      l.status = code(n.get("status"), "RecruitmentStatus");
      l.city = text(n.get("city"));
      l.state = text(n.get("state"));
      l.zip = text(n.get("zip"));
      l.country = text(n.get("country"));
      const Node list = n.get("contacts");
      for (size_t k = 0; k < list.size(); ++k) l.contacts.push_back(contact(list.item(k)));
      const Node geo = n.get("geoPoint");
      if (geo.get("lat").exists() && geo.get("lon").exists()) {
        l.latitude = decimal(geo.get("lat"));
        l.longitude = decimal(geo.get("lon"));
        if (l.latitude.empty() || l.longitude.empty()) l.latitude.clear(), l.longitude.clear();
      }
      r.locations.push_back(std::move(l));
    }
  }

  void references(const Node& m, RegistryRecord& r) {
    const Node refs = m.get("references");
    for (size_t i = 0; i < refs.size(); ++i) {
      const Node n = refs.item(i);
      RegistryReference ref;
      ref.pmid = n.get("pmid").str();
      if (!ref.pmid.empty() && isDigits(ref.pmid)) {
        take(n.get("pmid"));
      } else {
        ref.pmid.clear();
      }
      ref.type = code(n.get("type"), "ReferenceType");
      ref.citation = text(n.get("citation"));
      if (ref.citation.empty() && ref.pmid.empty()) continue;
      r.references.push_back(std::move(ref));
    }
    const Node links = m.get("seeAlsoLinks");
    for (size_t i = 0; i < links.size(); ++i) {
      const Node n = links.item(i);
      RegistryLink l{text(n.get("label")), text(n.get("url"))};
      if (!l.url.empty()) r.seeAlsoLinks.push_back(std::move(l));
    }
  }

  void ipd(const Node& m, RegistryRecord& r) {
    if (!m.exists()) return;
    RegistryIpdSharing s;
    s.sharing = code(m.get("ipdSharing"), "IpdSharing");
    if (s.sharing.empty()) return;
    s.description = text(m.get("description"));
    s.infoTypes = codes(m.get("infoTypes"), "IpdSharingInfoType");
    s.timeFrame = text(m.get("timeFrame"));
    s.accessCriteria = text(m.get("accessCriteria"));
    s.url = text(m.get("url"));
    r.ipdSharing = std::move(s);
  }

  // --- what was not taken -------------------------------------------------------------------

  // Whether a path below `path` was taken or rejected (then the parts are kept one by one).
  bool hasPartsBelow(const std::string& path) const {
    for (const std::string& suffix : {std::string("."), std::string("[")}) {
      const std::string prefix = path + suffix;
      auto taken = consumed_.lower_bound(prefix);
      if (taken != consumed_.end() && taken->rfind(prefix, 0) == 0) return true;
      auto rejected = rejected_.lower_bound(prefix);
      if (rejected != rejected_.end() && rejected->first.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  // Null, or objects and arrays with nothing but those inside.
  static bool holdsNothing(const Node& n) {
    switch (n.kind()) {
      case Node::Kind::Missing:
      case Node::Kind::Null: return true;
      case Node::Kind::Object:
        for (const std::string& k : n.keys()) {
          if (!holdsNothing(n.get(k))) return false;
        }
        return true;
      case Node::Kind::Array:
        for (size_t i = 0; i < n.size(); ++i) {
          if (!holdsNothing(n.item(i))) return false;
        }
        return true;
      default: return false;
    }
  }

  // Every largest part of the study that nothing was taken from, with its JSON text.
  void unmapped(const Node& n, RegistryRecord& r) {
    if (!n.exists() || consumed_.count(n.path()) > 0 || holdsNothing(n)) return;
    if ((n.isObject() || n.isArray()) && hasPartsBelow(n.path())) {
      if (n.isObject()) {
        for (const std::string& k : n.keys()) unmapped(n.get(k), r);
      } else {
        for (size_t i = 0; i < n.size(); ++i) unmapped(n.item(i), r);
      }
      return;
    }
    auto it = rejected_.find(n.path());
    const bool rejected = it != rejected_.end();
    const std::string reason = rejected ? it->second : reasonFor(relative(n.path()));
    std::string json;
    writeJson(n, json);
    r.unmapped.push_back({relative(n.path()), reason, std::move(json)});
    if (!rejected) {
      in_.report(issues_, n.path(), "not mapped: " + reason, core::Severity::Information,
                 core::IssueType::Informational);
    }
  }

  // The JSON text of a value, numbers as written.
  static void writeJson(const Node& n, std::string& out) {
    switch (n.kind()) {
      case Node::Kind::Object: {
        out += '{';
        bool first = true;
        for (const std::string& k : n.keys()) {
          if (!first) out += ',';
          first = false;
          core::appendJsonString(out, k);
          out += ':';
          writeJson(n.get(k), out);
        }
        out += '}';
        break;
      }
      case Node::Kind::Array:
        out += '[';
        for (size_t i = 0; i < n.size(); ++i) {
          if (i > 0) out += ',';
          writeJson(n.item(i), out);
        }
        out += ']';
        break;
      case Node::Kind::String: core::appendJsonString(out, n.str()); break;
      case Node::Kind::Number: out += n.number(); break;
      case Node::Kind::Bool: out += n.isTrue() ? "true" : "false"; break;
      default: out += "null";
    }
  }

  const JsonInput& in_;
  core::Issues& issues_;
  Node study_;
  std::string prefix_;
  Node organizationNode_{study_};
  std::set<std::string> consumed_;
  std::map<std::string, std::string> rejected_;
};

}  // namespace

CtgovReadResult readCtgovJson(std::string_view text, core::Issues& issues) {
  CtgovReadResult result;
  JsonInput input;
  if (!input.parse(text, issues)) return result;
  const Node root = input.root();
  if (!root.isObject()) {
    input.report(issues, "$", "a ClinicalTrials.gov study is a JSON object");
    return result;
  }
  std::vector<Node> studies;
  if (root.has("studies") && !root.has("protocolSection")) {
    const Node list = root.get("studies");
    if (!list.isArray()) {
      input.report(issues, list.path(), "studies is an array of studies");
      return result;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list.item(i).isObject()) {
        input.report(issues, list.item(i).path(), "a study is a JSON object; left out",
                     core::Severity::Warning);
        continue;
      }
      studies.push_back(list.item(i));
    }
  } else {
    studies.push_back(root);
  }
  for (const Node& s : studies) {
    result.mapped.emplace_back();
    result.records.push_back(CtgovReader(input, issues, s).read(result.mapped.back()));
  }
  return result;
}

}  // namespace trialbridge::mapping
