#pragma once
// Terminology without a server: CodeSystems and ValueSets of the loaded packages, with ValueSet
// expansion of `compose` (include/exclude by concept list, by whole system, by other value sets,
// and the filters is-a, descendent-of, is-not-a, = and in on the properties of local code
// systems). Code systems that are not loaded (LOINC, SNOMED CT...) make a value set "open": a
// code from them can be neither confirmed nor refused, and the caller says so as information.
//
// Everything is computed on first use and cached; all calls are thread-safe, and returned
// pointers stay valid for the Terminology's lifetime.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/string_map.h"

namespace trialbridge::conformance {

class Context;

using core::StringHash;
using core::StringMap;
using core::StringSet;

struct CodeConcept {
  std::string code;
  std::string display;
  std::vector<std::string> designations;  // other displays (translations)
  std::vector<std::string> parents;       // codes this concept is under (hierarchy, subsumedBy)
  StringMap<std::string> properties;      // property code -> value (as text)
  bool abstract = false;
  bool inactive = false;
};

struct CodeSystemInfo {
  std::string url;
  std::string version;
  std::string name;
  std::string content;  // complete | fragment | example | not-present | supplement
  bool caseSensitive = true;
  std::vector<CodeConcept> concepts;
  StringMap<size_t> byCode;

  const CodeConcept* find(std::string_view code) const;
  // True when `code` is `ancestor` or below it in the hierarchy.
  bool isA(std::string_view code, std::string_view ancestor) const;
  // All listed codes are all the codes there are.
  bool complete() const { return content == "complete" || content.empty(); }
};

struct ValueSetExpansion {
  std::string url;
  std::string version;
  std::string name;
  bool found = false;  // the ValueSet is loaded
  std::string error;   // why it could not be expanded (empty: it could)
  // Codes by system.
  StringMap<StringSet> codes;
  // Systems that are included wholesale or by filter but are not loaded (or only as a
  // fragment): membership of their codes is unknown.
  StringSet openSystems;
  // Value sets it includes that are not loaded: membership of any code is unknown.
  bool hasUnknownValueSet = false;

  // Displays the value set gives its codes (concept display and designations, expansion
  // display and designations), by "system|code".
  StringMap<std::vector<std::string>> displays;

  bool contains(std::string_view system, std::string_view code) const;
  // The displays the value set gives system|code (none when it gives none).
  const std::vector<std::string>* displaysOf(std::string_view system, std::string_view code) const;
  // The systems that hold `code` (for a bare code).
  std::vector<std::string_view> systemsOf(std::string_view code) const;
  size_t size() const;
};

enum class Membership : uint8_t {
  In,
  NotIn,
  Unknown,  // the value set or the code's system is not (fully) loaded
};

class Terminology {
 public:
  explicit Terminology(const Context& context);
  ~Terminology();
  Terminology(const Terminology&) = delete;
  Terminology& operator=(const Terminology&) = delete;

  // A CodeSystem by canonical URL ("url|version" allowed), or nullptr if none is loaded.
  const CodeSystemInfo* codeSystem(std::string_view url) const;
  // A ValueSet's expansion by canonical URL, or "canonical#id" for a ValueSet contained in the
  // resource with that URL; never nullptr (found = false when not loaded).
  const ValueSetExpansion& expand(std::string_view url) const;

  // Whether system|code is in the value set. An empty system means a bare `code` value: it is in
  // if any system of the expansion has it.
  Membership member(std::string_view valueSet, std::string_view system,
                    std::string_view code) const;

  // Systems with a known syntax but no enumerable CodeSystem (mime types, languages, UCUM...):
  // checks the code's form; true if it is well-formed or the system is not one of these.
  static bool isGrammarSystem(std::string_view system);
  static bool checkGrammarCode(std::string_view system, std::string_view code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::conformance
