// Operators, functions and FHIR type semantics, on a small Patient and Observation.
#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::fhirpath {
namespace {

using testing::eval;
using testing::readDoc;

constexpr std::string_view kPatient = R"({
  "resourceType": "Patient", "id": "p1",
  "active": true,
  "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]},
           {"use": "usual", "given": ["Jim"]}],
  "gender": "male",
  "birthDate": "1974-12-25",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                "valueDateTime": "1974-12-25T14:35:45-05:00"}]},
  "telecom": [{"system": "phone", "value": "555", "use": "home"}],
  "contained": [{"resourceType": "Organization", "id": "org", "name": "Acme"}],
  "managingOrganization": {"reference": "#org"}
})";

constexpr std::string_view kObservation = R"({
  "resourceType": "Observation", "id": "o1", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
  "valueQuantity": {"value": 185, "unit": "lbs", "system": "http://unitsofmeasure.org",
                    "code": "[lb_av]"},
  "component": [{"code": {"text": "a"}, "valueString": "x"},
                {"code": {"text": "b"}, "valueInteger": 3}]
})";

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    patient_ = readDoc(kPatient);
    observation_ = readDoc(kObservation);
  }
  std::string p(std::string_view expr) { return eval(expr, patient_->root()); }
  std::string o(std::string_view expr) { return eval(expr, observation_->root()); }

  std::unique_ptr<core::Document> patient_, observation_;
};

TEST_F(EvaluatorTest, Navigation) {
  EXPECT_EQ(p("name.given"), "Peter, James, Jim");
  EXPECT_EQ(p("Patient.name[1].given"), "Jim");
  EXPECT_EQ(p("name.where(use = 'usual').given"), "Jim");
  EXPECT_EQ(p("name.select(given.first())"), "Peter, Jim");
  EXPECT_EQ(p("DomainResource.id"), "p1");
  EXPECT_EQ(p("Observation.id"), "");
  EXPECT_EQ(p("contained.name"), "Acme");
  EXPECT_EQ(p("children().count() > 5"), "true");
  EXPECT_EQ(p("descendants().ofType(HumanName).count()"), "2");
  EXPECT_EQ(o("value.unit"), "lbs");
  EXPECT_EQ(o("component.value"), "x, 3");
  EXPECT_EQ(o("component.value.ofType(integer)"), "3");
  EXPECT_EQ(o("valueQuantity.value"), "185");  // typed choice name, no static type given
}

TEST_F(EvaluatorTest, EqualityAndComparison) {
  EXPECT_EQ(p("birthDate = @1974-12-25"), "true");
  EXPECT_EQ(p("birthDate < @1975"), "true");
  EXPECT_EQ(p("birthDate = @1974-12-25T10:00"), "");
  EXPECT_EQ(p("name[0] = name[0]"), "true");
  EXPECT_EQ(p("name[0] = name[1]"), "false");
  EXPECT_EQ(p("name.given ~ ('jim' | 'peter' | 'james')"), "true");
  EXPECT_EQ(p("'a' < 'b'"), "true");
  EXPECT_EQ(p("1 < 'a'"), "ERROR: execution: cannot compare integer with string");
  EXPECT_EQ(o("value > 80 'kg'"), "true");
  EXPECT_EQ(o("value = 185 '[lb_av]'"), "true");
  EXPECT_EQ(p("1 = 1.0"), "true");
  EXPECT_EQ(p("{} = 1"), "");
}

TEST_F(EvaluatorTest, BooleanLogic) {
  EXPECT_EQ(p("active and name.exists()"), "true");
  EXPECT_EQ(p("{} or true"), "true");
  EXPECT_EQ(p("{} and true"), "");
  EXPECT_EQ(p("false implies {}"), "true");
  EXPECT_EQ(p("true xor true"), "false");
  EXPECT_EQ(p("(1 | 2).not()"), "ERROR: execution: expected a single boolean, got 2 items");
  EXPECT_EQ(p("'x'.not()"), "false");  // a single non-boolean counts as true
}

