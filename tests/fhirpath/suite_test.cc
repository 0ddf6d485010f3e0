// Runs the official FHIRPath R4 test suite (tests/data/conformance/fhirpath/tests-fhir-r4.xml,
// read as it is published) against the engine. Every test that fails must be listed, with its
// reason, in docs/conformance/fhirpath.md, and every test listed there must fail: the list is
// the exact record of where trialbridge departs from the suite. At least 98% must pass.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NamedNodeMap.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/SAX/InputSource.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "core/resource_io.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::fhirpath {
namespace {

const std::string kSuiteDir = std::string(TB_TEST_DATA) + "/conformance/fhirpath";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Output {
  std::string type;  // may be empty
  std::string text;
};

struct SuiteTest {
  std::string group;
  std::string name;
  std::string input;
  std::string expression;
  std::string invalid;  // "", "syntax", "semantic", "execution"
  bool predicate = false;
  bool unordered = false;
  bool checkOrdered = false;
  std::vector<Output> outputs;
};

std::string attr(Poco::XML::Element* e, const std::string& name) {
  return e->hasAttribute(name) ? e->getAttribute(name) : std::string();
}

std::vector<SuiteTest> loadSuite() {
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, false);
  Poco::AutoPtr<Poco::XML::Document> doc =
      parser.parseString(readFile(kSuiteDir + "/tests-fhir-r4.xml"));
  std::vector<SuiteTest> tests;
  for (Poco::XML::Node* g = doc->documentElement()->firstChild(); g != nullptr;
       g = g->nextSibling()) {
    if (g->nodeType() != Poco::XML::Node::ELEMENT_NODE || g->nodeName() != "group") continue;
    auto* group = static_cast<Poco::XML::Element*>(g);
    for (Poco::XML::Node* t = group->firstChild(); t != nullptr; t = t->nextSibling()) {
      if (t->nodeType() != Poco::XML::Node::ELEMENT_NODE || t->nodeName() != "test") continue;
      auto* test = static_cast<Poco::XML::Element*>(t);
      SuiteTest s;
      s.group = attr(group, "name");
      s.name = attr(test, "name");
      s.input = attr(test, "inputfile");
      s.predicate = attr(test, "predicate") == "true";
      s.unordered = attr(test, "ordered") == "false";
      s.checkOrdered = attr(test, "checkOrderedFunctions") == "true";
      for (Poco::XML::Node* c = test->firstChild(); c != nullptr; c = c->nextSibling()) {
        if (c->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
        auto* ce = static_cast<Poco::XML::Element*>(c);
        if (ce->nodeName() == "expression") {
          s.expression = ce->innerText();
          s.invalid = attr(ce, "invalid");
        } else if (ce->nodeName() == "output") {
          s.outputs.push_back(Output{attr(ce, "type"), ce->innerText()});
        }
      }
      tests.push_back(std::move(s));
    }
  }
  return tests;
}

// The suite's text for a value: dates as @..., quantities as 1 'mg'.
std::string suiteText(const Value& v) {
  std::optional<Value> sys =
      v.kind == Kind::Element && v.element->isPrimitive() ? toSystem(v) : std::optional<Value>(v);
  const Value& x = sys ? *sys : v;
  switch (x.kind) {
    case Kind::Date:
    case Kind::DateTime: return "@" + valueToString(x);
    case Kind::Time: return "@T" + valueToString(x);
    default: return valueToString(x);
  }
}

// Known failures from docs/conformance/fhirpath.md: table rows whose first cell is `name`.
std::set<std::string> documentedFailures() {
  std::set<std::string> names;
  std::istringstream in(readFile(std::string(TB_SOURCE_ROOT) + "/docs/conformance/fhirpath.md"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    size_t end = line.find('`', 3);
    if (end != std::string::npos) names.insert(line.substr(3, end - 3));
  }
  return names;
}

class Runner {
 public:
  // Returns "" when the test passes, else why not.
  std::string run(const SuiteTest& t) {
    const core::Element* root = nullptr;
    if (!t.input.empty()) {
      root = input(t.input);
      if (root == nullptr) return "input " + t.input + " could not be read";
    }
    CompileOptions options;
    if (root != nullptr) options.contextType = root->type().name;
    options.checkOrderedFunctions = t.checkOrdered;
    CompileResult compiled = compile(t.expression, options);
    const bool verbose = std::getenv("TB_FHIRPATH_SUITE_VERBOSE") != nullptr;
    if (!compiled) {
      const Error& e = compiled.error();
      if (verbose) std::cout << "  [" << t.name << "] " << e.toString() << "\n";
      if (!t.invalid.empty() && t.invalid == errorKindName(e.kind)) return "";
      return "compile: " + e.toString() +
             (t.invalid.empty() ? "" : " (expected a " + t.invalid + " error)");
    }
    if (t.invalid == "syntax" || t.invalid == "semantic") {
      return "compiled, but a " + t.invalid + " error was expected";
    }
    Evaluation eval;
    if (!eval.run(*compiled.expression(), root)) {
      if (verbose) std::cout << "  [" << t.name << "] " << eval.error().toString() << "\n";
      if (t.invalid == "execution") return "";
      return "evaluation: " + eval.error().toString();
    }
    if (t.invalid == "execution") return "evaluated, but an execution error was expected";
    std::vector<Output> actual;
    if (t.predicate) {
      actual.push_back(Output{"boolean", eval.results().empty() ? "false" : "true"});
    } else {
      for (const Value& v : eval.results())
        actual.push_back(Output{typeNameForOutput(v), suiteText(v)});
    }
    auto describe = [](const std::vector<Output>& o) {
      std::string s = "[";
      for (size_t i = 0; i < o.size(); ++i) s += (i ? ", " : "") + o[i].type + ":" + o[i].text;
      return s + "]";
    };
    std::vector<Output> expected = t.outputs;
    auto key = [](const Output& o) { return o.text + "\x1f" + o.type; };
    bool same = actual.size() == expected.size();
    if (same && t.unordered) {
      std::vector<std::string> a, e;
      for (const Output& o : actual) a.push_back(o.text);
      for (const Output& o : expected) e.push_back(o.text);
      std::sort(a.begin(), a.end());
      std::sort(e.begin(), e.end());
      same = a == e;
    } else if (same) {
      for (size_t i = 0; i < actual.size() && same; ++i) {
        same = actual[i].text == expected[i].text &&
               (expected[i].type.empty() || expected[i].type == actual[i].type);
      }
    }
    (void)key;
    if (!same) return "expected " + describe(expected) + ", got " + describe(actual);
    return "";
  }

 private:
  const core::Element* input(const std::string& file) {
    auto it = docs_.find(file);
    if (it != docs_.end()) return it->second ? it->second->root() : nullptr;
    core::Issues issues;
    auto doc = core::readResource(readFile(kSuiteDir + "/input/" + file),
                                  conformance::Context::r4(), issues);
    const core::Element* root = doc ? doc->root() : nullptr;
    docs_[file] = std::move(doc);
    return root;
  }

  std::map<std::string, std::unique_ptr<core::Document>> docs_;
};

TEST(FhirPathSuite, OfficialR4Suite) {
  const std::vector<SuiteTest> tests = loadSuite();
  ASSERT_EQ(tests.size(), 935u) << "the suite file should hold 935 tests";
  const std::set<std::string> documented = documentedFailures();
  Runner runner;
  size_t passed = 0;
  std::set<std::string> failedNames;
  std::ostringstream report;
  for (const SuiteTest& t : tests) {
    std::string why = runner.run(t);
    if (why.empty()) {
      ++passed;
      continue;
    }
    failedNames.insert(t.name);
    report << "  " << t.group << " / " << t.name << ": " << t.expression << "\n      " << why
           << "\n";
    EXPECT_TRUE(documented.count(t.name) != 0)
        << t.name << " fails but is not listed in docs/conformance/fhirpath.md: " << why;
  }
  for (const std::string& name : documented) {
    EXPECT_TRUE(failedNames.count(name) != 0)
        << name << " is listed in docs/conformance/fhirpath.md but passes: remove it";
  }
  std::cout << "FHIRPath R4 suite: " << passed << "/" << tests.size() << " passed\n"
            << report.str();
  EXPECT_GE(passed * 100, tests.size() * 98) << "below 98%";
}

}  // namespace
}  // namespace trialbridge::fhirpath
