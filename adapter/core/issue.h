#pragma once
// Issues found in data: every check adds one with severity, code, a FHIRPath-style location and,
// for input read from text, the line and column. At the edge they become an OperationOutcome,
// an HL7 ACK with ERR segments, or a CLI exit code.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::core {

enum class Severity : uint8_t { Fatal, Error, Warning, Information };

// The codes of http://hl7.org/fhir/issue-type that trialbridge uses.
enum class IssueType : uint8_t {
  Invalid,
  Structure,
  Required,
  Value,
  Invariant,
  Security,
  Processing,
  NotSupported,
  Duplicate,
  NotFound,
  TooLong,
  CodeInvalid,
  Extension,
  TooCostly,
  BusinessRule,
  Conflict,
  Informational,
  Exception,
  Incomplete,
  Transient,  // the same request may succeed later (the service is stopping, the database is down)
  Forbidden,  // authenticated, but not allowed
};

std::string_view severityCode(Severity s);
std::string_view issueTypeCode(IssueType t);

struct Issue {
  Severity severity = Severity::Error;
  IssueType code = IssueType::Invalid;
  std::string message;
  std::string location;  // FHIRPath expression, e.g. Patient.name[0].given[1]
  uint32_t line = 0;     // 1-based; 0 when unknown
  uint32_t column = 0;   // 1-based; 0 when unknown
};

class Issues {
 public:
  void add(Issue issue) { items_.push_back(std::move(issue)); }
  void add(Severity severity, IssueType code, std::string message, std::string location = {},
           uint32_t line = 0, uint32_t column = 0) {
    items_.push_back(Issue{severity, code, std::move(message), std::move(location), line, column});
  }
  const std::vector<Issue>& items() const { return items_; }
  std::vector<Issue>& items() { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // True when any issue is an error or fatal.
  bool hasErrors() const;
  size_t count(Severity severity) const;
  void append(const Issues& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }

 private:
  std::vector<Issue> items_;
};

}  // namespace trialbridge::core
