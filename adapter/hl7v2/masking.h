#pragma once
// The pseudonymous view of an HL7 v2 message: its segments and fields with every field that
// identifies a person masked, for showing a quarantined message to operators (the console) who
// must not see names or identifiers. The rule lives here only, so that every view of a message's
// values applies the same one:
//
// - PID: only PID-1 (set id) and PID-8 (administrative sex) are shown. Identifier fields (PID-2,
//   3, 4, 18, 21: CX) keep their assigning authority and identifier type (components 4 and 5),
//   which is what a mapping or enrolment error is usually about; every other PID field (names,
//   birth date and place, addresses, phones, SSN, driver's licence, race, ethnicity, religion,
//   marital status, nationality, death date ...) is masked whole.
// - Segments about people other than through their results (NK1 next of kin, PD1, GT1
//   guarantor, IN1-IN3 insurance, MRG, CTD contact data, ROL, and any segment the rule does not
//   know, Z-segments included): only field 1 (the set id) is shown.
// - PV1: the visit numbers (PV1-19, PV1-50) are masked. OBR: the relevant clinical information
//   (OBR-13, free text) is masked. NTE: the comment (NTE-3) is masked. OBX: the value (OBX-5) is
//   shown only when its type (OBX-2) cannot carry free text: numbers (NM, SN, NR, MO), dates and
//   times (DT, DTM, TM, TS) and codes (CE, CWE, CNE, CV, ID, IS). Strings and text (ST, TX, FT),
//   encapsulated data (ED), person, address and identifier types, and a missing or unknown type
//   are masked: they may quote a name.
// - MSH, SFT, EVN, PV2, ORC, TQ1, TQ2, OBR, OBX, SPM, CTI, FT1, DSC and the ERR segment are shown
//   otherwise whole (staff, orders, codes, results, dates).
//
// Masking replaces each non-empty masked component with kMask, so the shape of a field (how many
// repetitions and components were written) stays visible.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/message.h"

namespace trialbridge::hl7v2 {

inline constexpr std::string_view kMask = "***";

struct ShownField {
  uint32_t number = 0;  // 1-based, as in the standard (MSH-1 is the field separator)
  std::string value;    // as written (escape sequences kept), masked parts replaced by kMask
  bool masked = false;  // some or all of it was masked
  bool truncated = false;
};

struct ShownSegment {
  std::string id;
  uint32_t number = 0;      // position in the message (1-based: MSH is 1)
  uint32_t occurrence = 1;  // among the segments with the same id
  std::vector<ShownField> fields;
};

struct ShowLimits {
  size_t maxSegments = 500;    // segments beyond are left out
  size_t maxValueBytes = 200;  // longer values are cut (at a UTF-8 boundary) and marked truncated
};

// How the rule treats a field. `valueType` is the segment's OBX-2 (only read for OBX).
enum class FieldRule : uint8_t { Show, Mask, MaskButAuthority };
FieldRule fieldRule(std::string_view segment, uint32_t field, std::string_view valueType = {});

// The message's segments with the rule applied (the message's values are valid UTF-8).
std::vector<ShownSegment> pseudonymousSegments(const Message& message,
                                               const ShowLimits& limits = {});

}  // namespace trialbridge::hl7v2
