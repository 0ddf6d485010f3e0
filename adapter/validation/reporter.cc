#include "validation/reporter.h"

namespace trialbridge::validation {

void Reporter::add(core::Severity severity, core::IssueType code, const core::Element* at,
                   std::string message) {
  core::Issue issue;
  issue.severity = severity;
  issue.code = code;
  issue.message = std::move(message);
  issue.location = path_;
  if (at != nullptr) {
    issue.line = at->line();
    issue.column = at->column();
  }
  issues_->add(std::move(issue));
}

}  // namespace trialbridge::validation
