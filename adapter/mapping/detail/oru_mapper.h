#pragma once
// Internal to tb_mapping: the ORU^R01 mapper behind mapOru(), split by family over
// oru_mapper.cc (the message, patient, visit, provenance), oru_order.cc (orders, reports,
// specimens, the people and organizations they name) and oru_observation.cc (OBX).
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "core/string_map.h"
#include "hl7v2/message.h"
#include "hl7v2/oru.h"
#include "mapping/bundle_builder.h"
#include "mapping/oru_mapping.h"
#include "mapping/v2_datatypes.h"
#include "mapping/v2_terminology.h"

namespace trialbridge::mapping::detail {

// The prefix of the HL7 v2 table code systems ("...v2-0078" for table 0078).
inline constexpr std::string_view kV2 = "http://terminology.hl7.org/CodeSystem/v2-";

// What an OBX's Observation refers to and inherits from its group.
struct ObservationContext {
  std::string key;  // the order's (or patient's) part of the ids
  std::string patient, encounter, serviceRequest, specimen;
  std::optional<hl7v2::Segment> obr;  // for OBR-7 and OBR-22 when OBX-14 is empty
  std::optional<hl7v2::Segment> spm;  // for SPM-17 when OBR-7 is empty too
  bool focusOnSpecimen = false;       // an observation of the specimen (SPECIMEN group)
};

class OruMapper {
 public:
  OruMapper(const hl7v2::Message& message, const V2MapOptions& options,
            const core::TypeResolver& types, const V2Terminology& terminology,
            const conformance::Terminology& codes, core::Issues& issues,
            TypeCache* cache = nullptr);
  std::unique_ptr<core::Document> map(const hl7v2::oru::Structure& oru);

  // A deterministic resource id: prefix, '-', 24 hex digits of the SHA-256 of the parts.
  static std::string makeId(std::string_view prefix, std::initializer_list<std::string_view> parts);

 private:
  // ---- oru_mapper.cc
  core::Element* addResource(std::string_view type, const std::string& id);
  void readTimezone();
  core::Element* messageHeader();
  void provenance();
  std::string patient(const hl7v2::Segment& pid);
  std::string encounter(const hl7v2::Segment& pv1, const std::string& patientRef);
  void patientResult(const hl7v2::oru::PatientResult& result);

  // ---- oru_order.cc
  std::string orderKey(const hl7v2::oru::Order& order);
  void order(const hl7v2::oru::Order& order, const std::string& patientRef,
             const std::string& encounterRef);
  std::string serviceRequest(const hl7v2::oru::Order& order, const ObservationContext& ctx);
  std::string specimen(const hl7v2::Segment& spm, const ObservationContext& ctx);
  std::string specimenFromObr(const hl7v2::Segment& obr, const ObservationContext& ctx);
  void diagnosticReport(const hl7v2::oru::Order& order, const ObservationContext& ctx,
                        const std::vector<std::string>& results,
                        const std::vector<std::string>& specimens);
  // Shared resources, added once per Bundle; their references, or "" for an empty value.
  std::string practitioner(const hl7v2::Value& xcn);
  std::string organization(const hl7v2::Value& xon, const hl7v2::Value& address,
                           const hl7v2::Value& producerId);
  std::string practitionerOf(const hl7v2::Value& xcn);
  std::string organizationOf(const hl7v2::Value& xon, const hl7v2::Value& address,
                             const hl7v2::Value& producerId);
  std::string practitionerRole(const std::string& practitionerRef,
                               const std::string& organizationRef);
  std::string organizationFromHd(const hl7v2::Value& hd);
  // The reference made for `written` (a party as written, with a prefix naming its kind) once a
  // message: make() gives it the first time.
  template <typename Make>
  std::string once(std::string written, Make&& make) {
    if (auto it = seen_.find(written); it != seen_.end()) return it->second;
    std::string ref = make();
    seen_.emplace(std::move(written), ref);
    return ref;
  }
  // Notes (NTE-3 repeats) as Annotations of `resource`.
  void notes(core::Element* resource, const std::vector<hl7v2::Segment>& ntes);
  std::string noteText(const std::vector<hl7v2::Segment>& ntes);

  // ---- oru_observation.cc
  std::string observation(const hl7v2::oru::Observation& obs, const ObservationContext& ctx);
  std::string observationId(const hl7v2::Segment& obx, const ObservationContext& ctx);
  void observationCode(core::Element* resource, const hl7v2::Value& cwe);
  void observationStatus(core::Element* resource, const hl7v2::Segment& obx,
                         const ObservationContext& ctx);
  void observationValue(core::Element* resource, const hl7v2::Segment& obx);
  // One OBX-5 repetition as value[x] of `parent` (an Observation or a component); false when
  // nothing was written.
  bool value(core::Element* parent, std::string_view type, const hl7v2::Value& v,
             const hl7v2::Segment& obx);
  bool numericValue(core::Element* parent, const hl7v2::Value& v, const hl7v2::Segment& obx);
  bool structuredNumeric(core::Element* parent, const hl7v2::Value& v, const hl7v2::Segment& obx);
  bool rangeValue(core::Element* parent, const hl7v2::Value& v, const hl7v2::Segment& obx);
  bool dateTimeValue(core::Element* parent, std::string_view type, const hl7v2::Value& v);
  void referenceRange(core::Element* resource, const hl7v2::Segment& obx);
  void interpretation(core::Element* resource, const hl7v2::Value& flags);
  void performers(core::Element* resource, const hl7v2::Segment& obx);
  void effective(core::Element* resource, const hl7v2::Segment& obx, const ObservationContext& ctx);

  const hl7v2::Message& m_;
  const V2MapOptions& options_;
  const V2Terminology& terminology_;
  core::Issues& issues_;
  TransactionBuilder tx_;
  ResourceBuilder& b_;
  V2DataTypes dt_;
  std::string sender_;
  std::string controlId_;
  std::vector<std::string> targets_;  // every resource made, for the Provenance
  std::vector<std::string> reports_;  // DiagnosticReports, the MessageHeader's focus
  std::set<std::string> added_;
  std::set<std::string> observationIds_;
  // The next place number to try for an Observation id already taken (by its first id), so that
  // N repeats of one test cost N ids, not N*N/2 (10,000 OBX of one code took 100 s).
  std::map<std::string, int> nextPlace_;
  // People, organizations and roles as written -> their references.
  core::StringMap<std::string> seen_;
};

}  // namespace trialbridge::mapping::detail
