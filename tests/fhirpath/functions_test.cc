// The function library (adapter/fhirpath/functions.h): the registry that joins the families'
// tables, the static result types the rows declare, and the edges of the functions whose code
// is shared between several rows (one body for several ids, or helpers used by several).
#include "fhirpath/functions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "test_util.h"

namespace trialbridge::fhirpath {
namespace {

using testing::errorKind;
using testing::eval;

TEST(FunctionRegistry, EveryNameFindsItsRow) {
  std::set<std::string_view> names;
  for (const FunctionSpec* spec : allFunctions()) {
    EXPECT_TRUE(names.insert(spec->name).second) << "name given twice: " << spec->name;
    EXPECT_EQ(findFunction(spec->name), spec) << spec->name;
    EXPECT_NE(spec->impl, nullptr) << spec->name;
    EXPECT_LE(spec->minArgs, spec->maxArgs) << spec->name;
  }
  EXPECT_EQ(findFunction("where")->fn, Fn::Where);
  EXPECT_EQ(findFunction("htmlchecks")->fn, Fn::HtmlChecks);  // the alias R4's txt-1 uses
  EXPECT_EQ(findFunction("Where"), nullptr);                  // names are case-sensitive
  EXPECT_EQ(findFunction("defineVariable"), nullptr);         // not supported
  EXPECT_EQ(findFunction(""), nullptr);
}

TEST(FunctionRegistry, EveryIdHasOneRowOfItsOwn) {
  EXPECT_EQ(functionSpec(Fn::Unknown), nullptr);
  EXPECT_EQ(functionSpec(Fn::DefineVariable), nullptr);
  std::set<Fn> ids;
  for (const FunctionSpec* spec : allFunctions()) ids.insert(spec->fn);
  // Every id of the enum from Empty to the last one, CheckModifiers, has a row.
  for (int i = static_cast<int>(Fn::Empty); i <= static_cast<int>(Fn::CheckModifiers); ++i) {
    const Fn fn = static_cast<Fn>(i);
    if (fn == Fn::DefineVariable) continue;
    const FunctionSpec* spec = functionSpec(fn);
    ASSERT_NE(spec, nullptr) << "no row for id " << i;
    EXPECT_EQ(spec->fn, fn);
    EXPECT_TRUE(ids.count(fn));
  }
  EXPECT_EQ(functionSpec(Fn::HtmlChecks)->name, "htmlChecks");  // the first row of an id
}

TEST(FunctionRegistry, RowsCarryArityModesAndTypes) {
  const FunctionSpec* where = findFunction("where");
  EXPECT_EQ(where->modes[0], ArgMode::Lambda);
  EXPECT_EQ(where->result, ResultType::Input);
  const FunctionSpec* substring = findFunction("substring");
  EXPECT_EQ(substring->minArgs, 1);
  EXPECT_EQ(substring->maxArgs, 2);
  EXPECT_EQ(substring->input, InputCheck::String);
  EXPECT_EQ(findFunction("ofType")->modes[0], ArgMode::Type);
  EXPECT_EQ(findFunction("first")->result, ResultType::OrderedInput);
  EXPECT_EQ(findFunction("join")->input, InputCheck::Any);  // joins any strings of the input
}

TEST(FunctionRegistry, CompilerUsesTheRows) {
  EXPECT_EQ(errorKind("'a'.substring()"), "semantic");  // below minArgs
  EXPECT_EQ(errorKind("'a'.upper(1)"), "semantic");     // above maxArgs
  EXPECT_EQ(errorKind("nope()"), "semantic");
  EXPECT_EQ(eval("1.upper()"), "ERROR: semantic: 'upper()' needs a string, not System.Integer");
  // join()'s input is not checked at compile time (its row says Any); at run time it is.
  EXPECT_EQ(eval("(1 | 2).join(',')"), "ERROR: execution: expected a string");
  // The declared result types reach the next step's checks.
  EXPECT_EQ(eval("'abc'.length().upper()").rfind("ERROR: semantic:", 0), 0u);
  EXPECT_EQ(eval("'1'.toInteger() + 1"), "2");
  EXPECT_EQ(eval("iif(1, 'a', 'b')").rfind("ERROR: semantic:", 0), 0u);
}

TEST(FunctionFamilies, BooleanQuantifiers) {
  EXPECT_EQ(eval("(true | false).allTrue()"), "false");
  EXPECT_EQ(eval("(true | false).anyTrue()"), "true");
  EXPECT_EQ(eval("(true | false).allFalse()"), "false");
  EXPECT_EQ(eval("(true | false).anyFalse()"), "true");
  EXPECT_EQ(eval("{}.allTrue()"), "true");
  EXPECT_EQ(eval("{}.anyTrue()"), "false");
  EXPECT_EQ(eval("(true | 1).allTrue()"), "ERROR: execution: 'allTrue' needs booleans");
}

TEST(FunctionFamilies, SubsetAndSuperset) {
  EXPECT_EQ(eval("(1 | 2).subsetOf(1 | 2 | 3)"), "true");
  EXPECT_EQ(eval("(1 | 4).subsetOf(1 | 2 | 3)"), "false");
  EXPECT_EQ(eval("(1 | 2 | 3).supersetOf(1 | 2)"), "true");
  EXPECT_EQ(eval("(1 | 2).supersetOf(1 | 4)"), "false");
  EXPECT_EQ(eval("{}.subsetOf(1)"), "true");
}

TEST(FunctionFamilies, SortKeysAndDirections) {
  EXPECT_EQ(eval("(2 | 3 | 1).sort(-$this)"), "3, 2, 1");
  // Several keys: the first decides, the second breaks ties.
  EXPECT_EQ(eval("('ab' | 'b' | 'aa' | 'c').sort(length(), -$this)"), "c, b, ab, aa");
  // An empty key sorts first, whatever the direction.
  EXPECT_EQ(eval("(1 | 2 | 3).sort(iif($this = 2, {}, $this))"), "2, 1, 3");
  EXPECT_EQ(eval("(1 | 2 | 3).sort(-iif($this = 2, {}, $this))"), "2, 3, 1");
}

TEST(FunctionFamilies, ConversionsPairUp) {
  EXPECT_EQ(eval("'yes'.toBoolean()"), "true");
  EXPECT_EQ(eval("'maybe'.toBoolean()"), "");
  EXPECT_EQ(eval("'maybe'.convertsToBoolean()"), "false");
  EXPECT_EQ(eval("'2147483648'.convertsToInteger()"), "false");
  EXPECT_EQ(eval("'1.'.convertsToDecimal()"), "false");
  EXPECT_EQ(eval("@2020-01-02T10:00:00Z.toDate()"), "2020-01-02");
  EXPECT_EQ(eval("'T10:20'.toTime()"), "10:20");
  EXPECT_EQ(eval("(1 | 2).toString()"), "ERROR: execution: toString() on more than one item");
  EXPECT_EQ(eval("(1 | 2).convertsToDate()"),
            "ERROR: execution: convertsToDate() on more than one item");
  EXPECT_EQ(eval("{}.convertsToString()"), "");
}

TEST(FunctionFamilies, QuantityConversionWithUnit) {
  EXPECT_EQ(eval("1 'kg'.toQuantity('g')"), "1000 'g'");
  EXPECT_EQ(eval("1 'kg'.toQuantity('m')"), "");  // units not comparable
  EXPECT_EQ(eval("1 'kg'.convertsToQuantity('m')"), "false");
  EXPECT_EQ(eval("1 'kg'.convertsToQuantity('g')"), "true");
  // An empty unit argument: no result at all, from either function.
  EXPECT_EQ(eval("1 'kg'.toQuantity({})"), "");
  EXPECT_EQ(eval("1 'kg'.convertsToQuantity({})"), "");
  EXPECT_EQ(eval("'abc'.convertsToQuantity('g')"), "false");
}

TEST(FunctionFamilies, StringTests) {
  EXPECT_EQ(eval("'abc'.startsWith('ab')"), "true");
  EXPECT_EQ(eval("'abc'.startsWith('bc')"), "false");
  EXPECT_EQ(eval("'abc'.endsWith('bc')"), "true");
  EXPECT_EQ(eval("'c'.endsWith('abc')"), "false");
  EXPECT_EQ(eval("'abc'.contains('b')"), "true");
  EXPECT_EQ(eval("'abc'.contains('d')"), "false");
  EXPECT_EQ(eval("'abc'.startsWith({})"), "");
  EXPECT_EQ(eval("'aBc'.upper() & 'aBc'.lower()"), "ABCabc");
  EXPECT_EQ(eval("'abc'.matchesFull('b')"), "false");
  EXPECT_EQ(eval("'abc'.matches('b')"), "true");
  EXPECT_EQ(eval("'abc'.matches('(')").rfind("ERROR: execution: invalid regular expression", 0),
            0u);
}

TEST(FunctionFamilies, ReplaceMatchesGroupsAndEmptyMatches) {
  EXPECT_EQ(eval("'2020-01-02'.replaceMatches('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')"),
            "02/01/2020");
  EXPECT_EQ(eval("'abc'.replaceMatches('x*', '-')"), "-a-b-c-");
  EXPECT_EQ(eval("'héé'.replaceMatches('x*', '.')"), ".h.é.é.");  // one code point at a time
  EXPECT_EQ(eval("'abc'.replaceMatches('', '-')"), "abc");
  EXPECT_EQ(eval("'a$b'.replaceMatches('b', '$9')"), "a$");  // a group that is not there
}

TEST(FunctionFamilies, EncodingsAndEscapes) {
  EXPECT_EQ(eval("'<a & \"b\">'.escape('html')"), "&lt;a &amp; &quot;b&quot;&gt;");
  EXPECT_EQ(eval("'&lt;&#65;&#x42;&amp;'.unescape('html')"), "<AB&");
  EXPECT_EQ(eval("'a\"b'.escape('json')"), "a\\\"b");
  EXPECT_EQ(eval("'a\\\\u0041\\\\n'.unescape('json').length()"), "3");
  EXPECT_EQ(eval("'a'.encode('rot13')"), "ERROR: execution: unknown encoding 'rot13'");
  EXPECT_EQ(eval("'a'.decode('rot13')"), "ERROR: execution: unknown encoding 'rot13'");
  EXPECT_EQ(eval("'a'.escape('xml')"), "ERROR: execution: unknown escape target 'xml'");
  EXPECT_EQ(eval("'a'.unescape('xml')"), "ERROR: execution: unknown escape target 'xml'");
  EXPECT_EQ(eval("{}.encode('rot13')"), "");  // no input: the form is not looked at
}

TEST(FunctionFamilies, MathOnNumbersAndQuantities) {
  EXPECT_EQ(eval("(-5).abs()"), "5");
  EXPECT_EQ(eval("(-5.5).abs()"), "5.5");
  EXPECT_EQ(eval("(-5.5 'mg').abs()"), "5.5 'mg'");
  EXPECT_EQ(eval("5 'mg'.ceiling()"), "ERROR: execution: ceiling() needs a number");
  EXPECT_EQ(eval("1.5.ceiling() | 1.5.floor() | (-1.5).truncate()"), "2, 1, -1");
  EXPECT_EQ(eval("1.25.round(1)"), "1.3");
  EXPECT_EQ(eval("1.round(-1)"), "ERROR: execution: round() needs a non-negative precision");
  EXPECT_EQ(eval("0.ln()"), "");
  EXPECT_EQ(eval("(-1).sqrt()"), "");
  EXPECT_EQ(eval("100.log(10)"), "2");
  EXPECT_EQ(eval("8.log(1)"), "");
  EXPECT_EQ(eval("2.power(0.5) > 1.41"), "true");
  EXPECT_EQ(eval("2.power(64)"), "ERROR: execution: integer overflow");
  EXPECT_EQ(eval("{}.exp()"), "");
}

TEST(FunctionFamilies, Boundaries) {
  EXPECT_EQ(eval("1.587.lowBoundary(2)"), "1.58");
  EXPECT_EQ(eval("1.587.highBoundary(2)"), "1.59");
  EXPECT_EQ(eval("1.5 'mg'.highBoundary()"), "1.55000000 'mg'");
  EXPECT_EQ(eval("@2014.lowBoundary(6)"), "2014-01");
  EXPECT_EQ(eval("@T10:30.highBoundary()"), "10:30:59.999");
  EXPECT_EQ(eval("'a'.lowBoundary()"), "");
  EXPECT_EQ(eval("1.5.lowBoundary({})"), "");
}

TEST(FunctionFamilies, Subsumption) {
  // Unknown code systems: no answer either way round, and one item only.
  EXPECT_EQ(eval("'a'.subsumes('b')"), "");
  EXPECT_EQ(eval("'a'.subsumedBy('b')"), "");
  EXPECT_EQ(eval("('a' | 'b').subsumedBy('c')"),
            "ERROR: execution: subsumedBy() needs a single item");
}

}  // namespace
}  // namespace trialbridge::fhirpath
