// libFuzzer target: FHIR REST search queries (store::parseQueryString, store::parseSearch) and
// the SQL the store makes of them (store::appendCriteria, store::appendOrder).
//
// Input: "Type?query string", as in GET /fhir/Type?query; without '?', the whole input is the
// query string of an Observation search. Both the lenient and the strict (Prefer:
// handling=strict) parse are run.
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; a search with no error
// issue becomes SQL in which every value is a bound '?' placeholder (no input text reaches the
// SQL); a strict parse accepts nothing a lenient one rejects; percentEncode is undone by
// parseQueryString for every decoded name and value.
// Seed corpus: fuzz/corpus/search_query/ (realistic query strings, one per file).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/search_parameters.h"
#include "store/search_query.h"
#include "store/search_sql.h"

namespace {

using namespace trialbridge;

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "search_query_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

// Parses; when there is no error, builds the SQL and checks its placeholders. True when valid.
bool search(const store::SearchParameterRegistry& registry, const std::string& type,
            const store::QueryParams& params, bool strict, std::string_view input) {
  store::SearchLimits limits;
  limits.strict = strict;
  store::SearchQuery query;
  core::Issues issues;
  store::parseSearch(registry, type, params, limits, query, issues);
  if (issues.hasErrors()) return false;
  for (const bool sqlite : {true, false}) {
    store::SqlText sql;
    sql.sqlite = sqlite;
    sql.add("SELECT r.res_id FROM resources r WHERE r.res_type = ?").bind(query.type);
    store::appendCriteria(query, sql);
    store::appendOrder(query, sql);
    size_t placeholders = 0;
    for (const char c : sql.text) placeholders += c == '?' ? 1 : 0;
    if (placeholders != sql.binds.size()) {
      fail(std::to_string(placeholders) + " placeholders for " + std::to_string(sql.binds.size()) +
               " values in: " + sql.text,
           input);
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const store::SearchParameterRegistry& registry = store::SearchParameterRegistry::r4();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string type = "Observation";
  std::string_view query = input;
  if (const size_t q = input.find('?'); q != std::string_view::npos) {
    type = std::string(input.substr(0, q));
    query = input.substr(q + 1);
  }
  const store::QueryParams params = store::parseQueryString(query);
  for (const auto& [name, value] : params) {
    const store::QueryParams back =
        store::parseQueryString(store::percentEncode(name) + "=" + store::percentEncode(value));
    if (back.size() != 1 || back[0].first != name || back[0].second != value) {
      fail("percentEncode is not undone by parseQueryString", input);
    }
  }
  const bool lenient = search(registry, type, params, false, input);
  const bool strict = search(registry, type, params, true, input);
  if (strict && !lenient) fail("a strict search accepts what a lenient one rejects", input);
  return 0;
}
