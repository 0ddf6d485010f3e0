#include "mapping/registry_who.h"

#include <set>
#include <string>

#include "core/text.h"
#include "mapping/registry_tables.h"
#include "mapping/xml_out.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::Vocabulary;

namespace {

// A value of the data set: text, an object (named members, in order), a list, or nothing.
struct Value {
  enum class Kind { Null, Text, Object, List } kind = Kind::Null;
  std::string text;
  // An object's members: names[i] is the name of members[i] (a pair would need Value complete).
  std::vector<std::string> names;
  std::vector<Value> members;
  std::vector<Value> items;

  static Value of(const std::string& t) {
    Value v;
    if (!t.empty()) {
      v.kind = Kind::Text;
      v.text = t;
    }
    return v;
  }
  static Value object() {
    Value v;
    v.kind = Kind::Object;
    return v;
  }
  static Value list() {
    Value v;
    v.kind = Kind::List;
    return v;
  }
  // Adds a member unless it is null.
  Value& add(const std::string& name, Value v) {
    if (v.kind != Kind::Null) {
      names.push_back(name);
      members.push_back(std::move(v));
    }
    return *this;
  }
  bool isNull() const {
    return kind == Kind::Null || (kind == Kind::Object && members.empty()) ||
           (kind == Kind::List && items.empty());
  }
};

const RegistryTables& tables() { return RegistryTables::get(); }

Value contact(const std::string& name, const std::string& affiliation, const std::string& email,
              const std::string& phone) {
  Value v = Value::object();
  v.add("name", Value::of(name))
      .add("affiliation", Value::of(affiliation))
      .add("email", Value::of(email))
      .add("phone", Value::of(phone));
  return v;
}

Value outcomes(const RegistryRecord& r, const std::string& kind) {
  Value list = Value::list();
  for (const RegistryOutcome& o : r.outcomes) {
    if (o.kind != kind) continue;
    Value v = Value::object();
    v.add("measure", Value::of(o.measure))
        .add("timeFrame", Value::of(o.timeFrame))
        .add("description", Value::of(o.description));
    list.items.push_back(std::move(v));
  }
  return list;
}

Value identifiers(const RegistryRecord& r) {
  Value list = Value::list();
  auto add = [&](const std::string& issuer, const std::string& id) {
    Value v = Value::object();
    v.add("issuingAuthority", Value::of(issuer)).add("id", Value::of(id));
    list.items.push_back(std::move(v));
  };
  if (!r.orgStudyId.empty()) {
    add(r.organization.name.empty() ? r.leadSponsor.name : r.organization.name, r.orgStudyId);
  }
  for (const RegistrySecondaryId& s : r.secondaryIds) {
    std::string issuer = s.domain;
    if (issuer.empty()) {
      const std::string registry = Vocabulary::get().registryOfValue(s.id);
      issuer = registry.empty() ? tables().prs("SecondaryIdType", s.type)
                                : Vocabulary::get().registry(registry)->display;
    }
    add(issuer, s.id);
  }
  return list;
}

Value studyType(const RegistryRecord& r) {
  Value v = Value::object();
  std::string phases;
  for (const std::string& p : r.phases)
    phases += (phases.empty() ? "" : "/") + tables().prs("Phase", p);
  v.add("studyType", Value::of(tables().field("StudyType", r.studyType, "who")))
      .add("allocation", Value::of(tables().prs("DesignAllocation", r.allocation)))
      .add("masking", Value::of(tables().field("DesignMasking", r.masking, "who")))
      .add("primaryPurpose", Value::of(tables().prs("PrimaryPurpose", r.primaryPurpose)))
      .add("interventionModel",
           Value::of(tables().prs("InterventionalAssignment", r.interventionModel)))
      .add("observationalModel",
           Value::of(tables().prs("ObservationalModel", r.observationalModel)))
      .add("phase", Value::of(phases));
  return v;
}

// The 24 items' values, in order.
std::vector<Value> items(const RegistryRecord& r) {
  std::vector<Value> out(24);
  if (!r.nctId.empty()) {
    out[0] = Value::object();
    out[0].add("registry", Value::of("ClinicalTrials.gov")).add("id", Value::of(r.nctId));
  } else {
    // Without an NCT number, the first registry's number (EU CT, EudraCT, ISRCTN...).
    for (const RegistrySecondaryId& s : r.secondaryIds) {
      const std::string registry = Vocabulary::get().registryOfValue(s.id);
      if (registry.empty()) continue;
      out[0] = Value::object();
      out[0]
          .add("registry", Value::of(Vocabulary::get().registry(registry)->display))
          .add("id", Value::of(s.id));
      break;
    }
  }
  out[1] = Value::of(r.firstSubmitDate);
  out[2] = identifiers(r);
  out[3] = Value::list();
  if (!r.leadSponsor.name.empty()) out[3].items.push_back(Value::of(r.leadSponsor.name));
  out[4] = Value::of(r.leadSponsor.name);
  out[5] = Value::list();
  for (const RegistryOrganization& c : r.collaborators) out[5].items.push_back(Value::of(c.name));
  if (!r.centralContacts.empty()) {
    const RegistryContact& c = r.centralContacts.front();
    out[6] = contact(c.name, {}, c.email, c.phone);
  }
  if (!r.overallOfficials.empty()) {
    const RegistryOfficial& o = r.overallOfficials.front();
    out[7] = contact(o.name, o.affiliation, {}, {});
    out[7].add("role", Value::of(tables().prs("OfficialRole", o.role)));
  }
  out[8] = Value::object();
  out[8].add("title", Value::of(r.briefTitle)).add("acronym", Value::of(r.acronym));
  out[9] = Value::object();
  out[9].add("title", Value::of(r.officialTitle)).add("acronym", Value::of(r.acronym));
  std::set<std::string> seen;
  out[10] = Value::list();
  for (const RegistryLocation& l : r.locations) {
    if (!l.country.empty() && seen.insert(l.country).second)
      out[10].items.push_back(Value::of(l.country));
  }
  out[11] = Value::object();
  Value conditions = Value::list(), keywords = Value::list();
  for (const std::string& c : r.conditions) conditions.items.push_back(Value::of(c));
  for (const std::string& k : r.keywords) keywords.items.push_back(Value::of(k));
  if (!conditions.isNull()) out[11].add("conditions", std::move(conditions));
  if (!keywords.isNull()) out[11].add("keywords", std::move(keywords));
  out[12] = Value::list();
  for (const RegistryIntervention& i : r.interventions) {
    Value v = Value::object();
    v.add("type", Value::of(tables().field("InterventionType", i.type, "label")))
        .add("name", Value::of(i.name))
        .add("description", Value::of(i.description));
    out[12].items.push_back(std::move(v));
  }
  out[13] = Value::object();
  out[13]
      .add("criteria", Value::of(r.eligibilityCriteria))
      .add("sex", Value::of(tables().field("Sex", r.sex, "who")))
      .add("minimumAge", Value::of(r.minimumAge))
      .add("maximumAge", Value::of(r.maximumAge))
      .add("healthyVolunteers",
           Value::of(r.healthyVolunteers ? (*r.healthyVolunteers ? "Yes" : "No") : ""));
  out[14] = studyType(r);
  if (!r.startDate.date.empty()) {
    out[15] = Value::object();
    out[15]
        .add("date", Value::of(r.startDate.date))
        .add("type", Value::of(tables().field("DateType", r.startDate.type, "who")));
  }
  if (r.enrollmentCount) {
    out[16] = Value::object();
    out[16].add(r.enrollmentType == "ACTUAL" ? "actual" : "target",
                Value::of(std::to_string(*r.enrollmentCount)));
  }
  if (const RegistryTables::Status* s = tables().status(r.overallStatus)) {
    out[17] = Value::of(s->who);
  }
  out[18] = outcomes(r, "primary");
  out[19] = outcomes(r, "secondary");
  // 21, Ethics Review: ClinicalTrials.gov records do not carry it; null.
  if (!r.completionDate.date.empty()) {
    out[21] = Value::object();
    out[21]
        .add("date", Value::of(r.completionDate.date))
        .add("type", Value::of(tables().field("DateType", r.completionDate.type, "who")));
  }
  if (r.hasResults) {
    out[22] = Value::object();
    out[22].add("resultsPosted", Value::of(*r.hasResults ? "Yes" : "No"));
    if (*r.hasResults && !r.nctId.empty())
      out[22].add("url", Value::of("https://clinicaltrials.gov/study/" + r.nctId + "?tab=results"));
  }
  if (r.ipdSharing) {
    out[23] = Value::object();
    out[23]
        .add("plan", Value::of(tables().prs("IpdSharing", r.ipdSharing->sharing)))
        .add("description", Value::of(r.ipdSharing->description));
  }
  return out;
}

void json(const Value& v, std::string& out, int depth) {
  const std::string pad(static_cast<size_t>(depth) * 2 + 2, ' ');
  const std::string end(static_cast<size_t>(depth) * 2, ' ');
  if (v.isNull()) {
    out += "null";
  } else if (v.kind == Value::Kind::Text) {
    core::appendJsonString(out, v.text);
  } else if (v.kind == Value::Kind::Object) {
    out += "{\n";
    for (size_t i = 0; i < v.members.size(); ++i) {
      out += pad;
      core::appendJsonString(out, v.names[i]);
      out += ": ";
      json(v.members[i], out, depth + 1);
      out += i + 1 < v.members.size() ? ",\n" : "\n";
    }
    out += end + "}";
  } else {
    out += "[\n";
    for (size_t i = 0; i < v.items.size(); ++i) {
      out += pad;
      json(v.items[i], out, depth + 1);
      out += i + 1 < v.items.size() ? ",\n" : "\n";
    }
    out += end + "]";
  }
}

void xml(XmlOut& x, const std::string& name, const Value& v) {
  if (v.kind == Value::Kind::Text) {
    x.leaf(name, v.text);
  } else if (v.kind == Value::Kind::Object) {
    x.open(name);
    for (size_t i = 0; i < v.members.size(); ++i) xml(x, v.names[i], v.members[i]);
    x.close();
  } else if (v.kind == Value::Kind::List) {
    // A list is its items, each an element of the list's name.
    for (const Value& item : v.items) xml(x, name, item);
  }
}

// The element name of an item's value in XML: "value".
constexpr const char* kValue = "value";

}  // namespace

