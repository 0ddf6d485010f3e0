#include "study/detail/read_common.h"

#include "study/vocabulary.h"

namespace trialbridge::study::detail {

Coding readCoding(const core::JsonNode& node, core::Issues& issues) {
  Coding c;
  const std::string given = node.str("system");
  c.system = Vocabulary::get().codeSystem(given);
  if (c.system.empty()) {
    std::string known;
    for (const std::string& a : Vocabulary::get().codeSystemAliases()) {
      known += (known.empty() ? "" : ", ") + a;
    }
    node.input().report(issues, node.get("system").path(),
                        "unknown code system '" + given + "': give its URI or one of: " + known,
                        core::Severity::Error, core::IssueType::CodeInvalid);
  }
  c.code = node.str("code");
  c.display = node.str("display");
  c.version = node.str("version");
  return c;
}

Concept readConcept(const core::JsonNode& node, core::Issues& issues) {
  Concept c;
  c.text = node.str("text");
  const core::JsonNode codes = node.get("codes");
  for (size_t i = 0; i < codes.size(); ++i) c.codes.push_back(readCoding(codes.item(i), issues));
  return c;
}

TimeAmount readTime(const core::JsonNode& node) {
  TimeAmount t;
  const core::JsonNode value = node.get("value");
  t.value = value.number();
  t.number = value.real();
  t.unit = node.str("unit");
  return t;
}

std::string fhirDateTime(std::string_view value) {
  std::string s(value);
  const size_t t = s.find('T');
  if (t == std::string::npos) return s;
  // hh:mm followed by the zone: insert :00
  const size_t zone = s.find_first_of("Z+-", t);
  const std::string time = s.substr(t + 1, (zone == std::string::npos ? s.size() : zone) - t - 1);
  if (time.size() == 5) s.insert(t + 6, ":00");
  return s;
}

std::string_view datePart(std::string_view value) {
  const size_t t = value.find('T');
  return t == std::string_view::npos ? value : value.substr(0, t);
}

std::string idPart(std::string_view key) {
  std::string out;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    out += ok ? c : '-';
  }
  return out;
}

}  // namespace trialbridge::study::detail
