#pragma once
// The segment groups of an ORU^R01 message (v2.5.1 chapter 7, 7.3.1; the same shape from v2.3
// to v2.8.2):
//   MSH [{SFT}] [UAC]
//   { PATIENT_RESULT: [ PATIENT: PID [PD1] [{PRT}] [{NTE}] [{NK1}] [{ARV}]
//                                [{ PATIENT_OBSERVATION: OBX [{PRT}] }]
//                                [ VISIT: PV1 [PV2] [{PRT}] ] ]
//     { ORDER_OBSERVATION: [ORC [{PRT}]] OBR [{NTE}] [{PRT}] [{ TQ1 [{TQ2}] }] [CTD]
//                          [{ OBSERVATION: OBX [{PRT}] [{NTE}] }] [{FT1}] [{CTI}]
//                          [{ SPECIMEN: SPM [{ OBX [{PRT}] }] }] } }
//   [DSC]
// readOru() checks the header (MSH-9 ORU^R01, MSH-11 processing id P, T or D, MSH-12 version
// 2.3 to 2.8.2; a later version is read as 2.8.2 with a warning) and builds the groups. Segments
// the grammar allows where they are and that the mapping does not use (SFT, PD1, NK1, PRT ...)
// are passed over; Z-segments are allowed anywhere and listed; a segment of the standard in a
// place the grammar does not allow is a segment sequence error, except the tolerances real
// senders need and the standard's rules leave room for: an NTE after a specimen's OBX belongs to
// that OBX, and a PV1 or NTE of the patient after its observations is still the patient's.
#include <optional>
#include <vector>

#include "core/issue.h"
#include "hl7v2/message.h"

namespace trialbridge::hl7v2::oru {

struct Observation {
  Segment obx;
  std::vector<Segment> notes;  // NTE
};

struct Specimen {
  Segment spm;
  std::vector<Observation> observations;
};

struct Order {
  std::optional<Segment> orc;
  Segment obr;
  std::vector<Segment> notes;    // NTE after OBR
  std::vector<Segment> timings;  // TQ1
  std::vector<Observation> observations;
  std::vector<Specimen> specimens;
};

struct PatientResult {
  std::optional<Segment> pid;
  std::optional<Segment> pv1;
  std::vector<Segment> notes;             // NTE of the patient
  std::vector<Observation> observations;  // PATIENT_OBSERVATION
  std::vector<Order> orders;
};

struct Structure {
  std::vector<PatientResult> results;
  std::vector<Segment> zSegments;
};

// nullopt when the message is not an ORU^R01 that can be read (its issues say why, with the code
// the ACK needs: AR for the header's unsupported values, AE for the rest).
std::optional<Structure> readOru(const Message& message, core::Issues& issues);

// Whether the MSH-12 version is one readOru reads (2.3 to 2.8.2 and later ones).
bool isSupportedVersion(std::string_view version);

}  // namespace trialbridge::hl7v2::oru