TEST_F(EvaluatorTest, Arithmetic) {
  EXPECT_EQ(p("7 div 2 + 7 mod 2"), "4");
  EXPECT_EQ(p("1 / 4"), "0.25");
  EXPECT_EQ(p("1 / 0"), "");
  EXPECT_EQ(p("'a' + 'b' & {} & 'c'"), "abc");
  EXPECT_EQ(p("9223372036854775807 + 1"), "ERROR: execution: integer overflow");
  EXPECT_EQ(p("birthDate + 1 year"), "1975-12-25");
  EXPECT_EQ(p("@2014-01-31 + 1 month"), "2014-02-28");
  EXPECT_EQ(p("2 'cm' * 3 'cm' = 6 'cm2'"), "true");
  EXPECT_EQ(p("1 'm' + 50 'cm'"), "1.5 'm'");
  EXPECT_EQ(p("@1973-12-25 + 1 'mo'"),
            "ERROR: execution: cannot add a quantity in 'mo' to a date/time");
}

// Each kind of operand pair of + - * / div mod, with its errors.
TEST_F(EvaluatorTest, ArithmeticByOperandKinds) {
  EXPECT_EQ(p("7 / 2"), "3.5");  // two Integers divided: a Decimal
  EXPECT_EQ(p("7 mod 0"), "");
  EXPECT_EQ(p("7.5 div 2"), "3");
  EXPECT_EQ(p("7.5 mod 0"), "");
  EXPECT_EQ(p("-9223372036854775807 - 2"), "ERROR: execution: integer overflow");
  EXPECT_EQ(p("'a' - 'b'"), "ERROR: execution: operator not defined for string and string");
  EXPECT_EQ(p("@2020-01-31 - 1 month"), "2019-12-31");
  EXPECT_EQ(p("@2020-01-01 + 1.9 days"), "2020-01-02");  // whole units only
  EXPECT_EQ(p("@2020-01-01 + 1 'a'"),
            "ERROR: execution: cannot add a quantity in 'a' to a date/time");
  EXPECT_EQ(p("1 'm' - 20 'cm'"), "0.8 'm'");
  EXPECT_EQ(p("1 'm' + 1 'kg'"), "");  // units not comparable
  EXPECT_EQ(p("1 'm' + 1"), "ERROR: execution: cannot add a number and a quantity");
  EXPECT_EQ(p("6 'm' / 2 'm'"), "3 '1'");
  EXPECT_EQ(p("6 'm' / 0 's'"), "");
  EXPECT_EQ(p("2 * 3 'kg'"), "6 'kg'");
  EXPECT_EQ(p("6 'm' mod 2 'm'"), "ERROR: execution: operator not defined for quantities");
  EXPECT_EQ(p("1 'm' + 'a'"), "ERROR: execution: arithmetic on Quantity and string");
  EXPECT_EQ(p("name[0] + 1"), "ERROR: execution: arithmetic on HumanName and integer");
}

TEST_F(EvaluatorTest, Functions) {
  EXPECT_EQ(p("name.given.distinct().count()"), "3");
  EXPECT_EQ(p("(1 | 2 | 3).aggregate($this + $total, 0)"), "6");
  EXPECT_EQ(p("(3 | 1 | 2).sort()"), "1, 2, 3");
  EXPECT_EQ(p("name.given.sort(-$this)"), "Peter, Jim, James");
  EXPECT_EQ(p("name.given.skip(1).take(1)"), "James");
  EXPECT_EQ(p("(1 | 2 | 3).where($this > 1).select($this * 10)"), "20, 30");
  EXPECT_EQ(p("iif(active, 'y', 'n')"), "y");
  EXPECT_EQ(p("'abc'.substring(1)"), "bc");
  EXPECT_EQ(p("'a,b'.split(',').join('-')"), "a-b");
  EXPECT_EQ(p("'Hello'.matches('^H.*o$')"), "true");
  EXPECT_EQ(p("'abc123'.replaceMatches('[0-9]+', '#')"), "abc#");
  EXPECT_EQ(p("'héllo'.length()"), "5");
  EXPECT_EQ(p("'abc'.toChars()"), "a, b, c");
  EXPECT_EQ(p("16.sqrt()"), "4");
  EXPECT_EQ(p("2.power(10)"), "1024");
  EXPECT_EQ(p("'2.50'.toDecimal().precision()"), "2");
  EXPECT_EQ(p("'4 days'.toQuantity()"), "4 days");
  EXPECT_EQ(p("'5 \\'mg\\''.toQuantity('g')"), "0.005 'g'");
  EXPECT_EQ(p("now() > @2020"), "true");
  EXPECT_EQ(p("1.type().name"), "Integer");
  EXPECT_EQ(p("gender.type().name"), "code");
  EXPECT_EQ(p("name.given.single()"), "ERROR: execution: single() on 3 items");
  EXPECT_EQ(p("name.repeat(given).count()"), "3");
  EXPECT_EQ(p("(1|2).trace('x').count()"), "2");
  EXPECT_EQ(p("'dGVzdA=='.decode('base64')"), "test");
}

