#pragma once
// Search parameters from the SearchParameter resources of the loaded packages (the R4 core's
// 1,400, and any a project adds), by resource type and code. Each definition's FHIRPath
// expression is cut down to the union branches that apply to the resource type
// ("AllergyIntolerance.code | Observation.code | ..." keeps "Observation.code" for Observation)
// and compiled on first use.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trialbridge::conformance {
class Context;
}
namespace trialbridge::fhirpath {
class Expression;
}

namespace trialbridge::store {

enum class ParamType : uint8_t {
  Number,
  Date,
  String,
  Token,
  Reference,
  Composite,
  Quantity,
  Uri,
  Special,
};
std::string_view paramTypeName(ParamType t);

struct SearchParamDef {
  std::string code;          // "subject"
  std::string resourceType;  // the type it is used for ("Observation"; "Resource" for _tag...)
  ParamType type = ParamType::Token;
  std::string url;
  std::string expression;            // the branches for resourceType only
  std::vector<std::string> targets;  // reference targets
  // "X.where(resolve() is Patient)" is indexed as X with only Patient targets kept: the store
  // resolves nothing while indexing.
  std::string resolveFilter;
  // True when the store indexes and searches it: types other than composite and special, with
  // an expression that compiles.
  bool indexed = false;
  std::shared_ptr<const fhirpath::Expression> compiled;  // when indexed
};

class SearchParameterRegistry {
 public:
  // The definitions in every package of `context` (a later package's definition of the same
  // type+code replaces an earlier one). `context` must outlive the registry.
  explicit SearchParameterRegistry(const conformance::Context& context);
  ~SearchParameterRegistry();
  SearchParameterRegistry(const SearchParameterRegistry&) = delete;
  SearchParameterRegistry& operator=(const SearchParameterRegistry&) = delete;

  // The R4 core's, built on first use.
  static const SearchParameterRegistry& r4();

  const conformance::Context& context() const { return *context_; }
  // The parameter `code` of `resourceType`, including the ones every resource has (_id,
  // _lastUpdated, _tag, _profile, _security, _source), or nullptr. Thread-safe.
  const SearchParamDef* find(std::string_view resourceType, std::string_view code) const;
  // All the parameters of `resourceType` (including the common ones), in code order.
  const std::vector<const SearchParamDef*>& forType(std::string_view resourceType) const;

 private:
  struct Raw {
    std::string code, url, type, expression;
    std::vector<std::string> bases, targets;
  };
  struct TypeEntry {
    std::vector<std::unique_ptr<SearchParamDef>> owned;
    std::vector<const SearchParamDef*> all;
    std::unordered_map<std::string, const SearchParamDef*> byCode;
  };
  const TypeEntry& entry(std::string_view resourceType) const;

  const conformance::Context* context_;
  std::vector<Raw> raw_;
  std::unordered_map<std::string, std::vector<size_t>> byBase_;  // base type -> raw_ indexes
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::unique_ptr<TypeEntry>> types_;
};

// The union branches of `expression` that apply to `resourceType` (a branch applies when it
// starts with the type name, perhaps after parentheses, or with Resource/DomainResource),
// joined with " | ". Exposed for tests.
std::string expressionForType(std::string_view expression, std::string_view resourceType);
// Removes ".where(resolve() is T)" from `expression` when every such filter names the same T,
// which goes to `type`; otherwise leaves it unchanged.
std::string stripResolveFilter(std::string_view expression, std::string& type);

}  // namespace trialbridge::store
