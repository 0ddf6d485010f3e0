#include "hl7v2/location.h"

#include <charconv>

namespace trialbridge::hl7v2 {

namespace {

// Reads a positive decimal number at text[pos...]; advances pos. nullopt when there is none or it
// does not fit.
std::optional<uint32_t> readNumber(std::string_view text, size_t& pos) {
  uint32_t value = 0;
  const char* begin = text.data() + pos;
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc() || end == begin || *begin == '0') return std::nullopt;
  pos += static_cast<size_t>(end - begin);
  return value;
}

// "[n]" at text[pos...], when there is one; advances pos. False for a malformed bracket.
bool readBracket(std::string_view text, size_t& pos, uint32_t& out) {
  if (pos >= text.size() || text[pos] != '[') return true;
  ++pos;
  auto n = readNumber(text, pos);
  if (!n || pos >= text.size() || text[pos] != ']') return false;
  ++pos;
  out = *n;
  return true;
}

bool isSegmentIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string formatLocation(const Location& at) {
  if (at.segment.empty()) return {};
  std::string out = at.segment;
  if (at.occurrence > 1) out += "[" + std::to_string(at.occurrence) + "]";
  if (at.field == 0) return out;
  out += "-" + std::to_string(at.field);
  if (at.repetition > 1) out += "[" + std::to_string(at.repetition) + "]";
  if (at.component == 0) return out;
  out += "." + std::to_string(at.component);
  if (at.subcomponent > 0) out += "." + std::to_string(at.subcomponent);
  return out;
}

std::optional<Location> parseLocation(std::string_view text) {
  if (text.size() < 3) return std::nullopt;
  for (size_t i = 0; i < 3; ++i) {
    if (!isSegmentIdChar(text[i])) return std::nullopt;
  }
  Location at;
  at.segment = std::string(text.substr(0, 3));
  size_t pos = 3;
  if (!readBracket(text, pos, at.occurrence)) return std::nullopt;
  if (pos == text.size()) return at;
  if (text[pos] != '-') return std::nullopt;
  ++pos;
  auto field = readNumber(text, pos);
  if (!field) return std::nullopt;
  at.field = *field;
  if (!readBracket(text, pos, at.repetition)) return std::nullopt;
  for (uint32_t* part : {&at.component, &at.subcomponent}) {
    if (pos == text.size()) return at;
    if (text[pos] != '.') return std::nullopt;
    ++pos;
    auto n = readNumber(text, pos);
    if (!n) return std::nullopt;
    *part = *n;
  }
  if (pos != text.size()) return std::nullopt;
  return at;
}

std::string_view errorCodeText(ErrorCode code) {
  switch (code) {
    case ErrorCode::Accepted: return "Message accepted";
    case ErrorCode::SegmentSequence: return "Segment sequence error";
    case ErrorCode::RequiredFieldMissing: return "Required field missing";
    case ErrorCode::DataType: return "Data type error";
    case ErrorCode::TableValueNotFound: return "Table value not found";
    case ErrorCode::ValueTooLong: return "Value too long";
    case ErrorCode::UnsupportedMessageType: return "Unsupported message type";
    case ErrorCode::UnsupportedEventCode: return "Unsupported event code";
    case ErrorCode::UnsupportedProcessingId: return "Unsupported processing id";
    case ErrorCode::UnsupportedVersionId: return "Unsupported version id";
    case ErrorCode::UnknownKeyIdentifier: return "Unknown key identifier";
    case ErrorCode::DuplicateKeyIdentifier: return "Duplicate key identifier";
    case ErrorCode::ApplicationRecordLocked: return "Application record locked";
    case ErrorCode::ApplicationInternalError: return "Application internal error";
  }
  return "Application internal error";
}

core::Issue makeIssue(core::Severity severity, core::IssueType type, std::string message,
                      const Location& at) {
  core::Issue issue{severity, type, std::move(message), formatLocation(at), at.segmentNumber, 0};
  if (!at.segment.empty()) issue.column = static_cast<uint32_t>(at.offset + 1);
  return issue;
}

ErrorCode errorCodeFor(const core::Issue& issue) {
  using core::IssueType;
  switch (issue.code) {
    case IssueType::Structure: return ErrorCode::SegmentSequence;
    case IssueType::Required: return ErrorCode::RequiredFieldMissing;
    case IssueType::Value:
    case IssueType::Invalid: return ErrorCode::DataType;
    case IssueType::CodeInvalid: return ErrorCode::TableValueNotFound;
    case IssueType::TooLong:
    case IssueType::TooCostly: return ErrorCode::ValueTooLong;
    case IssueType::Duplicate: return ErrorCode::DuplicateKeyIdentifier;
    case IssueType::NotSupported: {
      const std::optional<Location> at = parseLocation(issue.location);
      if (at && at->segment == "MSH") {
        if (at->field == 9 && at->component == 2) return ErrorCode::UnsupportedEventCode;
        if (at->field == 11) return ErrorCode::UnsupportedProcessingId;
        if (at->field == 12) return ErrorCode::UnsupportedVersionId;
      }
      return ErrorCode::UnsupportedMessageType;
    }
    default: return ErrorCode::ApplicationInternalError;
  }
}

}  // namespace trialbridge::hl7v2
