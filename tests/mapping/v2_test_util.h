#pragma once
// Helpers for the tests of the v2 mapping: messages from segments, mapping them, and looking into
// the Bundle.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"
#include "test_util.h"

namespace trialbridge::mapping::test {

inline const std::string kMsh =
    "MSH|^~\\&|LIS^2.16.156.99999.10.1^ISO|TAIXIN^2.16.156.99999.10^ISO|TRIALBRIDGE|STUDY|"
    "20250312083000+0800||ORU^R01^ORU_R01|C0001|P|2.5.1";
inline const std::string kPid =
    "PID|1||MRN0048213^^^TAIXIN&https://dongguan-taixin.example/sid/"
    "mrn&URI^MR||Wang^Li||19880412|F";
// OBR-7 observed, OBR-22 reported, OBR-24 section, OBR-25 status.
inline const std::string kObr =
    "OBR|1|P1^HIS|F1^LIS|CBC^Complete blood count^99TXL|||20250312073000|||||||||||||||"
    "20250312082500||HM|F";

// MSH, PID and OBR, then the segments given; CR after each.
inline std::string oru(std::initializer_list<std::string> after, const std::string& msh = kMsh,
                       const std::string& obr = kObr) {
  std::string text = msh + "\r" + kPid + "\r" + obr + "\r";
  for (const std::string& s : after) text += s + "\r";
  return text;
}

struct V2Mapped {
  bool mapped = false;
  std::string json;
  rapidjson::Document bundle;
  core::Issues issues;

  // The resources of this type, in Bundle order.
  std::vector<const rapidjson::Value*> all(const std::string& type) const {
    std::vector<const rapidjson::Value*> out;
    if (!mapped) return out;
    for (auto& e : bundle["entry"].GetArray()) {
      if (e["resource"]["resourceType"] == type.c_str()) out.push_back(&e["resource"]);
    }
    return out;
  }
  const rapidjson::Value& first(const std::string& type) const {
    auto v = all(type);
    if (v.empty()) throw std::runtime_error("no " + type + " in the Bundle");
    return *v.front();
  }
  bool has(core::Severity severity, std::string_view location, std::string_view words = {}) const {
    for (const core::Issue& i : issues.items()) {
      if (i.severity == severity && i.location == location &&
          i.message.find(words) != std::string::npos)
        return true;
    }
    return false;
  }
  std::string describe() const { return test::describe(issues); }
};

inline V2Mapped mapV2(std::string text, const V2MapOptions& options = {}) {
  V2Mapped r;
  std::optional<hl7v2::Message> m = hl7v2::parseMessage(std::move(text), r.issues);
  if (!m || r.issues.hasErrors()) return r;
  const V2Mapper mapper(context(), options);
  std::unique_ptr<core::Document> doc = mapper.map(*m, r.issues);
  if (!doc) return r;
  r.mapped = true;
  r.json = core::writeJson(*doc->root(), core::WriteOptions{true});
  r.bundle.Parse(r.json.c_str());
  return r;
}

// A JSON value at a pointer, as compact JSON ("<missing>" when there is none).
inline std::string jsonAt(const rapidjson::Value& v, const char* pointer) {
  const rapidjson::Value* x = at(v, pointer);
  return x == nullptr ? std::string("<missing>") : toJson(*x);
}

}  // namespace trialbridge::mapping::test
