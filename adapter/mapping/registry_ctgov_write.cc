// Registry record -> ClinicalTrials.gov API v2 JSON (registry_ctgov.h): the writing half.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <string>
#include <vector>

#include "mapping/registry_ctgov.h"

namespace trialbridge::mapping {

namespace {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// Writes objects whose members are left out when empty, so that the output holds what the record
// has and nothing else.
class Out {
 public:
  explicit Out(JsonWriter& w) : w_(w) {}

  void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view k, const std::string& v) {
    if (v.empty()) return;
    key(k);
    w_.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void strings(std::string_view k, const std::vector<std::string>& v) {
    if (v.empty()) return;
    key(k);
    w_.StartArray();
    for (const std::string& s : v) w_.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    w_.EndArray();
  }
  void flag(std::string_view k, const std::optional<bool>& v) {
    if (!v) return;
    key(k);
    w_.Bool(*v);
  }
  // A decimal as written (it came from a FHIR decimal or the registry's JSON).
  void raw(std::string_view k, const std::string& v) {
    if (v.empty()) return;
    key(k);
    w_.RawValue(v.c_str(), v.size(), rapidjson::kNumberType);
  }
  // An object member written by `body`, left out when `present` is false.
  template <typename F>
  void object(std::string_view k, bool present, F&& body) {
    if (!present) return;
    key(k);
    w_.StartObject();
    body();
    w_.EndObject();
  }
  template <typename T, typename F>
  void array(std::string_view k, const std::vector<T>& items, F&& each) {
    if (items.empty()) return;
    key(k);
    w_.StartArray();
    for (const T& item : items) {
      w_.StartObject();
      each(item);
      w_.EndObject();
    }
    w_.EndArray();
  }
  void date(std::string_view k, const RegistryDate& d) {
    object(k, !d.date.empty(), [&] {
      string("date", d.date);
      string("type", d.type);
    });
  }
  void organization(std::string_view k, const RegistryOrganization& o, const char* nameKey) {
    object(k, !o.name.empty(), [&] {
      string(nameKey, o.name);
      string("class", o.klass);
    });
  }
  JsonWriter& writer() { return w_; }

 private:
  JsonWriter& w_;
};

bool any(std::initializer_list<bool> parts) {
  for (bool p : parts) {
    if (p) return true;
  }
  return false;
}

void identification(Out& o, const RegistryRecord& r) {
  o.object("identificationModule", true, [&] {
    o.string("nctId", r.nctId);
    o.object("orgStudyIdInfo", !r.orgStudyId.empty(), [&] { o.string("id", r.orgStudyId); });
    o.array("secondaryIdInfos", r.secondaryIds, [&](const RegistrySecondaryId& s) {
      o.string("id", s.id);
      o.string("type", s.type);
      o.string("domain", s.domain);
    });
    o.organization("organization", r.organization, "fullName");
    o.string("briefTitle", r.briefTitle);
    o.string("officialTitle", r.officialTitle);
    o.string("acronym", r.acronym);
  });
}

void status(Out& o, const RegistryRecord& r) {
  o.object("statusModule", true, [&] {
    o.string("statusVerifiedDate", r.statusVerifiedDate);
    o.string("overallStatus", r.overallStatus);
    o.string("lastKnownStatus", r.lastKnownStatus);
    o.string("whyStopped", r.whyStopped);
    o.date("startDateStruct", r.startDate);
    o.date("primaryCompletionDateStruct", r.primaryCompletionDate);
    o.date("completionDateStruct", r.completionDate);
    o.string("studyFirstSubmitDate", r.firstSubmitDate);
  });
}

void design(Out& o, const RegistryRecord& r) {
  o.object("designModule", true, [&] {
    o.string("studyType", r.studyType);
    o.strings("phases", r.phases);
    const bool masking =
        !r.masking.empty() || !r.maskingDescription.empty() || !r.whoMasked.empty();
    o.object("designInfo",
             any({!r.allocation.empty(), !r.interventionModel.empty(),
                  !r.interventionModelDescription.empty(), !r.primaryPurpose.empty(),
                  !r.observationalModel.empty(), !r.timePerspective.empty(), masking}),
             [&] {
               o.string("allocation", r.allocation);
               o.string("interventionModel", r.interventionModel);
               o.string("interventionModelDescription", r.interventionModelDescription);
               o.string("primaryPurpose", r.primaryPurpose);
               o.string("observationalModel", r.observationalModel);
               o.string("timePerspective", r.timePerspective);
               o.object("maskingInfo", masking, [&] {
                 o.string("masking", r.masking);
                 o.string("maskingDescription", r.maskingDescription);
                 o.strings("whoMasked", r.whoMasked);
               });
             });
    o.object("bioSpec", !r.bioSpecRetention.empty() || !r.bioSpecDescription.empty(), [&] {
      o.string("retention", r.bioSpecRetention);
      o.string("description", r.bioSpecDescription);
    });
    o.object("enrollmentInfo", r.enrollmentCount.has_value() || !r.enrollmentType.empty(), [&] {
      if (r.enrollmentCount) {
        o.key("count");
        o.writer().Int64(*r.enrollmentCount);
      }
      o.string("type", r.enrollmentType);
    });
  });
}

void armsAndOutcomes(Out& o, const RegistryRecord& r) {
  o.object("armsInterventionsModule", !r.armGroups.empty() || !r.interventions.empty(), [&] {
    o.array("armGroups", r.armGroups, [&](const RegistryArmGroup& a) {
      o.string("label", a.label);
      o.string("type", a.type);
      o.string("description", a.description);
      o.strings("interventionNames", a.interventionNames);
    });
    o.array("interventions", r.interventions, [&](const RegistryIntervention& i) {
      o.string("type", i.type);
      o.string("name", i.name);
      o.string("description", i.description);
      o.strings("armGroupLabels", i.armGroupLabels);
      o.strings("otherNames", i.otherNames);
    });
  });
  o.object("outcomesModule", !r.outcomes.empty(), [&] {
    for (const auto& [kind, key] :
         {std::pair{"primary", "primaryOutcomes"}, std::pair{"secondary", "secondaryOutcomes"},
          std::pair{"other", "otherOutcomes"}}) {
      std::vector<RegistryOutcome> list;
      for (const RegistryOutcome& x : r.outcomes) {
        if (x.kind == kind) list.push_back(x);
      }
      o.array(key, list, [&](const RegistryOutcome& x) {
        o.string("measure", x.measure);
        o.string("description", x.description);
        o.string("timeFrame", x.timeFrame);
      });
    }
  });
}

void contact(Out& o, const RegistryContact& c) {
  o.string("name", c.name);
  o.string("role", c.role);
  o.string("phone", c.phone);
  o.string("phoneExt", c.phoneExt);
  o.string("email", c.email);
}

void contactsAndMore(Out& o, const RegistryRecord& r) {
  o.object("contactsLocationsModule",
           !r.centralContacts.empty() || !r.overallOfficials.empty() || !r.locations.empty(), [&] {
             o.array("centralContacts", r.centralContacts,
                     [&](const RegistryContact& c) { contact(o, c); });
             o.array("overallOfficials", r.overallOfficials, [&](const RegistryOfficial& x) {
               o.string("name", x.name);
               o.string("affiliation", x.affiliation);
               o.string("role", x.role);
             });
             o.array("locations", r.locations, [&](const RegistryLocation& l) {
               o.string("facility", l.facility);
               o.string("status", l.status);
               o.string("city", l.city);
               o.string("state", l.state);
               o.string("zip", l.zip);
               o.string("country", l.country);
               o.array("contacts", l.contacts, [&](const RegistryContact& c) { contact(o, c); });
               o.object("geoPoint", !l.latitude.empty() && !l.longitude.empty(), [&] {
                 o.raw("lat", l.latitude);
                 o.raw("lon", l.longitude);
               });
             });
           });
  o.object("referencesModule", !r.references.empty() || !r.seeAlsoLinks.empty(), [&] {
    o.array("references", r.references, [&](const RegistryReference& x) {
      o.string("pmid", x.pmid);
      o.string("type", x.type);
      o.string("citation", x.citation);
    });
    o.array("seeAlsoLinks", r.seeAlsoLinks, [&](const RegistryLink& l) {
      o.string("label", l.label);
      o.string("url", l.url);
    });
  });
  o.object("ipdSharingStatementModule", r.ipdSharing.has_value(), [&] {
    o.string("ipdSharing", r.ipdSharing->sharing);
    o.string("description", r.ipdSharing->description);
    o.strings("infoTypes", r.ipdSharing->infoTypes);
    o.string("timeFrame", r.ipdSharing->timeFrame);
    o.string("accessCriteria", r.ipdSharing->accessCriteria);
    o.string("url", r.ipdSharing->url);
  });
}

}  // namespace

std::string writeCtgovJson(const RegistryRecord& r) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.SetIndent(' ', 2);
  Out o(w);
  w.StartObject();
  o.object("protocolSection", true, [&] {
    identification(o, r);
    status(o, r);
    o.object("sponsorCollaboratorsModule", !r.leadSponsor.name.empty() || !r.collaborators.empty(),
             [&] {
               o.organization("leadSponsor", r.leadSponsor, "name");
               o.array("collaborators", r.collaborators, [&](const RegistryOrganization& c) {
                 o.string("name", c.name);
                 o.string("class", c.klass);
               });
             });
    o.object("oversightModule",
             r.oversightHasDmc.has_value() || r.isFdaRegulatedDrug.has_value() ||
                 r.isFdaRegulatedDevice.has_value(),
             [&] {
               o.flag("oversightHasDmc", r.oversightHasDmc);
               o.flag("isFdaRegulatedDrug", r.isFdaRegulatedDrug);
               o.flag("isFdaRegulatedDevice", r.isFdaRegulatedDevice);
             });
    o.object("descriptionModule", !r.briefSummary.empty() || !r.detailedDescription.empty(), [&] {
      o.string("briefSummary", r.briefSummary);
      o.string("detailedDescription", r.detailedDescription);
    });
    o.object("conditionsModule", !r.conditions.empty() || !r.keywords.empty(), [&] {
      o.strings("conditions", r.conditions);
      o.strings("keywords", r.keywords);
    });
    design(o, r);
    armsAndOutcomes(o, r);
    o.object("eligibilityModule",
             any({!r.eligibilityCriteria.empty(), r.healthyVolunteers.has_value(), !r.sex.empty(),
                  !r.minimumAge.empty(), !r.maximumAge.empty(), !r.studyPopulation.empty(),
                  !r.samplingMethod.empty()}),
             [&] {
               o.string("eligibilityCriteria", r.eligibilityCriteria);
               o.flag("healthyVolunteers", r.healthyVolunteers);
               o.string("sex", r.sex);
               o.string("minimumAge", r.minimumAge);
               o.string("maximumAge", r.maximumAge);
               o.string("studyPopulation", r.studyPopulation);
               o.string("samplingMethod", r.samplingMethod);
             });
    contactsAndMore(o, r);
  });
  o.flag("hasResults", r.hasResults);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

}  // namespace trialbridge::mapping
