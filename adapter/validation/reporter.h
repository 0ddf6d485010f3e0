#pragma once
// The validator's issue reporter. It carries the FHIRPath location of the element being checked
// and grows it as the walk goes deeper (Scope), so that no check formats a location by hand:
//
//   Reporter::Scope s(reporter, "name", 0, true);   // Patient -> Patient.name[0]
//   reporter.error(IssueType::Value, element, "...");   // located at Patient.name[0]
//
// Issues carry the line and column of the element they are about, when it was read from text.
#include <string>
#include <string_view>

#include "core/element.h"
#include "core/issue.h"

namespace trialbridge::validation {

class Reporter {
 public:
  explicit Reporter(core::Issues& issues) : issues_(&issues) {}

  // Enters a child: path + "." + name, plus "[index]" when the element repeats.
  class Scope {
   public:
    Scope(Reporter& r, std::string_view name, uint32_t index, bool repeating) : r_(r) {
      size_ = r.path_.size();
      if (!r.path_.empty()) r.path_ += '.';
      r.path_.append(name);
      if (repeating) {
        r.path_ += '[';
        r.path_ += std::to_string(index);
        r.path_ += ']';
      }
    }
    // Enters an element: its name and, if it repeats, its index.
    Scope(Reporter& r, const core::Element& e)
        : Scope(r, e.name(), e.index(), e.property() != nullptr && e.property()->repeating()) {}
    ~Scope() { r_.path_.resize(size_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Reporter& r_;
    size_t size_ = 0;
  };

  // Starts at a root (a resource type name, or a given location).
  void setRoot(std::string_view path) { path_.assign(path); }
  const std::string& path() const { return path_; }

  void add(core::Severity severity, core::IssueType code, const core::Element* at,
           std::string message);
  void error(core::IssueType code, const core::Element* at, std::string message) {
    add(core::Severity::Error, code, at, std::move(message));
  }
  void warning(core::IssueType code, const core::Element* at, std::string message) {
    add(core::Severity::Warning, code, at, std::move(message));
  }
  void information(core::IssueType code, const core::Element* at, std::string message) {
    add(core::Severity::Information, code, at, std::move(message));
  }

  core::Issues& issues() { return *issues_; }
  // Redirects issues (used to try a match, e.g. a slice by profile) and returns the old target.
  core::Issues* redirect(core::Issues* to) {
    core::Issues* old = issues_;
    issues_ = to;
    return old;
  }

 private:
  core::Issues* issues_;
  std::string path_;
};

}  // namespace trialbridge::validation
