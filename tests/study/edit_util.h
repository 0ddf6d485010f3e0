#pragma once
// Helpers for the reader tests (trial_reader_test, entity_reader_test), which make each mistake
// by editing a sample file with JSON pointers and then look for the error it must give.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <functional>
#include <string>

#include "core/issue.h"
#include "test_util.h"

namespace trialbridge::study::test {

// The file of the source tree, edited.
inline std::string edited(const std::string& file,
                          const std::function<void(rapidjson::Document&)>& edit) {
  rapidjson::Document d = parse(readSource(file));
  edit(d);
  return toJson(d);
}

// Sets the value at `pointer` to the JSON text `json`.
inline void set(rapidjson::Document& d, const char* pointer, const char* json) {
  rapidjson::Document v(&d.GetAllocator());
  v.Parse(json);
  ASSERT_FALSE(v.HasParseError()) << json;
  rapidjson::Pointer(pointer).Set(d, v);
}

inline void erase(rapidjson::Document& d, const char* pointer) {
  rapidjson::Pointer(pointer).Erase(d);
}

// True when an error is at `path` and its message contains `text`.
inline ::testing::AssertionResult hasError(const core::Issues& issues, const std::string& path,
                                           const std::string& text) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error && i.location == path &&
        i.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no error at " << path << " containing '" << text << "'; the issues are:\n"
         << describe(issues);
}

}  // namespace trialbridge::study::test