const std::vector<std::string>& whoItemNames() {
  static const std::vector<std::string> kNames = {
      "Primary Registry and Trial Identifying Number",
      "Date of Registration in Primary Registry",
      "Secondary Identifying Numbers",
      "Source(s) of Monetary or Material Support",
      "Primary Sponsor",
      "Secondary Sponsor(s)",
      "Contact for Public Queries",
      "Contact for Scientific Queries",
      "Public Title",
      "Scientific Title",
      "Countries of Recruitment",
      "Health Condition(s) or Problem(s) Studied",
      "Intervention(s)",
      "Key Inclusion and Exclusion Criteria",
      "Study Type",
      "Date of First Enrollment",
      "Sample Size",
      "Recruitment Status",
      "Primary Outcome(s)",
      "Key Secondary Outcomes",
      "Ethics Review",
      "Completion Date",
      "Summary Results",
      "IPD Sharing Statement",
  };
  return kNames;
}

std::string writeWhoJson(const RegistryRecord& record) {
  const std::vector<Value> values = items(record);
  std::string out =
      "{\n  \"dataSet\": \"WHO Trial Registration Data Set\",\n  \"version\": "
      "\"1.3.1\",\n  \"items\": [\n";
  for (size_t i = 0; i < values.size(); ++i) {
    out += "    {\n      \"item\": " + std::to_string(i + 1) + ",\n      \"name\": ";
    core::appendJsonString(out, whoItemNames()[i]);
    out += ",\n      \"value\": ";
    json(values[i], out, 3);
    out += i + 1 < values.size() ? "\n    },\n" : "\n    }\n";
  }
  out += "  ]\n}\n";
  return out;
}

std::string writeWhoXml(const RegistryRecord& record) {
  const std::vector<Value> values = items(record);
  XmlOut x;
  x.open("trds", {{"dataSet", "WHO Trial Registration Data Set"}, {"version", "1.3.1"}});
  for (size_t i = 0; i < values.size(); ++i) {
    const std::vector<std::pair<std::string, std::string>> attributes = {
        {"number", std::to_string(i + 1)}, {"name", whoItemNames()[i]}};
    if (values[i].isNull()) {
      auto missing = attributes;
      missing.emplace_back("missing", "true");
      x.empty("item", missing);
      continue;
    }
    x.open("item", attributes);
    xml(x, kValue, values[i]);
    x.close();
  }
  x.close();
  return x.finish();
}

}  // namespace trialbridge::mapping
