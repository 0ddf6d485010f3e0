#pragma once
// HL7 v2 ORU^R01 to FHIR R4, after the HL7 V2-to-FHIR IG (docs/mappings.md has the table):
//   MSH -> MessageHeader and a Provenance of every resource made
//   PID -> Patient, PV1 -> Encounter
//   ORC -> ServiceRequest, OBR -> DiagnosticReport (status from OBR-25, results in order),
//   SPM (or OBR-15 when there is no SPM) -> Specimen
//   OBX -> Observation (value by OBX-2, units to UCUM, OBX-7 range, OBX-8 interpretation, OBX-11
//          status, OBX-14 effective time, OBX-15/16/23/24/25 performers), NTE -> its note
// Codes go through the ConceptMaps of V2Terminology: local lab codes gain their LOINC coding.
//
// The result is one transaction Bundle whose entries PUT each resource at a deterministic id made
// from the sender (MSH-4, else MSH-3) and the message's own identifiers: an Observation's id
// comes from the filler order number (OBR-3, else ORC-3, else the placer's), OBX-3 and OBX-4,
// so that a corrected result (OBX-11 C or A) in a later message replaces the Observation it
// corrects as a new version, and a deleted or wrong one (D, W) turns it entered-in-error.
//
// Problems are issues with v2 locations (hl7v2/location.h), each error meaning the message cannot
// be mapped as sent (the ACK says AE, or AR for an unsupported type or version); the Bundle comes
// back exactly when there is no error.
#include <memory>
#include <string>

#include "conformance/context.h"
#include "conformance/terminology.h"
#include "core/element.h"
#include "core/issue.h"
#include "hl7v2/message.h"
#include "mapping/v2_terminology.h"

namespace trialbridge::mapping {

class TypeCache;

struct V2MapOptions {
  // The base of the entries' fullUrl ({base}/{type}/{id}).
  std::string fullUrlBase = "http://trialbridge.local/fhir";
  // The zone of times written without one when MSH-7 has none either ("+08:00"); empty: UTC,
  // with a warning when it is used.
  std::string defaultTimezone;
  // nullptr: the embedded defaults.
  std::shared_ptr<const V2Terminology> terminology;
};

// Made once (it reads the terminology it needs), then used for any number of messages, from any
// number of threads.
class V2Mapper {
 public:
  V2Mapper(const conformance::Context& context, V2MapOptions options = {});
  ~V2Mapper();
  V2Mapper(const V2Mapper&) = delete;
  V2Mapper& operator=(const V2Mapper&) = delete;

  // The Bundle of one message, or nullptr when its issues have an error.
  std::unique_ptr<core::Document> map(const hl7v2::Message& message, core::Issues& issues) const;

 private:
  const conformance::Context& context_;
  V2MapOptions options_;
  std::shared_ptr<const V2Terminology> terminology_;
  std::unique_ptr<conformance::Terminology> codes_;
  // Type caches kept from one message to the next, one lent to each map() call at a time.
  class CachePool;
  std::unique_ptr<CachePool> caches_;
};

}  // namespace trialbridge::mapping
