#include "core/issue.h"

#include <algorithm>

namespace trialbridge::core {

std::string_view severityCode(Severity s) {
  switch (s) {
    case Severity::Fatal: return "fatal";
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Information: return "information";
  }
  return "error";
}

std::string_view issueTypeCode(IssueType t) {
  switch (t) {
    case IssueType::Invalid: return "invalid";
    case IssueType::Structure: return "structure";
    case IssueType::Required: return "required";
    case IssueType::Value: return "value";
    case IssueType::Invariant: return "invariant";
    case IssueType::Security: return "security";
    case IssueType::Processing: return "processing";
    case IssueType::NotSupported: return "not-supported";
    case IssueType::Duplicate: return "duplicate";
    case IssueType::NotFound: return "not-found";
    case IssueType::TooLong: return "too-long";
    case IssueType::CodeInvalid: return "code-invalid";
    case IssueType::Extension: return "extension";
    case IssueType::TooCostly: return "too-costly";
    case IssueType::BusinessRule: return "business-rule";
    case IssueType::Conflict: return "conflict";
    case IssueType::Informational: return "informational";
    case IssueType::Exception: return "exception";
    case IssueType::Incomplete: return "incomplete";
    case IssueType::Transient: return "transient";
    case IssueType::Forbidden: return "forbidden";
  }
  return "invalid";
}

bool Issues::hasErrors() const {
  return std::any_of(items_.begin(), items_.end(), [](const Issue& i) {
    return i.severity == Severity::Error || i.severity == Severity::Fatal;
  });
}

size_t Issues::count(Severity severity) const {
  return static_cast<size_t>(std::count_if(
      items_.begin(), items_.end(), [severity](const Issue& i) { return i.severity == severity; }));
}

}  // namespace trialbridge::core
