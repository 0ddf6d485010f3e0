#pragma once
// The HL7 v2 samples (samples/hl7v2/) as the end-to-end tests send them over MLLP, a command's
// output, and the acknowledgements in it.
#include <string>
#include <utility>
#include <vector>

namespace trialbridge::testing {

struct V2Sample {
  std::string file;  // one message
  std::string key;   // its receipt's: "hl7:MSH-3|MSH-4|MSH-10"
  std::string controlId;
};

// The samples in file name order, a batch's messages each written to a file of its own under
// `dir`.
std::vector<V2Sample> v2Samples(const std::string& dir);

// An ORU^R01 with one platelet count (145 x10^9/L) of patient MRN123 (Jane Doe, not a subject of
// any trial), control id `controlId`; `type` replaces MSH-9.
std::string plateletOru(const std::string& controlId, const std::string& type = "ORU^R01^ORU_R01");

// A shell command's standard output and error, and its exit status when it is not 0.
std::string runCommand(const std::string& command);
// The same output, and the exit status (as pclose gives it) in `status`.
std::string runCommand(const std::string& command, int& status);

// The MSA-1 and MSA-2 of each ACK in a text (by each ACK's own field separator).
std::vector<std::pair<std::string, std::string>> msas(const std::string& text);

}  // namespace trialbridge::testing
