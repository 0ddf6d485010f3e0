#include "fhirpath/parser.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::fhirpath {
namespace {

using testing::errorKind;
using testing::eval;

Error syntaxError(std::string_view text) {
  NodePool pool;
  Error e;
  EXPECT_EQ(parseExpression(text, pool, e), nullptr) << text;
  return e;
}

TEST(Parser, SyntaxErrorsCarryPositions) {
  Error e = syntaxError("name.given.where(");
  EXPECT_EQ(e.kind, ErrorKind::Syntax);
  EXPECT_EQ(e.offset, 17u);
  e = syntaxError("a and\n  (b or )");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 9u);
  EXPECT_EQ(syntaxError("2 + 2 /* open").message, "unterminated comment");
  EXPECT_EQ(syntaxError("'abc").message, "unterminated string");
  syntaxError("a.");
  syntaxError("a[1");
  syntaxError("@2014-13-01");
  syntaxError("x = #");
  syntaxError("$that");
  syntaxError("a and and b");
  syntaxError("1 2");
  syntaxError("%");
  syntaxError("'\\q'");
}

TEST(Parser, Precedence) {
  EXPECT_EQ(eval("1 + 2 * 3 + 4"), "11");
  EXPECT_EQ(eval("(1 | 1 is Integer).count()"), "2");
  EXPECT_EQ(eval("true and '0215' in ('0215' | '0216')"), "true");
  EXPECT_EQ(eval("2 - 1 - 1"), "0");
  EXPECT_EQ(eval("12 / 2 / 3"), "2");
  EXPECT_EQ(eval("true or false and false"), "true");
  EXPECT_EQ(eval("false implies false implies false"), "false");
  EXPECT_EQ(eval("-2.abs()"), "-2");
  EXPECT_EQ(eval("(-2).abs()"), "2");
  EXPECT_EQ(errorKind("-true"), "");  // a runtime error, not a syntax error
  EXPECT_EQ(eval("-true"), "ERROR: execution: unary '-' needs a number or a quantity");
}

TEST(Parser, Literals) {
  EXPECT_EQ(eval("'a\\'b\\u0041\\n'.length()"), "5");
  EXPECT_EQ(eval("`div`.empty()"), "true");
  EXPECT_EQ(eval("@2015-02-04T14:34:28.123.is(DateTime)"), "true");
  EXPECT_EQ(eval("@2015T.is(DateTime)"), "true");
  EXPECT_EQ(eval("@T14.is(Time)"), "true");
  EXPECT_EQ(eval("4 days"), "4 days");
  EXPECT_EQ(eval("10.50 'mg'"), "10.50 'mg'");
  EXPECT_EQ(eval("1.convertsToInteger()"), "true");
  EXPECT_EQ(eval("1.0.convertsToInteger()"), "false");
  EXPECT_EQ(eval("{}"), "");
  EXPECT_EQ(eval("%`vs-administrative-gender`"),
            "http://hl7.org/fhir/ValueSet/administrative-gender");
  EXPECT_EQ(eval("%ucum"), "http://unitsofmeasure.org");
}

TEST(Parser, KeywordsAsNames) {
  EXPECT_EQ(errorKind("contains"), "");
  EXPECT_EQ(errorKind("a.as.is.in.contains"), "");
  EXPECT_EQ(eval("'abc'.contains('b')"), "true");
  EXPECT_EQ(eval("(1|2) contains 2"), "true");
  EXPECT_EQ(errorKind("and"), "syntax");
  EXPECT_EQ(errorKind("div"), "syntax");
}

TEST(Parser, Comments) {
  EXPECT_EQ(eval("2 + 2 // comment\n + 1"), "5");
  EXPECT_EQ(eval("2 + /* inline */ 2"), "4");
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  EXPECT_EQ(errorKind(deep), "syntax");
  std::string chain = "a";
  for (int i = 0; i < 100000; ++i) chain += ".b";
  EXPECT_EQ(errorKind(chain), "syntax");
}

}  // namespace
}  // namespace trialbridge::fhirpath
