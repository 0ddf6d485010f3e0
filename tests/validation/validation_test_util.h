#pragma once
// What the validation tests share: validating JSON text and finding issues by their message.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "core/issue.h"
#include "validation/resource_files.h"
#include "validation/validator.h"

namespace trialbridge::validation::testing {

// The validator over the R4 core, with default options.
inline const Validator& r4Validator() {
  static const Validator v(conformance::Context::r4());
  return v;
}

inline core::Issues validate(const std::string& json, const Validator& v = r4Validator()) {
  core::Issues issues;
  v.validateText(json, issues);
  return issues;
}

// The issues whose message contains `text`, at `severity` or worse.
inline std::vector<const core::Issue*> findAll(const core::Issues& issues, const std::string& text,
                                               core::Severity severity = core::Severity::Error) {
  std::vector<const core::Issue*> out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= severity && i.message.find(text) != std::string::npos) out.push_back(&i);
  }
  return out;
}

// The first issue whose message contains `text` (any severity), or nullptr.
inline const core::Issue* findIssue(const core::Issues& issues, const std::string& text) {
  const auto all = findAll(issues, text, core::Severity::Information);
  return all.empty() ? nullptr : all.front();
}

inline size_t errorCount(const core::Issues& issues) {
  return issues.count(core::Severity::Error) + issues.count(core::Severity::Fatal);
}

inline std::string dump(const core::Issues& issues) {
  std::string out;
  for (const core::Issue& i : issues.items()) {
    out += std::string(core::severityCode(i.severity)) + " " + i.location + " (" +
           std::to_string(i.line) + ":" + std::to_string(i.column) + "): " + i.message + "\n";
  }
  return out;
}

// A context with the R4 core and `files` (name -> JSON or XML text: profiles, Questionnaires,
// Measures...) loaded as conformance resources.
inline std::unique_ptr<conformance::Context> withResources(
    const std::vector<std::pair<std::string, std::string>>& files) {
  auto context = conformance::Context::withCore();
  const auto st = loadResourceTexts(*context, "test", files);
  EXPECT_TRUE(st) << st.message();
  return context;
}

}  // namespace trialbridge::validation::testing
