#pragma once
// Where a problem is in an HL7 v2 message, and the HL7 error code (table 0357) it stands for.
//
// Problems in v2 data travel as core::Issue like every other problem in data. For a v2 message
// an issue's fields mean:
//   location  the v2 position in the usual notation: segment, its occurrence when it is not the
//             first of its kind in brackets, field, repetition when not the first in brackets,
//             component and subcomponent after dots: "PID-3", "OBX[2]-5.1", "PID-3[2].4.2";
//             "MSH" alone for the segment as a whole
//   line      the segment's number in the message (1-based: MSH is 1)
//   column    the byte offset of the problem in the message plus one (offsets count bytes of the
//             message as read, after a conversion to UTF-8)
// formatLocation() and parseLocation() convert between the text and Location, so the ACK's ERR-2
// (an ERL) comes back from an issue whichever layer reported it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/issue.h"

namespace trialbridge::hl7v2 {

struct Location {
  std::string segment;      // "PID"; empty when the problem is in no segment (the framing)
  uint32_t occurrence = 1;  // 1 for the first segment with this id, 2 for the second ...
  uint32_t field = 0;       // 0: the segment as a whole
  uint32_t repetition = 1;
  uint32_t component = 0;  // 0: the whole field (repetition)
  uint32_t subcomponent = 0;
  uint32_t segmentNumber = 0;  // 1-based position in the message; 0 when unknown
  uint64_t offset = 0;         // byte offset in the message

  bool operator==(const Location& other) const = default;
};

// "OBX[2]-5.1" (see above); "" for a location with no segment.
std::string formatLocation(const Location& at);
// The inverse of formatLocation (segmentNumber and offset stay 0); nullopt for other text.
std::optional<Location> parseLocation(std::string_view text);

// HL7 table 0357, message error condition codes.
enum class ErrorCode : uint16_t {
  Accepted = 0,
  SegmentSequence = 100,
  RequiredFieldMissing = 101,
  DataType = 102,
  TableValueNotFound = 103,
  ValueTooLong = 104,
  UnsupportedMessageType = 200,
  UnsupportedEventCode = 201,
  UnsupportedProcessingId = 202,
  UnsupportedVersionId = 203,
  UnknownKeyIdentifier = 204,
  DuplicateKeyIdentifier = 205,
  ApplicationRecordLocked = 206,
  ApplicationInternalError = 207,
};

// The code's display text in table 0357 ("Required field missing").
std::string_view errorCodeText(ErrorCode code);

// An issue about v2 data at `at`, filled as described above.
core::Issue makeIssue(core::Severity severity, core::IssueType type, std::string message,
                      const Location& at);

// The table 0357 code of an issue, by rule: the issue type says the kind of problem (Structure:
// segment sequence; Required: required field missing; Value, Invalid: data type; CodeInvalid:
// table value not found; TooLong, TooCostly: value too long; NotSupported: unsupported message
// type, event, processing id or version according to the field, MSH-9.1, MSH-9.2, MSH-11 or
// MSH-12; Duplicate: duplicate key; others: application internal error).
ErrorCode errorCodeFor(const core::Issue& issue);

}  // namespace trialbridge::hl7v2
