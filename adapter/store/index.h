#pragma once
// Search index rows of a resource, computed from the search parameters of its type by
// evaluating their FHIRPath expressions and turning what they select into rows by parameter
// type: token (system, code, display text), string (normalized for matching and as written),
// date (a [low, high) range in epoch milliseconds), reference (target type and id, or the URL),
// number and quantity (value, system, code), uri.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"

namespace trialbridge::store {

class SearchParameterRegistry;

struct TokenRow {
  std::string param, system, code, text;  // text: normalized display/text, for :text
};
struct StringRow {
  std::string param, normalized, exact;
};
struct DateRow {
  std::string param;
  int64_t low = 0;   // inclusive
  int64_t high = 0;  // exclusive
};
struct ReferenceRow {
  std::string param, targetType, targetId, url;  // url: the reference as written
};
struct NumberRow {  // number and quantity parameters
  std::string param;
  double value = 0;
  std::string system, code;
};
struct UriRow {
  std::string param, uri;
};

struct IndexRows {
  std::vector<TokenRow> tokens;
  std::vector<StringRow> strings;
  std::vector<DateRow> dates;
  std::vector<ReferenceRow> references;
  std::vector<NumberRow> numbers;
  std::vector<UriRow> uris;
  size_t size() const {
    return tokens.size() + strings.size() + dates.size() + references.size() + numbers.size() +
           uris.size();
  }
};

// The longest value an index column holds (bytes). PostgreSQL refuses an index entry over about
// 2.7 kB (a B-tree row is at most a third of a page), so a token's code and system, a string's
// normalized form, a URI and a reference's target are kept to their first kMaxIndexedBytes,
// cut at a character boundary, on both backends alike; a search value is cut the same way
// before it is compared. Matching is then by those first bytes: a string's prefix and :contains
// look at them, a token's or URI's equality compares them (two values differing only after
// 1 kB match each other). `:exact` compares the whole value, which is kept beside the key.
inline constexpr size_t kMaxIndexedBytes = 1024;
std::string indexKey(std::string_view value);

// Computes the index rows of `resource` (a root resource element). Thread-safe. Expressions that
// fail on a resource are skipped for it (an index is best effort; the resource is still stored).
void extractIndex(const SearchParameterRegistry& registry, const core::Element& resource,
                  IndexRows& out);

// Lower case, accents removed (Latin-1 and Latin Extended-A letters), whitespace runs collapsed:
// the form string search compares.
std::string normalizeString(std::string_view text);

// Splits a reference ("Patient/1", "Patient/1/_history/2", "http://x/fhir/Patient/1") into type
// and id; false when it is not of that form (urn:uuid:..., #contained, a bare id).
bool splitReference(std::string_view reference, std::string& type, std::string& id);

}  // namespace trialbridge::store
