#pragma once
// HL7 v2 data types as FHIR elements, after the HL7 V2-to-FHIR IG's data type maps
// (../shared/references/v2-to-fhir/Data_Type_*.csv): CWE/CE/CNE to CodeableConcept and Coding,
// CWE to a Quantity's unit, CX/EI/HD to Identifier, XPN to HumanName, XAD to Address, XTN to
// ContactPoint, XCN/XON names and identifiers, DTM/DT to dateTime/instant/date, NM to decimal.
//
// A composite written as components in one place (MSH-4, an HD field) is written as
// subcomponents in another (CX-4, an HD inside a component): each call says which with `sub`.
// Problems are issues at the v2 value's location: a value that cannot be read is an error (a
// data type error, table 0357 code 102) and is left out; what is read with some doubt is a
// warning.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/terminology.h"
#include "core/element.h"
#include "core/issue.h"
#include "hl7v2/message.h"
#include "mapping/bundle_builder.h"
#include "mapping/v2_terminology.h"
#include "mapping/v2_time.h"

namespace trialbridge::mapping {

// The n-th part of a composite: a component, or a subcomponent when `sub`.
inline hl7v2::Value v2Part(const hl7v2::Value& v, size_t n, bool sub) {
  return sub ? v.subcomponent(n) : v.component(n);
}

// v2 NM as a FHIR decimal: a leading '+' and leading zeros dropped, ".5" as 0.5 and "5." as 5;
// nullopt when the text is not a number.
std::optional<std::string> v2Decimal(std::string_view nm);

// OBX-7 reference range text read as numbers: "3.5-5.0", "3.5 - 5.0", "3.5 to 5.0", "<10",
// "<=10", ">60", ">= 60" (also with the signs ≤ ≥), each optionally followed by a unit ("<10
// ug/dL"). A bound after '<' or '<=' is the high, after '>' or '>=' the low. nullopt for other
// text.
struct V2Range {
  std::string low, high;  // decimals, as v2Decimal gives them
  std::string unit;       // as written after the numbers, or ""
};
std::optional<V2Range> v2ReferenceRange(std::string_view text);

// A v2 value as a FHIR code: white space runs become one space, none at either end.
std::string v2Code(std::string_view text);

// A LOINC code's form (digits, '-', a check digit) and its mod-10 check digit.
bool isValidLoinc(std::string_view code);

class V2DataTypes {
 public:
  // `codes`, when given, is asked whether a code is in a code system it has (complete): a code
  // that is not is kept as text, with a warning, rather than as a coding no validator accepts.
  V2DataTypes(ResourceBuilder& builder, const V2Terminology& terminology, core::Issues& issues,
              const conformance::Terminology* codes = nullptr)
      : b_(builder), t_(terminology), issues_(issues), codes_(codes) {}

  // False when `codes` has the system, completely, and not the code.
  bool knownCode(std::string_view system, std::string_view code) const;
  // The display written for system#code, or "" (with a note) when `codes` has the code with
  // another display: a coding with a wrong display does not validate.
  std::string display(std::string_view system, std::string_view code, const hl7v2::Value& written);
  // An identifier's type from a v2-0203 code (CX-5, XCN-13, XON-7): a coding when the table has
  // it, else the text with a warning.
  void identifierType(core::Element* identifier, const hl7v2::Value& code);

  // The zone of times that carry none (MSH-7's, else the configured one), "+08:00" or "Z".
  void setDefaultOffset(std::string offset) { offset_ = std::move(offset); }
  const std::string& defaultOffset() const { return offset_; }

  // CWE (CE, CNE): a CodeableConcept with a coding for each triplet (1-3, 4-6, 10-12; versions
  // 7, 8, 13) and text (9, else the first text). nullptr when the value is empty or null.
  core::Element* codeableConcept(core::Element* parent, std::string_view name,
                                 const hl7v2::Value& cwe, bool sub = false);
  // The first triplet of a CWE as a Coding; nullptr when empty.
  core::Element* coding(core::Element* parent, std::string_view name, const hl7v2::Value& cwe,
                        bool sub = false);
  // The system URI of a CWE triplet's coding system name; warns once per name without one.
  std::string codingSystem(const hl7v2::Value& name);

  // A coded value of an HL7 table (ID, IS) translated through the ConceptMaps: the target code,
  // or "" (with an error when `required`, a warning otherwise) for a code the maps do not have.
  std::string tableCode(const hl7v2::Value& value, std::string_view table,
                        std::string_view targetSystem, bool required);