TEST_F(EvaluatorTest, EncodeDecodeEscape) {
  EXPECT_EQ(p("'t?st'.encode('base64')"), "dD9zdA==");
  EXPECT_EQ(p("'t?st'.encode('urlbase64')"), "dD9zdA==");
  EXPECT_EQ(p("'>>>'.encode('base64')"), "Pj4+");
  EXPECT_EQ(p("'>>>'.encode('urlbase64')"), "Pj4-");
  EXPECT_EQ(p("'Pj4-'.decode('urlbase64')"), ">>>");
  EXPECT_EQ(p("'Zm9vY'.decode('base64')"), "");  // 6 bits left over: not base64
  EXPECT_EQ(p("'test'.encode('hex')"), "74657374");
  EXPECT_EQ(p("'74657374'.decode('hex')"), "test");
  EXPECT_EQ(p("'7465737'.decode('hex')"), "");
  EXPECT_EQ(p("'zz'.decode('hex')"), "");
  EXPECT_EQ(p("'a\"b'.escape('json')"), "a\\\"b");
  EXPECT_EQ(p("'&#x1F600;&#233;'.unescape('html')"), "\xF0\x9F\x98\x80\xC3\xA9");
  EXPECT_EQ(p("'\\\\u00e9'.unescape('json')"), "\xC3\xA9");
}

TEST_F(EvaluatorTest, Types) {
  EXPECT_EQ(p("gender.is(code)"), "true");
  EXPECT_EQ(p("gender.is(string)"), "true");  // code derives from string
  EXPECT_EQ(p("gender.as(string)"), "");      // as() matches the type itself
  EXPECT_EQ(p("gender is System.String"), "false");
  EXPECT_EQ(p("is(DomainResource)"), "true");
  EXPECT_EQ(p("contained.is(Resource)"), "true");
  EXPECT_EQ(o("value is Quantity"), "true");
  EXPECT_EQ(o("value.as(Quantity).value"), "185");
  EXPECT_EQ(p("gender.as(nonsense)"), "ERROR: execution: unknown type 'nonsense'");
}

TEST_F(EvaluatorTest, FhirFunctions) {
  EXPECT_EQ(p("birthDate.extension('http://hl7.org/fhir/StructureDefinition/patient-birthTime')"
              ".value"),
            "1974-12-25T14:35:45-05:00");
  EXPECT_EQ(p("birthDate.hasValue()"), "true");
  EXPECT_EQ(p("name.hasValue()"), "false");
  EXPECT_EQ(p("managingOrganization.resolve().name"), "Acme");
  EXPECT_EQ(p("%resource.id"), "p1");
  EXPECT_EQ(p("gender.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')"), "true");
  EXPECT_EQ(p("'nope'.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')"), "false");
  EXPECT_EQ(p("conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')"), "true");
  EXPECT_EQ(p("conformsTo('http://hl7.org/fhir/StructureDefinition/Observation')"), "false");
}

TEST_F(EvaluatorTest, Variables) {
  Environment env;
  env.variables.push_back({"answer", {Value::ofInteger(42)}});
  EXPECT_EQ(eval("%answer + 1", patient_->root(), env), "43");
  EXPECT_EQ(eval("%missing", patient_->root(), env),
            "ERROR: execution: unknown variable '%missing'");
  EXPECT_EQ(eval("%context.id", patient_->root()), "p1");
}

TEST_F(EvaluatorTest, Trace) {
  Environment env;
  std::string seen;
  env.trace = [&](std::string_view name, std::span<const Value> values) {
    seen += std::string(name) + ":" + std::to_string(values.size()) + ";";
  };
  EXPECT_EQ(eval("name.trace('n').given.trace('g', $this.length())", patient_->root(), env),
            "Peter, James, Jim");
  EXPECT_EQ(seen, "n:2;g:3;");
}

}  // namespace
}  // namespace trialbridge::fhirpath
