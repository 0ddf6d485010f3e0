#pragma once
// Acknowledgments (v2.5.1 chapter 2, 2.9 and 2.14.1): the ACK message that answers a received
// message, in the mode the message asked for.
//
// Original mode (MSH-15 and MSH-16 both empty): one application acknowledgment, MSA-1 AA
// (accepted), AE (error: the message was understood but has errors) or AR (rejected: unsupported
// message type, event, processing id or version, or an unreadable header).
// Enhanced mode (either field valued): an accept acknowledgment (MSA-1 CA, CE, CR), sent once the
// message is safely stored, and an application acknowledgment (AA, AE, AR), each sent or not by
// its field's condition: AL always, NE never, ER only on error, SU only on success; an empty
// field in enhanced mode is NE.
//
// The ACK copies what it must from the message it answers: MSA-2 is MSH-10; its MSH-5/MSH-6 are
// the sender's MSH-3/MSH-4; MSH-11, MSH-12 and MSH-18 are the message's; the delimiters are the
// message's own. Each issue given becomes an ERR segment: from v2.5, ERR-2 the location (an ERL
// made from the issue's location), ERR-3 the HL7 table 0357 code (errorCodeFor), ERR-4 the
// severity (table 0516: E, W, I, F) and ERR-8 the text; before v2.5, ERR-1 (an ELD with the
// location and the code) and MSA-3 the first error's text.
#include <string>
#include <string_view>

#include "core/issue.h"
#include "hl7v2/message.h"

namespace trialbridge::hl7v2 {

enum class AckCode : uint8_t { AA, AE, AR, CA, CE, CR };
std::string_view ackCodeName(AckCode code);

struct AckPlan {
  bool enhanced = false;
  bool accept = false;       // send an accept acknowledgment (CA, CE or CR)
  bool application = false;  // send an application acknowledgment (AA, AE or AR)
};
// The acknowledgments owed for a message with these MSH-15 and MSH-16 values, given whether it
// was processed without error.
AckPlan planAcks(std::string_view acceptType, std::string_view applicationType, bool success);

// What an ACK copies from the message it answers.
struct AckHeader {
  Encoding encoding;
  std::string sendingApplication, sendingFacility;      // MSH-3, MSH-4 as written (escaped)
  std::string receivingApplication, receivingFacility;  // MSH-5, MSH-6 as written
  std::string controlId;                                // MSH-10, decoded
  std::string processingId;                             // MSH-11 as written
  std::string version;                                  // MSH-12.1, decoded
  std::string triggerEvent;                             // MSH-9.2, decoded
  std::string acceptAckType, applicationAckType;        // MSH-15, MSH-16
  std::string charset;                                  // MSH-18 as written
};
AckHeader ackHeaderOf(const Message& message);
// Best effort for bytes that parseMessage could not read: the fields of a first line that starts
// with MSH and has the delimiters; the defaults otherwise.
AckHeader ackHeaderFromRaw(std::string_view bytes);

struct AckOptions {
  std::string application = "TRIALBRIDGE";  // our MSH-3
  std::string facility;                     // our MSH-4
  std::string controlId;                    // the ACK's MSH-10 (unique per ACK; the caller's)
  std::string timestamp;                    // MSH-7 as a DTM; empty: now, in UTC
  size_t maxErrors = 25;                    // ERR segments at most (then one saying how many)
};

// The ACK, segments ended with CR. Issues of severity Information are left out. For an ISO 8859-1
// message the ACK is in ISO 8859-1 too (characters outside it become '?').
std::string buildAck(const AckHeader& original, AckCode code, const core::Issues& issues,
                     const AckOptions& options = {});

}  // namespace trialbridge::hl7v2
