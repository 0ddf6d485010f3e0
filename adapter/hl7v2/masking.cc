#include "hl7v2/masking.h"

#include <algorithm>
#include <array>

namespace trialbridge::hl7v2 {

namespace {

// Segments shown whole but for the fields fieldRule() names.
constexpr std::array<std::string_view, 17> kShownSegments = {
    "MSH", "SFT", "EVN", "PV1", "PV2", "ORC", "TQ1", "TQ2", "OBR",
    "OBX", "NTE", "SPM", "CTI", "FT1", "DSC", "ERR", "PID"};

// PID fields of type CX (patient identifiers): their assigning authority and type are shown.
constexpr std::array<uint32_t, 5> kPidIdentifiers = {2, 3, 4, 18, 21};

bool known(std::string_view segment) {
  return std::find(kShownSegments.begin(), kShownSegments.end(), segment) != kShownSegments.end();
}

// `raw` with each non-empty component replaced by kMask, except components 4 and 5 when
// `keepAuthority` (the field's repetitions and components keep their delimiters).
std::string masked(std::string_view raw, const Encoding& enc, bool keepAuthority) {
  std::string out;
  size_t component = 1;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); ++i) {
    const bool end = i == raw.size();
    if (!end && raw[i] != enc.component && raw[i] != enc.repetition) continue;
    const std::string_view part = raw.substr(start, i - start);
    const bool keep = keepAuthority && (component == 4 || component == 5);
    out += keep || part.empty() ? std::string(part) : std::string(kMask);
    if (end) break;
    out += raw[i];
    component = raw[i] == enc.repetition ? 1 : component + 1;
    start = i + 1;
  }
  return out;
}

// `value` cut to at most `max` bytes, at a UTF-8 character boundary.
bool cut(std::string& value, size_t max) {
  if (value.size() <= max) return false;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  value.resize(n);
  return true;
}

// OBX-2 value types whose values cannot carry free text: numbers, dates and times, codes.
bool structured(std::string_view valueType) {
  static constexpr std::array<std::string_view, 14> kTypes = {
      "NM", "SN", "NR", "MO", "DT", "DTM", "TM", "TS", "CE", "CWE", "CNE", "CV", "ID", "IS"};
  return std::find(kTypes.begin(), kTypes.end(), valueType) != kTypes.end();
}

}  // namespace

FieldRule fieldRule(std::string_view segment, uint32_t field, std::string_view valueType) {
  if (!known(segment)) return field == 1 ? FieldRule::Show : FieldRule::Mask;
  if (segment == "PID") {
    if (field == 1 || field == 8) return FieldRule::Show;
    const bool identifier =
        std::find(kPidIdentifiers.begin(), kPidIdentifiers.end(), field) != kPidIdentifiers.end();
    return identifier ? FieldRule::MaskButAuthority : FieldRule::Mask;
  }
  if ((segment == "PV1" && (field == 19 || field == 50)) || (segment == "OBR" && field == 13) ||
      (segment == "NTE" && field == 3) ||
      (segment == "OBX" && field == 5 && !structured(valueType))) {
    return FieldRule::Mask;
  }
  return FieldRule::Show;
}

std::vector<ShownSegment> pseudonymousSegments(const Message& message, const ShowLimits& limits) {
  std::vector<ShownSegment> out;
  const Encoding& enc = message.encoding();
  const size_t count = std::min(message.segmentCount(), limits.maxSegments);
  for (size_t i = 0; i < count; ++i) {
    const Segment seg = message.segment(i);
    ShownSegment s;
    s.id = std::string(seg.id());
    s.number = seg.number();
    s.occurrence = seg.occurrence();
    const std::string valueType =
        s.id == "OBX" ? std::string(seg.field(2).component(1).raw()) : std::string();
    for (uint32_t n = 1; n <= seg.fieldCount(); ++n) {
      ShownField f;
      f.number = n;
      const std::string_view raw = seg.field(n).raw();
      const FieldRule rule = fieldRule(s.id, n, valueType);
      const bool literal = isHeaderSegment(s.id) && n <= 2;  // the delimiters themselves
      if (rule == FieldRule::Show || raw.empty() || literal) {
        f.value = std::string(raw);
      } else {
        f.value = masked(raw, enc, rule == FieldRule::MaskButAuthority);
        f.masked = true;
      }
      f.truncated = cut(f.value, limits.maxValueBytes);
      s.fields.push_back(std::move(f));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace trialbridge::hl7v2
