#include "mapping/v2_datatypes.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

#include "conformance/ucum.h"
#include "core/uri.h"
#include "mapping/v2_time.h"

namespace trialbridge::mapping {

using core::isSpace;

namespace {

using core::Element;
using hl7v2::Value;

constexpr std::string_view kV2 = "http://terminology.hl7.org/CodeSystem/v2-";
constexpr std::string_view kUcum = "http://unitsofmeasure.org";
constexpr std::string_view kRfc3986 = "urn:ietf:rfc:3986";

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// [0-2](\.(0|[1-9][0-9]*))+
bool isOid(std::string_view s) {
  if (s.size() < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.') return false;
  size_t i = 2;
  while (i <= s.size()) {
    size_t dot = s.find('.', i);
    if (dot == std::string_view::npos) dot = s.size();
    const std::string_view arc = s.substr(i, dot - i);
    if (arc.empty() || (arc.size() > 1 && arc[0] == '0') ||
        !std::all_of(arc.begin(), arc.end(), isDigit)) {
      return false;
    }
    i = dot + 1;
  }
  return true;
}

bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// An absolute URI as the validator takes one (a scheme, then no white space), and not an OID or
// UUID written as one (those have their HD types).
bool isUri(std::string_view s) {
  return core::hasUriScheme(s) && std::none_of(s.begin(), s.end(), isSpace) &&
         s.rfind("urn:oid:", 0) != 0 && s.rfind("urn:uuid:", 0) != 0;
}

}  // namespace

std::string v2Code(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (isSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::optional<std::string> v2Decimal(std::string_view nm) {
  std::string_view s = nm;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::string sign;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (s.front() == '-') sign = "-";
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || !std::all_of(whole.begin(), whole.end(), isDigit) ||
      !std::all_of(fraction.begin(), fraction.end(), isDigit)) {
    return std::nullopt;
  }
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  std::string out = sign + (whole.empty() ? std::string("0") : std::string(whole));
  if (!fraction.empty()) out += "." + std::string(fraction);
  return out;
}

namespace {

// A number at the start of s (sign, digits, point), advancing s; "" when there is none.
std::string takeNumber(std::string_view& s) {
  size_t n = 0;
  if (n < s.size() && (s[n] == '-' || s[n] == '+')) ++n;
  const size_t digits = n;
  while (n < s.size() && (isDigit(s[n]) || s[n] == '.')) ++n;
  if (n == digits) return {};
  auto value = v2Decimal(s.substr(0, n));
  if (!value) return {};
  s.remove_prefix(n);
  return *value;
}

void skipSpaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

bool takePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<V2Range> v2ReferenceRange(std::string_view text) {
  std::string_view s = text;
  skipSpaces(s);
  V2Range r;
  bool upper = false, lower = false;
  if (takePrefix(s, "<=") || takePrefix(s, "\xE2\x89\xA4") || takePrefix(s, "<")) {
    upper = true;
  } else if (takePrefix(s, ">=") || takePrefix(s, "\xE2\x89\xA5") || takePrefix(s, ">")) {
    lower = true;
  }
  skipSpaces(s);
  const std::string first = takeNumber(s);
  if (first.empty()) return std::nullopt;
  skipSpaces(s);
  if (upper) {
    r.high = first;
  } else if (lower) {
    r.low = first;
  } else {
    if (!takePrefix(s, "-") && !takePrefix(s, "to ") && !takePrefix(s, "\xE2\x80\x93")) {
      return std::nullopt;
    }
    skipSpaces(s);
    r.low = first;
    r.high = takeNumber(s);
    if (r.high.empty()) return std::nullopt;
    skipSpaces(s);
  }
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && (isDigit(s.front()) || s.front() == '-')) return std::nullopt;
  r.unit = std::string(s);
  return r;
}

bool isValidLoinc(std::string_view code) {
  const size_t dash = code.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 2 != code.size() || dash > 7) {
    return false;
  }
  const std::string_view body = code.substr(0, dash);
  if (!std::all_of(body.begin(), body.end(), isDigit) || !isDigit(code.back())) return false;
  // Mod 10: from the right, every other digit starting with the last is doubled.
  int sum = 0;
  bool twice = true;
  for (auto it = body.rbegin(); it != body.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return (10 - sum % 10) % 10 == code.back() - '0';
}

// ---- reporting ---------------------------------------------------------------------------

void V2DataTypes::error(const Value& at, std::string message, core::IssueType type) {
  issues_.add(hl7v2::makeIssue(core::Severity::Error, type, std::move(message), at.location()));
}

void V2DataTypes::warning(const Value& at, std::string message, core::IssueType type) {
  issues_.add(hl7v2::makeIssue(core::Severity::Warning, type, std::move(message), at.location()));
}

std::string V2DataTypes::text(const Value& v) { return v.text(&issues_); }

// ---- codes -------------------------------------------------------------------------------

const conformance::CodeSystemInfo* V2DataTypes::codeSystem(std::string_view system) const {
  if (codes_ == nullptr || system.empty()) return nullptr;
  // A message names few systems, many times: each is asked for once.
  for (const auto& [url, info] : systems_) {
    if (url == system) return info;
  }
  const conformance::CodeSystemInfo* info = codes_->codeSystem(system);
  systems_.emplace_back(std::string(system), info);
  return info;
}

bool V2DataTypes::knownCode(std::string_view system, std::string_view code) const {
  if (codes_ == nullptr || system.empty()) return true;
  const conformance::CodeSystemInfo* cs = codeSystem(system);
  if (cs == nullptr || !cs->complete() || cs->concepts.empty()) return true;
  return cs->find(code) != nullptr;
}

namespace {

// Lower case, white space runs as one space, none at the ends: how displays are compared.
std::string foldDisplay(std::string_view s) {
  std::string out = v2Code(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

std::string V2DataTypes::display(std::string_view system, std::string_view code,
                                 const Value& written) {
  std::string d = text(written);
  if (d.empty() || codes_ == nullptr || system.empty()) return d;
  const conformance::CodeSystemInfo* cs = codeSystem(system);
  const conformance::CodeConcept* known = cs == nullptr ? nullptr : cs->find(code);
  if (known == nullptr || known->display.empty()) return d;
  const std::string given = foldDisplay(d);
  if (given == foldDisplay(known->display)) return d;
  for (const std::string& other : known->designations) {
    if (given == foldDisplay(other)) return d;
  }
  issues_.add(hl7v2::makeIssue(core::Severity::Information, core::IssueType::Informational,
                               "'" + d + "' is not the display of " + std::string(system) + "#" +
                                   std::string(code) + " ('" + known->display +
                                   "'); the code is kept without it",
                               written.location()));
  return {};
}

void V2DataTypes::identifierType(Element* identifier, const Value& value) {
  const std::string code = v2Code(text(value.component(1)));
  if (code.empty()) return;
  const std::string system = std::string(kV2) + "0203";
  if (knownCode(system, code)) {
    b_.codeable(identifier, "type", system, code);
    return;
  }
  warning(value, "'" + code + "' is not an identifier type of HL7 table 0203; kept as text",
          core::IssueType::CodeInvalid);
  b_.primitive(b_.add(identifier, "type"), "text", code);
}

std::string V2DataTypes::codingSystem(const Value& name) {
  const std::string n = text(name);
  if (n.empty()) return {};
  std::string uri = t_.systemUri(n);
  if (uri.empty() && warnedSystems_.find("\n" + n + "\n") == std::string::npos) {
    warnedSystems_ += "\n" + n + "\n";
    issues_.add(hl7v2::makeIssue(
        core::Severity::Information, core::IssueType::Informational,
        "coding system '" + n +
            "' has no known URI: its codes are kept without a system (a site can name it in its "
            "coding-systems.json)",
        name.location()));
  }
  return uri;
}

void V2DataTypes::addCodingTriplet(Element* cc, const hl7v2::Parts& parts, size_t first,
                                   size_t version) {
  const Value codeAt = parts.part(first);
  const std::string code = v2Code(text(codeAt));
  if (code.empty()) return;  // a text alone goes to CodeableConcept.text
  const std::string system = codingSystem(parts.part(first + 2));
  if (!knownCode(system, code)) {
    warning(codeAt, "'" + code + "' is not a code of " + system + "; kept as text only",
            core::IssueType::CodeInvalid);
    return;
  }
  b_.coding(cc, "coding", system, code, display(system, code, parts.part(first + 1)),
            text(parts.part(version)));
}

Element* V2DataTypes::codeableConcept(Element* parent, std::string_view name, const Value& cwe,
                                      bool sub) {
  if (!cwe.hasValue()) return nullptr;
  Element* cc = b_.add(parent, name);
  // CWE-1 to CWE-13, split once.
  const hl7v2::Parts parts(cwe, sub);
  addCodingTriplet(cc, parts, 1, 7);
  addCodingTriplet(cc, parts, 4, 8);
  addCodingTriplet(cc, parts, 10, 13);
  std::string original = text(parts.part(9));
  if (original.empty() && !cc->hasChildren()) original = text(parts.part(2));
  if (original.empty() && !cc->hasChildren()) original = text(parts.part(1));
  b_.primitive(cc, "text", original);
  return cc;
}

Element* V2DataTypes::coding(Element* parent, std::string_view name, const Value& cwe, bool sub) {
  const std::string code = v2Code(text(v2Part(cwe, 1, sub)));
  if (code.empty()) return nullptr;
  const std::string system = codingSystem(v2Part(cwe, 3, sub));
  return b_.coding(parent, name, system, code, display(system, code, v2Part(cwe, 2, sub)),
                   text(v2Part(cwe, 7, sub)));
}

std::string V2DataTypes::tableCode(const Value& value, std::string_view table,
                                   std::string_view targetSystem, bool required) {
  const std::string code = v2Code(text(value.component(1)));
  if (code.empty()) {
    if (required) {
      issues_.add(hl7v2::makeIssue(core::Severity::Error, core::IssueType::Required,
                                   "a code of HL7 table " + std::string(table) + " is required",
                                   value.location()));
    }
    return {};
  }
  const std::string source = std::string(kV2) + std::string(table);
  const auto target = t_.translate(source, code, targetSystem);
  if (target && !target->unmatched) return target->code;
  std::string message = "'" + code + "' is not a code of HL7 table " + std::string(table);
  if (target)
    message = "HL7 table " + std::string(table) + " code '" + code + "' has no FHIR equivalent";
  if (required) {
    issues_.add(hl7v2::makeIssue(core::Severity::Error, core::IssueType::CodeInvalid,
                                 std::move(message), value.location()));
  } else {
    issues_.add(hl7v2::makeIssue(core::Severity::Warning, core::IssueType::CodeInvalid,
                                 message + "; left out", value.location()));
  }
  return {};
}

// ---- identifiers -------------------------------------------------------------------------

V2DataTypes::Hd V2DataTypes::hd(const Value& v, bool sub) const {
  const hl7v2::Parts parts(v, sub);
  Hd h;
  h.namespaceId = parts.part(1).text();
  h.universalId = parts.part(2).text();
  h.type = parts.part(3).text();
  return h;
}

std::string V2DataTypes::hdSystem(const Hd& h) const {
  // A universal id that is not what its type says is no system (a URI must be one).
  if (!h.universalId.empty()) {
    if (h.type == "ISO" && isOid(h.universalId)) return t_.oidUri(h.universalId);
    if ((h.type == "URI" || h.type == "URL") && isUri(h.universalId)) return h.universalId;
    if (h.type == "UUID" && isUuid(h.universalId)) return "urn:uuid:" + h.universalId;
  }
  if (!h.namespaceId.empty()) return t_.assigningAuthority(h.namespaceId);
  return {};
}

Element* V2DataTypes::hdIdentifier(Element* parent, std::string_view name, const Hd& h) {
  if (h.empty()) return nullptr;
  Element* id = b_.add(parent, name);
  if (h.universalId.empty()) {
    b_.primitive(id, "value", h.namespaceId);
    return id;
  }
  if (h.type == "ISO" || h.type == "UUID" || h.type == "URI" || h.type == "URL") {
    b_.primitive(id, "system", kRfc3986);
    b_.primitive(id, "value",
                 h.type == "ISO"    ? "urn:oid:" + h.universalId
                 : h.type == "UUID" ? "urn:uuid:" + h.universalId
                                    : h.universalId);
  } else {
    b_.primitive(id, "system", t_.universalIdTypeSystem(h.type));
    b_.primitive(id, "value", h.universalId);
  }
  return id;
}

Element* V2DataTypes::identifierFromCx(Element* parent, std::string_view name, const Value& cx) {
  const hl7v2::Parts parts(cx);
  const std::string value = text(parts.part(1));
  if (value.empty()) return nullptr;
  Element* id = b_.add(parent, name);
  const Hd authority = hd(parts.part(4), true);
  identifierType(id, parts.part(5));
  b_.primitive(id, "system", hdSystem(authority));
  b_.primitive(id, "value", value);
  when(id, "period", "", date(parts.part(7)), date(parts.part(8)), parts.part(8));
  if (!authority.namespaceId.empty()) {
    Element* assigner = b_.add(id, "assigner");
    b_.primitive(assigner, "display", authority.namespaceId);
  }
  return id;
}

Element* V2DataTypes::identifierFromEi(Element* parent, std::string_view name, const Value& ei,
                                       bool sub, std::string_view typeCode) {
  const hl7v2::Parts parts(ei, sub);
  const std::string value = text(parts.part(1));
  if (value.empty()) return nullptr;
  Element* id = b_.add(parent, name);
  if (!typeCode.empty()) b_.codeable(id, "type", std::string(kV2) + "0203", typeCode);
  Hd authority;
  authority.namespaceId = text(parts.part(2));
  authority.universalId = text(parts.part(3));
  authority.type = text(parts.part(4));
  b_.primitive(id, "system", hdSystem(authority));
  b_.primitive(id, "value", value);
  if (!authority.namespaceId.empty()) {
    Element* assigner = b_.add(id, "assigner");
    b_.primitive(assigner, "display", authority.namespaceId);
  }
  return id;
}

// ---- people and places -------------------------------------------------------------------

Element* V2DataTypes::humanName(Element* parent, std::string_view name, const Value& xpn) {
  const hl7v2::Parts parts(xpn);  // split once
  // XPN-1 is FN (surname & own prefix & ...): its first subcomponent.
  const std::string family = text(parts.part(1).subcomponent(1));
  const std::string given = text(parts.part(2));
  const std::string middle = text(parts.part(3));
  const std::string suffix = text(parts.part(4));
  const std::string prefix = text(parts.part(5));
  const std::string degree = text(parts.part(6));
  const std::string professional = text(parts.part(14));
  if (family.empty() && given.empty() && middle.empty()) return nullptr;
  Element* n = b_.add(parent, name);
  const Value type = parts.part(7);
  if (type.hasValue()) {
    b_.primitive(n, "use", tableCode(type, "0200", "http://hl7.org/fhir/name-use", false));
  }
  b_.primitive(n, "family", family);
  b_.primitive(n, "given", given);
  b_.primitive(n, "given", middle);
  b_.primitive(n, "prefix", prefix);
  b_.primitive(n, "suffix", suffix);
  b_.primitive(n, "suffix", degree);
  b_.primitive(n, "suffix", professional);
  return n;
}

Element* V2DataTypes::address(Element* parent, std::string_view name, const Value& xad,
                              bool organization) {
  const hl7v2::Parts parts(xad);  // split once
  const std::string street = text(parts.part(1).subcomponent(1));
  const std::string other = text(parts.part(2));
  const std::string city = text(parts.part(3));
  const std::string state = text(parts.part(4));
  const std::string zip = text(parts.part(5));
  const std::string country = text(parts.part(6));
  const std::string district = text(parts.part(9));
  if (street.empty() && other.empty() && city.empty() && state.empty() && zip.empty() &&
      country.empty()) {
    return nullptr;
  }
  Element* a = b_.add(parent, name);
  const Value type = parts.part(7);
  const std::string typeCode = text(type);
  if (typeCode == "M") {
    b_.primitive(a, "type", "postal");
  } else if (type.hasValue()) {
    const std::string use = tableCode(type, "0190", "http://hl7.org/fhir/address-use", false);
    // An organization has no home (org-2): a home address type given to one is left out.
    if (!(organization && use == "home")) b_.primitive(a, "use", use);
  }
  b_.primitive(a, "line", street);
  b_.primitive(a, "line", other);
  b_.primitive(a, "city", city);
  b_.primitive(a, "district", district);
  b_.primitive(a, "state", state);
  b_.primitive(a, "postalCode", zip);
  b_.primitive(a, "country", country);
  return a;
}

Element* V2DataTypes::telecom(Element* parent, std::string_view name, const Value& xtn,
                              std::string_view defaultUse) {
  const hl7v2::Parts parts(xtn);  // split once
  const std::string equipment = text(parts.part(3));
  std::string value = text(parts.part(1));
  const std::string email = text(parts.part(4));
  if (equipment == "Internet" || equipment == "X.400" || (value.empty() && !email.empty())) {
    value = email.empty() ? value : email;
  } else if (value.empty()) {
    // Country, area, local number and extension (XTN-5 to XTN-8).
    const std::string country = text(parts.part(5));
    for (const std::string& part : {country.empty() ? std::string() : "+" + country,
                                    text(parts.part(6)), text(parts.part(7))}) {
      if (part.empty()) continue;
      if (!value.empty()) value += ' ';
      value += part;
    }
    const std::string extension = text(parts.part(8));
    if (!extension.empty() && !value.empty()) value += " ext. " + extension;
  }
  if (value.empty()) return nullptr;
  Element* c = b_.add(parent, name);
  std::string system =
      equipment.empty()
          ? (email.empty() ? "phone" : "email")
          : tableCode(parts.part(3), "0202", "http://hl7.org/fhir/contact-point-system", false);
  // A value needs a system (cpt-2): equipment the table does not know is "other".
  b_.primitive(c, "system", system.empty() ? std::string("other") : system);
  b_.primitive(c, "value", value);
  const Value useCode = parts.part(2);
  std::string use = useCode.hasValue()
                        ? tableCode(useCode, "0201", "http://hl7.org/fhir/contact-point-use", false)
                        : std::string(defaultUse);
  if (equipment == "CP" && use.empty()) use = "mobile";
  b_.primitive(c, "use", use);
  return c;
}

// ---- dates and times ---------------------------------------------------------------------

std::optional<v2time::DateTime> V2DataTypes::readTime(const Value& v, std::string& text) {
  text = v.component(1).text();
  if (text.empty()) return std::nullopt;
  // A message repeats its few times (the order's on every result): each is parsed once.
  const std::optional<v2time::DateTime>* parsed = nullptr;
  for (const auto& [written, time] : times_) {
    if (written == text) {
      parsed = &time;
      break;
    }
  }
  if (parsed == nullptr) {
    if (times_.size() >= kTimesKept) times_.clear();
    times_.emplace_back(text, v2time::parse(text));
    parsed = &times_.back().second;
  }
  if (!*parsed) {
    error(v.component(1),
          "'" + text + "' is not a date and time (DTM: YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])");
    return std::nullopt;
  }
  if ((*parsed)->iso) {
    warning(v.component(1), "'" + text + "' is written in ISO 8601 form, not as a v2 DTM; read");
  }
  return *parsed;
}

std::string V2DataTypes::dateTime(const Value& dtm) {
  std::string raw;
  auto parsed = readTime(dtm, raw);
  return parsed ? v2time::toDateTime(*parsed, offset_) : std::string();
}

std::string V2DataTypes::instant(const Value& dtm) {
  std::string raw;
  auto parsed = readTime(dtm, raw);
  if (!parsed) return {};
  auto i = v2time::toInstant(*parsed, offset_);
  if (!i) {
    warning(dtm.component(1), "'" + raw + "' has no time of day; an instant needs one, left out");
    return {};
  }
  return *i;
}

std::string V2DataTypes::date(const Value& dtm) {
  std::string raw;
  auto parsed = readTime(dtm, raw);
  return parsed ? v2time::toDate(*parsed) : std::string();
}

bool V2DataTypes::when(Element* parent, std::string_view periodName, std::string_view singleName,
                       const std::string& start, std::string end, const Value& endAt) {
  if (!start.empty() && !end.empty() && v2time::isAfter(start, end)) {
    warning(endAt, "the end (" + end + ") is before the start (" + start + "); left out");
    end.clear();
  }
  if (start.empty() && end.empty()) return false;
  if (end.empty() && !singleName.empty()) {
    b_.primitive(parent, singleName, start);
    return true;
  }
  Element* period = b_.add(parent, periodName);
  b_.primitive(period, "start", start);
  b_.primitive(period, "end", end);
  return true;
}

// ---- quantities --------------------------------------------------------------------------

void V2DataTypes::unit(Element* quantity, const Value& cwe, bool sub) {
  const hl7v2::Parts parts(cwe, sub);
  const std::string code = v2Code(text(parts.part(1)));
  std::string unitText = text(parts.part(2));
  if (unitText.empty()) unitText = text(parts.part(9));
  if (unitText.empty()) unitText = code;
  if (unitText.empty()) return;
  b_.primitive(quantity, "unit", unitText);
  const std::string systemName = text(parts.part(3));
  std::string ucum;
  if (systemName == "UCUM" && !code.empty()) {
    if (conformance::ucum::isValid(code)) {
      ucum = code;
    } else {
      ucum = t_.ucumFor(code);
      warning(parts.part(1), "'" + code + "' is said to be UCUM but is not" +
                                 (ucum.empty() ? "; kept as unit text" : "; read as " + ucum));
    }
  } else if (!code.empty()) {
    ucum = t_.ucumFor(code);
    if (ucum.empty() && systemName.empty() && conformance::ucum::isValid(code)) ucum = code;
  }
  if (ucum.empty()) {
    const std::string system = systemName.empty() ? std::string() : t_.systemUri(systemName);
    if (!code.empty() && !system.empty() && system != kUcum) {
      b_.primitive(quantity, "system", system);
      b_.primitive(quantity, "code", code);
    }
    return;
  }
  b_.primitive(quantity, "system", kUcum);
  b_.primitive(quantity, "code", ucum);
}

Element* V2DataTypes::quantity(Element* parent, std::string_view name, std::string_view value,
                               const Value& cwe, bool sub, std::string_view comparator) {
  Element* q = b_.add(parent, name);
  b_.primitive(q, "value", value);
  b_.primitive(q, "comparator", comparator);
  unit(q, cwe, sub);
  return q;
}

}  // namespace trialbridge::mapping
