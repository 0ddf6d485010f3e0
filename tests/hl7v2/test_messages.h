#pragma once
// Messages the hl7v2 tests share. Segments end with CR, as on the wire.
#include <string>

namespace trialbridge::hl7v2::test {

inline std::string segments(std::initializer_list<std::string> lines,
                            const std::string& terminator = "\r") {
  std::string out;
  for (const std::string& l : lines) out += l + terminator;
  return out;
}

// An ORU^R01 with a patient, a visit, one order with two results, a note and a specimen.
inline std::string oruMessage(const std::string& terminator = "\r") {
  return segments(
      {"MSH|^~\\&|LAB|TAIXIN|TRIALBRIDGE|STUDY|20250312083000+0800||ORU^R01^ORU_R01|MSG00001|P|"
       "2.5.1|||AL|NE|CHN|UNICODE UTF-8",
       "PID|1||MRN0048213^^^TAIXIN&2.16.156.99999.1&ISO^MR||Wang^Li||19880412|F", "PV1|1|O",
       "ORC|RE|ORD1|FIL1",
       "OBR|1|ORD1|FIL1|58410-2^CBC "
       "panel^LN|||20250312073000+0800|||||||||||||||20250312082500+0800|||F",
       "OBX|1|NM|777-3^Platelets^LN||45|10*9/L^^UCUM|150-400|L|||F|||20250312073000+0800",
       "NTE|1|L|Platelet clumps excluded",
       "OBX|2|NM|718-7^Hemoglobin^LN||128|g/L^^UCUM|115-150|N|||F",
       "SPM|1|SP1||119297000^Blood specimen^SCT"},
      terminator);
}

}  // namespace trialbridge::hl7v2::test
