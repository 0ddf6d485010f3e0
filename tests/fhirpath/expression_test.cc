// The public API: compile options and static checks, the cache, Evaluation reuse and
// thread-safety, boolean(), one-shot evaluate() and the CLI's JSON.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_util.h"

namespace trialbridge::fhirpath {
namespace expression_test {

using testing::errorKind;
using testing::readDoc;

constexpr std::string_view kPatient = R"({"resourceType": "Patient", "id": "p1", "active": true,
  "name": [{"family": "A", "given": ["B"]}], "birthDate": "2000-01-02"})";

CompileOptions typed(std::string type) {
  CompileOptions o;
  o.contextType = std::move(type);
  return o;
}

TEST(Expression, StaticChecksWithAContextType) {
  EXPECT_EQ(errorKind("name.given1", typed("Patient")), "semantic");
  EXPECT_EQ(errorKind("name.given1"), "");  // unknown context: nothing to check against
  EXPECT_EQ(errorKind("Observation.valueQuantity", typed("Observation")), "semantic");
  EXPECT_EQ(errorKind("Observation.value.unit", typed("Observation")), "");
  EXPECT_EQ(errorKind("identifier.startsWith('x')", typed("Patient")), "semantic");
  EXPECT_EQ(errorKind("contact.name.family", typed("Patient")), "");
  EXPECT_EQ(errorKind("name", typed("Patient.contact")), "");
  EXPECT_EQ(errorKind("entry.resource.name", typed("Bundle")), "");  // any resource
  EXPECT_EQ(errorKind("contained.ofType(Patient).name", typed("Patient")), "");
  EXPECT_EQ(errorKind("@2014 + 1"), "semantic");
  EXPECT_EQ(errorKind("iif('x', 1, 2)"), "semantic");
  EXPECT_EQ(errorKind("nosuchfunction()"), "semantic");
  EXPECT_EQ(errorKind("where()"), "semantic");
  CompileOptions ordered = typed("Patient");
  ordered.checkOrderedFunctions = true;
  EXPECT_EQ(errorKind("children().first()", ordered), "semantic");
  EXPECT_EQ(errorKind("children().first()", typed("Patient")), "");
}

TEST(Expression, ErrorPositions) {
  CompileResult c = compile("name.where(given = 'x').foo", typed("Patient"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().column, 25u);
  EXPECT_EQ(c.error().toString(), "semantic error at 1:25: 'foo' is not an element of HumanName");
  auto doc = readDoc(kPatient);
  CompileResult e = compile("name.given.single() | (1 | 2).single()");
  Evaluation eval;
  EXPECT_FALSE(eval.run(*e.expression(), doc->root()));
  EXPECT_EQ(eval.error().kind, ErrorKind::Execution);
  EXPECT_EQ(eval.error().column, 31u);
}

TEST(Expression, CacheReturnsTheSameCompiledExpression) {
  ExpressionCache cache;
  auto a = cache.get("name.exists()", typed("Patient"));
  auto b = cache.get("name.exists()", typed("Patient"));
  auto c = cache.get("name.exists()");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a.expression().get(), b.expression().get());
  EXPECT_NE(a.expression().get(), c.expression().get());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get("name.("));
}

TEST(Expression, BooleanResult) {
  auto doc = readDoc(kPatient);
  Evaluation eval;
  auto run = [&](std::string_view text) {
    CompileResult c = compile(text);
    EXPECT_TRUE(eval.run(*c.expression(), doc->root()));
    return eval.boolean();
  };
  EXPECT_EQ(run("active"), true);
  EXPECT_EQ(run("name.exists().not()"), false);
  EXPECT_EQ(run("telecom"), std::nullopt);
  EXPECT_EQ(run("name"), true);
  EXPECT_EQ(run("name.given | name.family"), std::nullopt);
}

TEST(Expression, EvaluationIsReusableAndThreadSafe) {
  auto doc = readDoc(kPatient);
  CompileResult c = compile("name.where(family = 'A').given.first() + birthDate.toString()");
  ASSERT_TRUE(c);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Evaluation eval;
      for (int i = 0; i < 2000; ++i) {
        if (eval.run(*c.expression(), doc->root()) && eval.results().size() == 1 &&
            eval.results()[0].string() == "B2000-01-02") {
          ++good;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 8000);
}

TEST(Expression, OneShotEvaluateOwnsItsResults) {
  auto doc = readDoc(kPatient);
  CompileResult c = compile("name.given.first() + '!' | 1.5 'mg' | @2014-01");
  EvalResult r = evaluate(*c.expression(), doc->root());
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_EQ(valueToString(r.values[0]), "B!");
  EXPECT_EQ(
      resultsToJson(r.values),
      R"([{"type":"string","value":"B!"},{"type":"Quantity","value":{"value":1.5,"unit":"mg"}},)"
      R"({"type":"date","value":"2014-01"}])");
}

TEST(Expression, JsonOfElements) {
  auto doc = readDoc(kPatient);
  CompileResult c = compile("name | active | birthDate | id");
  Evaluation eval;
  ASSERT_TRUE(eval.run(*c.expression(), doc->root()));
  EXPECT_EQ(resultsToJson(eval.results()),
            R"([{"type":"HumanName","value":{"family":"A","given":["B"]}},)"
            R"({"type":"boolean","value":true},{"type":"date","value":"2000-01-02"},)"
            R"({"type":"id","value":"p1"}])");
}

TEST(Expression, EmptyContext) {
  CompileResult c = compile("name.exists() or 1 + 1 = 2");
  Evaluation eval;
  ASSERT_TRUE(eval.run(*c.expression(), static_cast<const core::Element*>(nullptr)));
  ASSERT_EQ(eval.results().size(), 1u);
  EXPECT_TRUE(eval.results()[0].boolean);
}

}  // namespace expression_test
}  // namespace trialbridge::fhirpath

namespace trialbridge::fhirpath {
namespace expression_test {

TEST(Expression, RunawayExpressionsAreErrors) {
  // Each select() multiplies the collection by 16: 16^7 items is past the limit.
  std::string units = "(0|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15)";
  std::string expr = units;
  for (int i = 0; i < 6; ++i) expr = units + ".select(" + expr + ")";
  // The memory limit of one evaluation (1 GiB) or the collection limit (16M items) stops it.
  EXPECT_EQ(testing::eval(expr + ".count()").rfind("ERROR: execution: ", 0), 0u);
  EXPECT_EQ(testing::eval("1.repeat($this + 1).count()"),
            "ERROR: execution: repeat() produced too many items");
}

}  // namespace expression_test
}  // namespace trialbridge::fhirpath
