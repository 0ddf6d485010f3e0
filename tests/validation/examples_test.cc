// Every resource of the official R4 examples package validates with no error, except the
// examples HL7 itself got wrong, listed with the reason in known_wrong_examples.inc.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "conformance/context.h"
#include "conformance/package.h"
#include "validation/validator.h"

namespace trialbridge::validation {
namespace {

const std::map<std::string, std::string>& knownWrong() {
  static const std::map<std::string, std::string> kList = {
#include "known_wrong_examples.inc"
  };
  return kList;
}

std::string baseName(const std::string& file) {
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

TEST(R4Examples, ValidateWithNoErrorsExceptKnownWrongOnes) {
  auto pkg = conformance::openPackage(std::string(TB_TEST_DATA) +
                                      "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz");
  ASSERT_TRUE(pkg) << pkg.message();
  const conformance::Package& examples = *pkg.value();
  ASSERT_GT(examples.resources().size(), 5000u);
  const Validator validator(conformance::Context::r4());

  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> withErrors;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < examples.resources().size(); i = next++) {
      auto json = examples.json(i);
      if (!json) continue;
      core::Issues issues;
      validator.validateText(json.value(), issues);
      if (!issues.hasErrors()) continue;
      std::vector<std::string> errors;
      for (const core::Issue& issue : issues.items()) {
        if (issue.severity == core::Severity::Error || issue.severity == core::Severity::Fatal) {
          errors.push_back(issue.location + ": " + issue.message);
        }
      }
      std::lock_guard lock(mutex);
      withErrors[baseName(examples.resources()[i].file)] = std::move(errors);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(2u, std::thread::hardware_concurrency()); ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& t : pool) t.join();

  for (const auto& [file, errors] : withErrors) {
    if (knownWrong().count(file) != 0) continue;
    std::string all;
    for (const std::string& e : errors) all += "\n    " + e;
    ADD_FAILURE() << file << " has errors and is not a known-wrong example:" << all;
  }
  for (const auto& [file, reason] : knownWrong()) {
    EXPECT_TRUE(withErrors.count(file) != 0)
        << file << " is listed as wrong (" << reason << ") but now validates";
  }
  std::cout << examples.resources().size()
            << " examples: " << examples.resources().size() - withErrors.size()
            << " without errors, " << withErrors.size() << " known to be wrong\n";
}

}  // namespace
}  // namespace trialbridge::validation
