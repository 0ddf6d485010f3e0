// The registry that joins the function families, and the engine's call of a function.
#include "fhirpath/functions.h"

#include <array>
#include <unordered_map>

namespace trialbridge::fhirpath {

namespace {

struct Registry {
  std::vector<const FunctionSpec*> all;
  std::unordered_map<std::string_view, const FunctionSpec*> byName;
  std::array<const FunctionSpec*, 256> byId{};  // indexed by Fn; the first row of an id
};

const Registry& registry() {
  static const Registry kRegistry = [] {
    Registry r;
    for (auto family : {collectionFunctions(), conversionFunctions(), stringFunctions(),
                        mathFunctions(), utilityFunctions(), fhirFunctions()}) {
      for (const FunctionSpec& spec : family) {
        // Names are unique and every row has code (tests/fhirpath/functions_test.cc).
        r.byName.emplace(spec.name, &spec);
        r.all.push_back(&spec);
        auto& slot = r.byId[static_cast<size_t>(spec.fn)];
        if (slot == nullptr) slot = &spec;
      }
    }
    return r;
  }();
  return kRegistry;
}

}  // namespace

const FunctionSpec* findFunction(std::string_view name) {
  const auto& byName = registry().byName;
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

const FunctionSpec* functionSpec(Fn fn) { return registry().byId[static_cast<size_t>(fn)]; }

std::vector<const FunctionSpec*> allFunctions() { return registry().all; }

void Engine::callFunction(const Node* n, const Frame& f, Coll& out) {
  const FunctionSpec* spec = n->function;
  if (spec == nullptr) fail(n, "unknown function '" + n->name + "'");
  Call call{*this, n, f, input(n, f)};
  spec->impl(call, out);
}

}  // namespace trialbridge::fhirpath
