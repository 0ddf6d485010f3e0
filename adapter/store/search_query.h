#pragma once
// A FHIR search, parsed and checked against the search parameters of the resource type.
//
//   GET /fhir/Observation?subject:Patient.identifier=urn:mrn|123&date=ge2025-01-01&_count=10
//
// Parameters: any indexed parameter of the type (token, string, date, reference, number,
// quantity, uri) with its modifiers (:missing, :exact, :contains, :text, :not, :below, :above,
// :[type]), comma-separated values (OR), repeated parameters (AND), the prefixes eq ne gt lt ge
// le sa eb ap on dates, numbers and quantities, chains one level deep (subject:Patient.name=x,
// subject.identifier=s|v), _id, _lastUpdated, _count, _offset, _sort, _include, _revinclude,
// _summary=count and _total (none: a full page is not counted). Result parameters the store does
// not act on (_format, _elements, _summary other than count, _pretty) are accepted and left to
// the caller.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/issue.h"
#include "store/search_parameters.h"

namespace trialbridge::store {

enum class Prefix : uint8_t { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap };
// The one table of search prefixes: when `value` starts with one (eq ne gt lt ge le sa eb ap)
// and has more after it, sets `prefix`, removes the two letters and returns true.
bool takePrefix(std::string& value, Prefix& prefix);

enum class Modifier : uint8_t {
  None,
  Missing,
  Exact,
  Contains,
  Text,
  Not,
  Below,
  Above,
  Type,  // reference :[type]
};

// One value of an OR list, decoded for the parameter's type.
struct SearchValue {
  Prefix prefix = Prefix::Eq;
  std::string text;  // the value with escapes resolved (and without its prefix)
  // token / quantity: "system|code" splits into these; hasSystem when a '|' was present
  bool hasSystem = false;
  std::string system;
  std::string code;
  // date: the value's range; number/quantity: the value and its implied precision range
  int64_t low = 0;
  int64_t high = 0;
  double number = 0;
  double numberLow = 0;
  double numberHigh = 0;
  // reference: target type (may be empty) and id, or a URL
  std::string refType;
  std::string refId;
  bool missing = false;  // :missing=true
};

// A special parameter handled on the resources table.
enum class Special : uint8_t { None, Id, LastUpdated };

struct Criterion {
  std::string name;  // as given, without modifier
  const SearchParamDef* param = nullptr;
  Special special = Special::None;
  Modifier modifier = Modifier::None;
  std::string typeModifier;  // reference :Patient
  // A chain (subject:Patient.identifier=...): `param` is the reference parameter, `chained`
  // the parameter of the target type(s) the values apply to.
  const SearchParamDef* chained = nullptr;
  std::vector<std::string> chainTypes;  // target types that have the chained parameter
  std::vector<SearchValue> values;      // OR
};

struct SortKey {
  std::string name;
  const SearchParamDef* param = nullptr;
  Special special = Special::None;
  bool descending = false;
};

struct IncludeSpec {
  std::string sourceType;  // Observation in Observation:subject
  const SearchParamDef* param = nullptr;
  std::string targetType;  // optional third part
  bool iterate = false;    // :iterate (applied one level only)
};

struct SearchQuery {
  std::string type;
  std::vector<Criterion> criteria;  // AND
  std::vector<SortKey> sort;
  size_t count = 20;
  size_t offset = 0;
  bool summaryCount = false;
  // Whether a full page also counts every match for SearchResult::total (FHIR's _total:
  // "accurate" or "estimate" count, "none" does not). Counting costs in proportion to the
  // matches; a caller that never reads the total (the subject directory) sets it false.
  bool countTotal = true;
  std::vector<IncludeSpec> includes;
  std::vector<IncludeSpec> revIncludes;
};

struct SearchLimits {
  size_t defaultCount = 20;
  size_t maxCount = 1000;
  size_t maxValues = 100;  // OR values and AND repeats in all
  // Unknown or unsupported parameters: an error (Prefer: handling=strict) or a warning, ignored.
  bool strict = false;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Fills `query` from URL query parameters (already percent-decoded). Problems are issues:
// errors make the search invalid (400); warnings name parameters that were ignored.
void parseSearch(const SearchParameterRegistry& registry, std::string_view type,
                 const QueryParams& params, const SearchLimits& limits, SearchQuery& query,
                 core::Issues& issues);

// The parameters the store acts on, written back as a query string (for paging links):
// "subject=Patient%2F1&_count=10". Result parameters are not included.
std::string percentEncode(std::string_view text);
// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space).
QueryParams parseQueryString(std::string_view query);

}  // namespace trialbridge::store