  // HD: (namespace id, universal id, universal id type).
  struct Hd {
    std::string namespaceId, universalId, type;
    bool empty() const { return namespaceId.empty() && universalId.empty(); }
  };
  Hd hd(const hl7v2::Value& v, bool sub) const;
  // The identifier system an HD names (an assigning authority): ISO as urn:oid (or the system of
  // a known OID), URI as is, UUID as urn:uuid, a known type's system, a site's namespace; "".
  std::string hdSystem(const Hd& hd) const;
  // An HD itself as an Identifier (a sending facility): the universal id as its value.
  core::Element* hdIdentifier(core::Element* parent, std::string_view name, const Hd& hd);

  // CX: value, system from the assigning authority (CX-4), type (CX-5), period (CX-7, 8),
  // assigner's name. nullptr when CX-1 is empty.
  core::Element* identifierFromCx(core::Element* parent, std::string_view name,
                                  const hl7v2::Value& cx);
  // EI (entity id ^ namespace ^ universal id ^ type) with a v2-0203 type code when given.
  core::Element* identifierFromEi(core::Element* parent, std::string_view name,
                                  const hl7v2::Value& ei, bool sub, std::string_view typeCode);
  // XPN, and the XCN/XON name parts, as HumanName; nullptr when no part is valued.
  core::Element* humanName(core::Element* parent, std::string_view name, const hl7v2::Value& xpn);
  // XAD as Address; `organization`: the address of an organization, which is never a home.
  core::Element* address(core::Element* parent, std::string_view name, const hl7v2::Value& xad,
                         bool organization = false);
  core::Element* telecom(core::Element* parent, std::string_view name, const hl7v2::Value& xtn,
                         std::string_view defaultUse);

  // DTM as FHIR dateTime / instant / date; "" (with an error) when the value is not a date and
  // time, and "" without one when it is empty.
  std::string dateTime(const hl7v2::Value& dtm);
  std::string instant(const hl7v2::Value& dtm);
  std::string date(const hl7v2::Value& dtm);

  // When something happened, from FHIR dateTimes: a Period named periodName when there is an end
  // (an end before the start is left out, with a warning at `endAt`), else the start as
  // singleName (or, when that is empty, a Period with the start alone). False when both are empty.
  bool when(core::Element* parent, std::string_view periodName, std::string_view singleName,
            const std::string& start, std::string end, const hl7v2::Value& endAt);

  // Fills a Quantity from a CWE unit (OBX-6, CQ-2): unit text (CWE-2, else CWE-9, else CWE-1),
  // and system and code when the unit is UCUM, as written or through the unit map.
  void unit(core::Element* quantity, const hl7v2::Value& cwe, bool sub = false);
  // A Quantity named `name` with value (a decimal already checked) and the unit of `cwe`.
  core::Element* quantity(core::Element* parent, std::string_view name, std::string_view value,
                          const hl7v2::Value& cwe, bool sub = false,
                          std::string_view comparator = {});

  void error(const hl7v2::Value& at, std::string message,
             core::IssueType type = core::IssueType::Value);
  void warning(const hl7v2::Value& at, std::string message,
               core::IssueType type = core::IssueType::Value);

  ResourceBuilder& builder() { return b_; }
  const V2Terminology& terminology() const { return t_; }
  core::Issues& issues() { return issues_; }

 private:
  const conformance::CodeSystemInfo* codeSystem(std::string_view system) const;
  // DTM-1 read (its text into `text`), with an error when it is not a date and time; nullopt
  // then and when it is empty.
  std::optional<v2time::DateTime> readTime(const hl7v2::Value& v, std::string& text);
  // A value's text, with escape warnings reported.
  std::string text(const hl7v2::Value& v);
  // The coding of one CWE triplet (code at `first`, its version at `version`) from the CWE's
  // parts.
  void addCodingTriplet(core::Element* cc, const hl7v2::Parts& parts, size_t first, size_t version);

  ResourceBuilder& b_;
  const V2Terminology& t_;
  core::Issues& issues_;
  const conformance::Terminology* codes_;
  mutable std::vector<std::pair<std::string, const conformance::CodeSystemInfo*>> systems_;
  std::string offset_ = "Z";
  std::string warnedSystems_;  // names already warned about, '\n'-separated
  // Times already parsed, as written (a few: cleared when full).
  static constexpr size_t kTimesKept = 16;
  std::vector<std::pair<std::string, std::optional<v2time::DateTime>>> times_;
};

}  // namespace trialbridge::mapping
