// Tests of core/xml.h: the FHIR XML rules one by one, the writer, and two round trips over
// official material: every XML input of the conformance suites (tests/data/conformance) goes
// XML -> JSON -> XML to the same XML infoset, and every JSON resource of the R4 examples package
// goes JSON -> XML -> JSON to an equal JSON value.
#include "core/xml.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/Attr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NamedNodeMap.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/DOM/Text.h>
#include <Poco/Exception.h>
#include <Poco/SAX/XMLReader.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "conformance/package.h"
#include "core/json.h"

namespace trialbridge::core {
namespace {

const TypeResolver& r4() { return conformance::Context::r4(); }

std::unique_ptr<Document> read(std::string_view text, Issues& issues,
                               const ReadOptions& options = {}) {
  return readXml(text, r4(), issues, options);
}

std::string describe(const Issues& issues) {
  std::string s;
  for (const Issue& i : issues.items()) {
    s += std::string(severityCode(i.severity)) + " " + i.location + " @" + std::to_string(i.line) +
         ":" + std::to_string(i.column) + " " + i.message + "\n";
  }
  return s;
}

// The only issue in `issues`, checked against what a test expects.
void expectOneIssue(const Issues& issues, Severity severity, std::string_view message,
                    std::string_view location, uint32_t line, uint32_t column) {
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  const Issue& i = issues.items()[0];
  EXPECT_EQ(i.severity, severity) << describe(issues);
  EXPECT_EQ(i.message, message);
  EXPECT_EQ(i.location, location);
  EXPECT_EQ(i.line, line);
  EXPECT_EQ(i.column, column);
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kOpen = R"(<Patient xmlns="http://hl7.org/fhir">)";

// ----------------------------------------------------------------------------------------------
// Reading: the model

TEST(XmlReader, PrimitivesIdsAndExtensions) {
  const std::string text = std::string(kOpen) + R"(
  <id value="p1"/>
  <active value="true"/>
  <birthDate id="bd" value="1970-03-30">
    <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
      <valueDateTime value="1970-03-30T14:35:45-05:00"/>
    </extension>
  </birthDate>
</Patient>)";
  Issues issues;
  auto doc = read(text, issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* root = doc->root();
  EXPECT_EQ(root->name(), "Patient");
  EXPECT_EQ(root->line(), 1u);
  EXPECT_EQ(root->column(), 1u);
  ASSERT_NE(root->child("id"), nullptr);
  EXPECT_EQ(root->child("id")->value(), "p1");  // a resource's id is an element
  const Element* bd = root->child("birthDate");
  ASSERT_NE(bd, nullptr);
  EXPECT_EQ(bd->value(), "1970-03-30");
  EXPECT_EQ(bd->line(), 4u);
  EXPECT_EQ(bd->column(), 3u);
  ASSERT_NE(bd->child("id"), nullptr);  // Element.id: an attribute, kept as a child "id"
  EXPECT_EQ(bd->child("id")->value(), "bd");
  const Element* ext = bd->child("extension");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->child("url")->value(),
            "http://hl7.org/fhir/StructureDefinition/patient-birthTime");
  const Element* v = ext->child("value");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->type().name, "dateTime");
  EXPECT_EQ(v->jsonName(), "valueDateTime");
  EXPECT_EQ(v->path(), "Patient.birthDate.extension[0].value");
}

TEST(XmlReader, ChoiceElementsByName) {
  Issues issues;
  auto doc = read(R"(<Observation xmlns="http://hl7.org/fhir">
  <status value="final"/>
  <code><text value="x"/></code>
  <valueQuantity><value value="1.50"/><unit value="mg"/></valueQuantity>
</Observation>)",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* v = doc->root()->child("value");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->type().name, "Quantity");
  EXPECT_EQ(v->child("value")->value(), "1.50");  // decimals keep their text
}

TEST(XmlReader, ContainedAndBundleResources) {
  Issues issues;
  auto doc = read(R"(<Bundle xmlns="http://hl7.org/fhir">
  <type value="collection"/>
  <entry>
    <fullUrl value="urn:uuid:1"/>
    <resource>
      <Patient>
        <contained>
          <Organization><id value="o"/><name value="Acme"/></Organization>
        </contained>
        <managingOrganization><reference value="#o"/></managingOrganization>
      </Patient>
    </resource>
  </entry>
</Bundle>)",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* res = doc->root()->child("entry")->child("resource");
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->type().name, "Patient");
  EXPECT_EQ(res->line(), 5u);  // where <resource> starts
  const Element* org = res->child("contained");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->type().name, "Organization");
  EXPECT_EQ(org->child("name")->value(), "Acme");
  EXPECT_EQ(org->path(), "Bundle.entry[0].resource.contained[0]");
}

TEST(XmlReader, NarrativeDivIsKeptAsXhtmlText) {
  Issues issues;
  auto doc = read(std::string(kOpen) + R"(
  <text>
    <status value="generated"/>
    <div xmlns="http://www.w3.org/1999/xhtml" xmlns:x="urn:x" class="a&amp;b" x:y="1&#10;2"><p>a &lt; b &amp; "c"<br/>&#160;<![CDATA[<i>]]></p><!-- dropped --><img src="a.png"></img></div>
  </text>
</Patient>)",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* div = doc->root()->child("text")->child("div");
  ASSERT_NE(div, nullptr);
  EXPECT_EQ(div->value(),
            "<div xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:x=\"urn:x\" class=\"a&amp;b\" "
            "x:y=\"1&#10;2\"><p>a &lt; b &amp; &quot;c&quot;<br/>\xC2\xA0&lt;i&gt;</p>"
            "<img src=\"a.png\"/></div>");
}

TEST(XmlReader, DivNamespaceDeclaredOnAnAncestorIsAddedToTheDiv) {
  Issues issues;
  auto doc =
      read(R"(<f:Patient xmlns:f="http://hl7.org/fhir" xmlns:h="http://www.w3.org/1999/xhtml">
  <f:text><f:status value="generated"/><h:div><h:p>x</h:p></h:div></f:text>
</f:Patient>)",
           issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(doc->root()->child("text")->child("div")->value(),
            "<h:div xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:p>x</h:p></h:div>");
}

TEST(XmlReader, CommentsAndSchemaLocationAreNotPartOfTheModel) {
  Issues issues;
  auto doc = read(R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://hl7.org/fhir patient.xsd">
  <!-- a comment --><active value="true"/><?pi data?>
</Patient>)",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(writeXml(*doc->root(), {.pretty = false}),
            R"(<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>)");
}

TEST(XmlReader, ByteOrderMarkIsAccepted) {
  Issues issues;
  auto doc =
      read(std::string("\xEF\xBB\xBF") + kOpen + "<active value=\"true\"/></Patient>", issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(XmlReader, DatatypeRootWithRootType) {
  Issues issues;
  ReadOptions options;
  options.rootType = "Quantity";
  auto doc = read(R"(<Quantity xmlns="http://hl7.org/fhir" id="q"><value value="3"/></Quantity>)",
                  issues, options);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(doc->root()->type().name, "Quantity");
  EXPECT_EQ(doc->root()->child("id")->value(), "q");
  EXPECT_EQ(doc->root()->child("value")->value(), "3");
}

TEST(XmlReader, RootTypeOfAResourceMustMatch) {
  Issues issues;
  ReadOptions options;
  options.rootType = "Observation";
  EXPECT_FALSE(read(std::string(kOpen) + "<active value=\"true\"/></Patient>", issues, options));
  expectOneIssue(issues, Severity::Fatal, "Expected a Observation resource, not 'Patient'", "", 1,
                 1);
}

// ----------------------------------------------------------------------------------------------
// Reading: each departure from the rules is an issue

TEST(XmlReader, UnknownElement) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "\n  <foo value=\"x\"/>\n  <active value=\"true\"/>\n</Patient>",
           issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown element 'foo'", "Patient.foo", 2, 3);
  EXPECT_NE(doc->root()->child("active"), nullptr);  // the rest is read
}

TEST(XmlReader, UnknownElementInsideAnUnknownElementIsReportedOnce) {
  Issues issues;
  auto doc = read(
      std::string(kOpen) + "<foo><bar value=\"x\"/>text</foo><active value=\"true\"/></Patient>",
      issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown element 'foo'", "Patient.foo", 1, 38);
}

TEST(XmlReader, UnknownAttribute) {
  Issues issues;
  auto doc = read(std::string(kOpen) + "\n<active value=\"true\" foo=\"bar\"/></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown attribute 'foo' on 'active'", "Patient.active",
                 2, 1);
}

TEST(XmlReader, ValueAttributeOnAComplexElementIsUnknown) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "<name value=\"x\"><family value=\"F\"/></name></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown attribute 'value' on 'name'", "Patient.name[0]",
                 1, 38);
}

TEST(XmlReader, IdOfAResourceIsAnElementNotAnAttribute) {
  Issues issues;
  auto doc = read(R"(<Patient xmlns="http://hl7.org/fhir" id="x"><active value="true"/></Patient>)",
                  issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown attribute 'id' on 'Patient'", "Patient", 1, 1);
}

TEST(XmlReader, ElementIdAsAnElementIsAnError) {
  Issues issues;
  auto doc = read(
      std::string(kOpen) + "<name><id value=\"n\"/><family value=\"F\"/></name></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "'id' must be written as an attribute, not an element",
                 "Patient.name[0].id", 1, 44);
}

TEST(XmlReader, NamespacedAttributeIsUnknown) {
  Issues issues;
  auto doc = read(std::string(R"(<Patient xmlns="http://hl7.org/fhir" xmlns:q="urn:q">)") +
                      "<active q:a=\"1\" value=\"true\"/></Patient>",
                  issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Unknown attribute '{urn:q}a' on 'active'",
                 "Patient.active", 1, 54);
}

TEST(XmlReader, ElementInTheWrongNamespace) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "<active xmlns=\"urn:other\" value=\"true\"/></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error,
                 "The element 'active' must be in the namespace 'http://hl7.org/fhir', not "
                 "'urn:other'",
                 "Patient.active", 1, 38);
  EXPECT_EQ(doc->root()->child("active"), nullptr);
}

TEST(XmlReader, DivInTheFhirNamespace) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "<text><status value=\"generated\"/><div>x</div></text></Patient>",
           issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error,
                 "The element 'div' must be in the namespace 'http://www.w3.org/1999/xhtml', not "
                 "'http://hl7.org/fhir'",
                 "Patient.text.div", 1, 71);
}

TEST(XmlReader, TextContentWhereOnlyElementsMayBe) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "\n  <active value=\"true\">yes</active>\n</Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Text is not allowed in FHIR element 'active' ('yes')",
                 "Patient.active", 2, 24);
}

TEST(XmlReader, PrimitiveWithoutValueOrExtension) {
  Issues issues;
  auto doc =
      read(std::string(kOpen) + "\n  <active value=\"true\"/>\n  <gender/>\n</Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error,
                 "The primitive element 'gender' must have a value attribute or extensions",
                 "Patient.gender", 3, 3);
  EXPECT_EQ(doc->root()->child("gender"), nullptr);
}

TEST(XmlReader, PrimitiveWithExtensionButNoValueIsFine) {
  Issues issues;
  auto doc = read(std::string(kOpen) +
                      R"(<gender><extension url="http://x"><valueCode value="u"/></extension>)"
                      "</gender></Patient>",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_FALSE(doc->root()->child("gender")->hasValue());
}

TEST(XmlReader, EmptyValueAttribute) {
  Issues issues;
  auto doc = read(std::string(kOpen) + "<gender value=\"\"/></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "The value attribute of 'gender' must not be empty",
                 "Patient.gender", 1, 38);
}

TEST(XmlReader, EmptyElement) {
  Issues issues;
  auto doc = read(
      std::string(kOpen) + "\n  <name/>\n  <name><family value=\"F\"/></name>\n</Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "The element 'name' must have some content",
                 "Patient.name[0]", 2, 3);
  EXPECT_EQ(doc->root()->childCount("name"), 1u);
}

TEST(XmlReader, ElementWithOnlyAnIdIsEmpty) {
  Issues issues;
  auto doc = read(
      std::string(kOpen) + "<active value=\"true\"/><maritalStatus id=\"m\"/></Patient>", issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "The element 'maritalStatus' must have some content",
                 "Patient.maritalStatus", 1, 60);
}

TEST(XmlReader, RepeatedNonRepeatingElement) {
  Issues issues;
  auto doc = read(
      std::string(kOpen) + "\n  <active value=\"true\"/>\n  <active value=\"false\"/>\n</Patient>",
      issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "The element 'active' may appear only once",
                 "Patient.active", 3, 3);
  EXPECT_EQ(doc->root()->child("active")->value(), "true");
}

TEST(XmlReader, TwoChoicesOfOneChoiceElement) {
  Issues issues;
  auto doc = read(R"(<Observation xmlns="http://hl7.org/fhir"><status value="final"/>)"
                  R"(<code><text value="x"/></code><valueString value="a"/>)"
                  R"(<valueBoolean value="true"/></Observation>)",
                  issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error, "Only one element may be given for 'value[x]'",
                 "Observation.valueBoolean", 1, 119);
}

TEST(XmlReader, OutOfOrderElementsAreReportedButReadInDefinitionOrder) {
  Issues issues;
  auto doc = read(std::string(kOpen) + R"(
  <gender value="male"/>
  <active value="true"/>
  <name><family value="F"/></name>
</Patient>)",
                  issues);
  ASSERT_TRUE(doc);
  ASSERT_EQ(issues.size(), 2u) << describe(issues);
  EXPECT_EQ(issues.items()[0].message,
            "The element 'active' is out of order: FHIR XML requires definition order, and it "
            "must come before 'gender'");
  EXPECT_EQ(issues.items()[0].location, "Patient.active");
  EXPECT_EQ(issues.items()[0].line, 3u);
  EXPECT_EQ(issues.items()[0].column, 3u);
  EXPECT_EQ(issues.items()[1].location, "Patient.name[0]");
  EXPECT_EQ(writeXml(*doc->root(), {.pretty = false}),
            std::string(kOpen) +
                R"(<active value="true"/><name><family value="F"/></name><gender value="male"/>)"
                "</Patient>");
}

TEST(XmlReader, InterleavedRepeatsAreOutOfOrder) {
  Issues issues;
  auto doc = read(std::string(kOpen) + R"(<name><family value="A"/></name><gender value="male"/>)"
                                       R"(<name><family value="B"/></name></Patient>)",
                  issues);
  ASSERT_TRUE(doc);
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues.items()[0].location, "Patient.name[1]");
  EXPECT_EQ(doc->root()->childCount("name"), 2u);
  EXPECT_EQ(doc->root()->firstChild()->nextSibling()->child("family")->value(), "B");
}

TEST(XmlReader, ContainedMustHoldOneKnownResource) {
  Issues issues;
  auto doc = read(std::string(kOpen) + R"(
  <contained/>
  <contained><Foo/></contained>
  <contained><Organization><name value="A"/></Organization><Organization><name value="B"/></Organization></contained>
  <contained>x<Organization><name value="C"/></Organization></contained>
  <active value="true"/>
</Patient>)",
                  issues);
  ASSERT_TRUE(doc);
  ASSERT_EQ(issues.size(), 4u) << describe(issues);
  EXPECT_EQ(issues.items()[0].message, "The element 'contained' must contain a resource");
  EXPECT_EQ(issues.items()[0].location, "Patient.contained[0]");
  EXPECT_EQ(issues.items()[0].line, 2u);
  EXPECT_EQ(issues.items()[1].message, "Unknown resource type 'Foo'");
  EXPECT_EQ(issues.items()[1].location, "Patient.contained[1]");
  EXPECT_EQ(issues.items()[2].message, "The element 'contained' must contain one resource");
  EXPECT_EQ(issues.items()[2].location, "Patient.contained[2]");
  EXPECT_EQ(issues.items()[3].message, "Text is not allowed in FHIR element 'contained' ('x')");
  EXPECT_EQ(doc->root()->childCount("contained"), 2u);
}

TEST(XmlReader, XmlFailFromTheValidatorSuite) {
  // Template text between elements, as in the validator suite's xml-fail.xml.
  Issues issues;
  auto doc = read(R"(<Bundle xmlns="http://hl7.org/fhir">
  <type value="collection"/> [%loop count=70%]
</Bundle>)",
                  issues);
  ASSERT_TRUE(doc);
  expectOneIssue(issues, Severity::Error,
                 "Text is not allowed in FHIR element 'Bundle' ('[%loop count=70%]')", "Bundle", 2,
                 29);
}

// ----------------------------------------------------------------------------------------------
// Reading: fatal input

TEST(XmlReader, MalformedXmlIsFatal) {
  Issues issues;
  EXPECT_FALSE(read(std::string(kOpen) + "\n  <active value=\"true\">\n</Patient>", issues));
  expectOneIssue(issues, Severity::Fatal, "Invalid XML: Tag mismatch", "", 3, 3);
}

TEST(XmlReader, EmptyInputIsFatal) {
  Issues issues;
  EXPECT_FALSE(read("", issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, Severity::Fatal);
}

TEST(XmlReader, UndefinedEntityIsFatal) {
  Issues issues;
  EXPECT_FALSE(read(std::string(kOpen) + "<active value=\"&nbsp;\"/></Patient>", issues));
  expectOneIssue(issues, Severity::Fatal, "Invalid XML: Undefined entity", "", 1, 38);
}

TEST(XmlReader, DoctypeIsRejected) {
  Issues issues;
  EXPECT_FALSE(read(std::string("<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE Patient SYSTEM "
                                "\"file:///etc/passwd\">\n") +
                        kOpen + "<active value=\"true\"/></Patient>",
                    issues));
  expectOneIssue(issues, Severity::Fatal,
                 "DOCTYPE and DTD declarations are not allowed in FHIR XML", "", 1, 1);
  EXPECT_EQ(issues.items()[0].code, IssueType::Security);
}

TEST(XmlReader, EntityExpansionBombIsRejected) {
  std::string text = "<?xml version=\"1.0\"?>\n<!DOCTYPE Patient [\n <!ENTITY a0 \"lol\">\n";
  for (int i = 1; i < 10; ++i) {
    text += " <!ENTITY a" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) text += "&a" + std::to_string(i - 1) + ";";
    text += "\">\n";
  }
  text += "]>\n" + std::string(kOpen) + "<name><family value=\"&a9;\"/></name></Patient>";
  Issues issues;
  EXPECT_FALSE(read(text, issues));
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues.items()[0].severity, Severity::Fatal);
  EXPECT_EQ(issues.items()[0].code, IssueType::Security);
}

TEST(XmlReader, Utf16IsRejected) {
  Issues issues;
  const std::string text("\xFF\xFE<\0P\0", 6);
  EXPECT_FALSE(read(text, issues));
  expectOneIssue(issues, Severity::Fatal, "XML must be encoded in UTF-8", "", 1, 1);
}

TEST(XmlReader, UnknownRootTypeIsFatal) {
  Issues issues;
  EXPECT_FALSE(read(R"(<Patien xmlns="http://hl7.org/fhir"/>)", issues));
  expectOneIssue(issues, Severity::Fatal, "Unknown resource type 'Patien'", "", 1, 1);
  Issues abstract;
  EXPECT_FALSE(read(R"(<DomainResource xmlns="http://hl7.org/fhir"/>)", abstract));
  expectOneIssue(abstract, Severity::Fatal, "Unknown resource type 'DomainResource'", "", 1, 1);
  Issues datatype;
  EXPECT_FALSE(read(R"(<HumanName xmlns="http://hl7.org/fhir"/>)", datatype));
  expectOneIssue(datatype, Severity::Fatal, "Unknown resource type 'HumanName'", "", 1, 1);
}

TEST(XmlReader, RootOutsideTheFhirNamespaceIsFatal) {
  Issues issues;
  EXPECT_FALSE(read("<Patient><active value=\"true\"/></Patient>", issues));
  expectOneIssue(issues, Severity::Fatal,
                 "The root element 'Patient' must be in the FHIR namespace 'http://hl7.org/fhir' "
                 "(it has no namespace)",
                 "", 1, 1);
}

TEST(XmlReader, SizeLimit) {
  Issues issues;
  ReadOptions options;
  options.maxBytes = 10;
  EXPECT_FALSE(read(std::string(kOpen) + "</Patient>", issues, options));
  expectOneIssue(issues, Severity::Fatal, "Input is 47 bytes; the limit is 10", "", 0, 0);
  EXPECT_EQ(issues.items()[0].code, IssueType::TooLong);
}

TEST(XmlReader, DepthLimit) {
  ReadOptions options;
  options.maxDepth = 3;
  Issues ok;
  EXPECT_TRUE(
      read(std::string(kOpen) + "<name><family value=\"F\"/></name></Patient>", ok, options))
      << describe(ok);
  Issues issues;
  EXPECT_FALSE(read(std::string(kOpen) +
                        "<name><extension url=\"u\"><valueString value=\"x\"/></extension></name>"
                        "</Patient>",
                    issues, options));
  expectOneIssue(issues, Severity::Fatal, "XML nesting is deeper than 3", "", 1, 63);
}

TEST(XmlReader, DeepNestingDoesNotCrash) {
  std::string text = kOpen;
  for (int i = 0; i < 100000; ++i) text += "<extension url=\"u\">";
  Issues issues;
  EXPECT_FALSE(read(text, issues));  // the depth limit comes before the unclosed elements
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues.items()[0].message, "XML nesting is deeper than 128");
  EXPECT_EQ(issues.items()[0].column, 38u + 127u * 19u);
}

TEST(XmlReader, HostileInputsNeverCrash) {
  const std::vector<std::string> inputs = {
      "<",
      "<?xml",
      "<!--",
      "<!DOCTYPE",
      "<!doctype x>",
      "\xEF\xBB\xBF",
      std::string(kOpen),
      std::string(kOpen) + "<text><div xmlns=\"http://www.w3.org/1999/xhtml\">",
      std::string(kOpen) + "<contained><contained>",
      std::string(kOpen) + "<name><given value=\"\xFF\"/></name></Patient>",
      std::string(kOpen) + "</Patient></Patient>",
      std::string(kOpen) + "<active value='true' value='false'/></Patient>",
      std::string(kOpen) + "<x:active value='true'/></Patient>",
      std::string(kOpen) + "&#0;</Patient>",
      std::string(kOpen) + "]]></Patient>",
  };
  for (const std::string& input : inputs) {
    Issues issues;
    auto doc = read(input, issues);
    EXPECT_FALSE(issues.empty()) << input;
    if (doc) {
      EXPECT_NE(doc->root(), nullptr);
    }
  }
}

// ----------------------------------------------------------------------------------------------
// Writing

TEST(XmlWriter, PrettyWithAttributesValuesAndWrappers) {
  Issues issues;
  auto doc = read(R"(<Patient xmlns="http://hl7.org/fhir"><id value="p"/><contained><Organization>)"
                  R"(<name value="A"/></Organization></contained><birthDate id="b" )"
                  R"(value="1970"><extension url="u"><valueString value="x"/></extension>)"
                  R"(</birthDate></Patient>)",
                  issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_EQ(writeXml(*doc->root()), R"(<Patient xmlns="http://hl7.org/fhir">
  <id value="p"/>
  <contained>
    <Organization>
      <name value="A"/>
    </Organization>
  </contained>
  <birthDate id="b" value="1970">
    <extension url="u">
      <valueString value="x"/>
    </extension>
  </birthDate>
</Patient>
)");
  EXPECT_EQ(writeXml(*doc->root(), {.pretty = false, .xmlDeclaration = true}),
            R"(<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir">)"
            R"(<id value="p"/><contained><Organization><name value="A"/></Organization>)"
            R"(</contained><birthDate id="b" value="1970"><extension url="u">)"
            R"(<valueString value="x"/></extension></birthDate></Patient>)");
}

TEST(XmlWriter, EscapesAttributeValues) {
  Document doc(r4());
  Element* p = doc.createResource("Patient");
  Element* name = doc.add(p, "name");
  doc.addPrimitive(name, "family", "a&b<c>\"d'\te\nf\rg\x01h");
  EXPECT_EQ(writeXml(*p, {.pretty = false}),
            "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"a&amp;b&lt;c&gt;&quot;"
            "d'&#9;e&#10;f&#13;g\xEF\xBF\xBDh\"/></name></Patient>");
  // ... and the escaped text reads back to the same value (but for the character XML cannot hold).
  Issues issues;
  auto back = read(writeXml(*p), issues);
  ASSERT_TRUE(back) << describe(issues);
  EXPECT_EQ(back->root()->child("name")->child("family")->value(),
            "a&b<c>\"d'\te\nf\rg\xEF\xBF\xBDh");
}

TEST(XmlWriter, DivIsWrittenAsItsXhtml) {
  Document doc(r4());
  Element* p = doc.createResource("Patient");
  Element* text = doc.add(p, "text");
  doc.addPrimitive(text, "status", "generated");
  doc.addPrimitive(text, "div", "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a<br/>b</p></div>");
  EXPECT_EQ(writeXml(*p), R"(<Patient xmlns="http://hl7.org/fhir">
  <text>
    <status value="generated"/>
    <div xmlns="http://www.w3.org/1999/xhtml"><p>a<br/>b</p></div>
  </text>
</Patient>
)");
  Document bare(r4());
  Element* q = bare.createResource("Patient");
  Element* t = bare.add(q, "text");
  bare.addPrimitive(t, "status", "generated");
  bare.addPrimitive(t, "div", "<div class=\"x\">y</div>");
  EXPECT_EQ(writeXml(*q, {.pretty = false}),
            "<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/>"
            "<div xmlns=\"http://www.w3.org/1999/xhtml\" class=\"x\">y</div></text></Patient>");
}

TEST(XmlWriter, PrefixedDivIsKeptAndMalformedDivBecomesText) {
  Issues issues;
  auto doc =
      read(R"(<Patient xmlns="http://hl7.org/fhir" xmlns:h="http://www.w3.org/1999/xhtml">)"
           R"(<text><status value="generated"/><h:div><h:p>x</h:p></h:div></text></Patient>)",
           issues);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_EQ(
      writeXml(*doc->root(), {.pretty = false}),
      "<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/>"
      "<h:div xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:p>x</h:p></h:div></text></Patient>");

  // A JSON div need not be well-formed; the XML written must be, whatever the div holds.
  Document bad(r4());
  Element* p = bad.createResource("Patient");
  Element* t = bad.add(p, "text");
  bad.addPrimitive(t, "status", "generated");
  bad.addPrimitive(t, "div", "<div xmlns=\"http://www.w3.org/1999/xhtml\">a<br>b &nbsp;</div>");
  const std::string xml = writeXml(*p, {.pretty = false});
  EXPECT_EQ(xml,
            "<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/>"
            "<div xmlns=\"http://www.w3.org/1999/xhtml\">&lt;div xmlns=&quot;http://www.w3.org/"
            "1999/xhtml&quot;&gt;a&lt;br&gt;b &amp;nbsp;&lt;/div&gt;</div></text></Patient>");
  Issues again;
  EXPECT_TRUE(read(xml, again)) << describe(again);
  EXPECT_TRUE(again.empty()) << describe(again);
}

TEST(XmlWriter, DatatypeRootIsNamedAfterItsType) {
  Issues issues;
  ReadOptions options;
  options.rootType = "HumanName";
  auto doc =
      read(R"(<name xmlns="http://hl7.org/fhir"><family value="F"/></name>)", issues, options);
  ASSERT_TRUE(doc) << describe(issues);
  EXPECT_EQ(writeXml(*doc->root(), {.pretty = false}),
            R"(<HumanName xmlns="http://hl7.org/fhir"><family value="F"/></HumanName>)");
}

TEST(XmlXhtml, NormalizeXhtml) {
  std::string out;
  std::string error;
  ASSERT_TRUE(
      normalizeXhtml("<div xmlns='http://www.w3.org/1999/xhtml'><br></br>&#x41;\r\n"
                     "<!-- c --></div>",
                     out, error))
      << error;
  EXPECT_EQ(out, "<div xmlns=\"http://www.w3.org/1999/xhtml\"><br/>A\n</div>");
  EXPECT_FALSE(normalizeXhtml("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p></div>", out, error));
  EXPECT_EQ(error, "Invalid XHTML: Tag mismatch at line 1, column 48");
  EXPECT_FALSE(normalizeXhtml("<div>x</div>", out, error));
  EXPECT_EQ(error,
            "The XHTML must be a <div> element in the namespace "
            "'http://www.w3.org/1999/xhtml'");
}

// ----------------------------------------------------------------------------------------------
// Round trip XML -> JSON -> XML over the conformance suites, compared as XML infosets.
//
// Two documents have the same infoset here when their elements have the same namespace and
// local name, the same attributes (namespace, local name, value; in any order), and the same
// children, where:
//  - comments and processing instructions are ignored (they are not part of the FHIR model);
//  - outside the XHTML, whitespace-only text is ignored (it is formatting);
//  - inside the XHTML (Narrative.div), text is compared exactly, adjacent text and CDATA
//    merged into one text node: no whitespace normalisation is applied;
//  - namespace declarations are not attributes and prefixes do not matter;
//  - xsi:* attributes outside the XHTML (xsi:schemaLocation) are ignored: schema hints, not part
//    of the FHIR model.

using Poco::XML::Node;

bool isXhtml(const Node* n) { return n->namespaceURI() == kXhtmlNamespace; }

std::string describeNode(const Node* n) { return "{" + n->namespaceURI() + "}" + n->localName(); }

// The children that matter: elements, and text (adjacent text and CDATA merged) as nullptr
// entries whose content is appended to `texts` in order.
std::vector<const Node*> significantChildren(const Node* e, bool xhtml,
                                             std::vector<std::string>& texts) {
  std::vector<const Node*> out;
  std::string pending;
  bool inText = false;
  auto flush = [&] {
    if (inText) {
      if (xhtml || !std::all_of(pending.begin(), pending.end(), [](char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r';
          })) {
        texts.push_back(pending);
        out.push_back(nullptr);  // a text node; its content is in texts, in order
      }
      pending.clear();
      inText = false;
    }
  };
  for (const Node* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
    switch (c->nodeType()) {
      case Node::TEXT_NODE:
      case Node::CDATA_SECTION_NODE:
        pending += c->nodeValue();
        inText = true;
        break;
      case Node::ELEMENT_NODE:
        flush();
        out.push_back(c);
        break;
      default: break;  // comments, processing instructions
    }
  }
  flush();
  return out;
}

std::map<std::string, std::string> attributesOf(const Node* e, bool xhtml) {
  std::map<std::string, std::string> out;
  Poco::AutoPtr<Poco::XML::NamedNodeMap> attrs = e->attributes();
  if (attrs.isNull()) return out;
  for (unsigned long i = 0; i < attrs->length(); ++i) {
    const Node* a = attrs->item(i);
    const std::string& q = a->nodeName();
    if (q == "xmlns" || q.starts_with("xmlns:")) continue;
    if (a->namespaceURI() == "http://www.w3.org/2000/xmlns/") continue;
    if (!xhtml && a->namespaceURI() == "http://www.w3.org/2001/XMLSchema-instance") continue;
    out["{" + a->namespaceURI() + "}" + a->localName()] = a->nodeValue();
  }
  return out;
}

// Empty when a and b have the same infoset; else where they first differ.
std::string compareInfoset(const Node* a, const Node* b, const std::string& path, bool xhtml) {
  if (a->namespaceURI() != b->namespaceURI() || a->localName() != b->localName()) {
    return path + ": element " + describeNode(a) + " became " + describeNode(b);
  }
  xhtml = xhtml || isXhtml(a);
  const std::string here = path + "/" + a->localName();
  if (attributesOf(a, xhtml) != attributesOf(b, xhtml)) {
    std::string s = here + ": attributes differ:";
    for (const auto& [k, v] : attributesOf(a, xhtml)) s += " " + k + "=\"" + v + "\"";
    s += " became";
    for (const auto& [k, v] : attributesOf(b, xhtml)) s += " " + k + "=\"" + v + "\"";
    return s;
  }
  std::vector<std::string> textsA;
  std::vector<std::string> textsB;
  const auto ca = significantChildren(a, xhtml, textsA);
  const auto cb = significantChildren(b, xhtml, textsB);
  size_t ta = 0;
  size_t tb = 0;
  for (size_t i = 0; i < std::max(ca.size(), cb.size()); ++i) {
    if (i >= ca.size() || i >= cb.size()) {
      const Node* extra = i < ca.size() ? ca[i] : cb[i];
      return here + ": child " + std::to_string(i) + " " +
             (i < ca.size() ? "is missing after the round trip: " : "was added: ") +
             (extra == nullptr ? "text" : describeNode(extra));
    }
    if ((ca[i] == nullptr) != (cb[i] == nullptr)) {
      return here + ": child " + std::to_string(i) + " is text on one side only";
    }
    if (ca[i] == nullptr) {
      if (textsA[ta] != textsB[tb]) {
        return here + ": text \"" + textsA[ta] + "\" became \"" + textsB[tb] + "\"";
      }
      ++ta;
      ++tb;
      continue;
    }
    std::string d = compareInfoset(ca[i], cb[i], here, xhtml);
    if (!d.empty()) return d;
  }
  return {};
}

Poco::AutoPtr<Poco::XML::Document> parseDom(const std::string& text) {
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, true);
  return parser.parseString(text);
}

std::vector<std::filesystem::path> conformanceXmlFiles() {
  const std::filesystem::path root = std::filesystem::path(TB_TEST_DATA) / "conformance";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(root / "fhirpath" / "input")) {
    if (e.path().extension() == ".xml") files.push_back(e.path());
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(root / "validator")) {
    if (e.is_regular_file() && e.path().extension() == ".xml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Inputs that do not read without issues, by path under tests/data/conformance, and why. They
// are checked to still give issues (so that the list stays honest). Those that still give a
// document (the model leaves out what broke the rules, and puts elements out of order back in
// definition order) make the JSON trip too, compared with what writeXml makes of that document.
const std::map<std::string, std::string>& xmlRoundTripExceptions() {
  static const std::map<std::string, std::string> kExceptions = {
      {"fhirpath/input/observation-example.xml",
       "HL7 example error: Observation.extension comes after status, out of definition order; "
       "read with an error and written back in definition order"},
      {"validator/Observation-ex-pain.xml",
       "deliberately broken: an unknown attribute (status/@something) and valueInteger with a "
       "<value> child element instead of a value attribute"},
      {"validator/pat-security-bad-string2.xml",
       "deliberately broken (validator security case): a <script> element inside "
       "HumanName.text"},
      {"validator/patient-id-only.xml",
       "deliberately broken: implicitRules has an id but neither a value nor extensions"},
      {"validator/patient-min-length-profile.xml",
       "test file error: ElementDefinition.extension comes after path, out of definition order; "
       "read with an error and written back in definition order"},
      {"validator/xml-fail.xml",
       "deliberately broken: template text ([%loop count=70%]) between FHIR elements"},
  };
  return kExceptions;
}

// XML -> JSON -> XML for a document read from XML; the XML written at the end, or empty after
// a failure has been added.
std::string throughJson(const std::string& name, const Element& root) {
  const std::string json = writeJson(root);
  Issues issues;
  auto fromJson = readJson(json, r4(), issues);
  if (!fromJson || !issues.empty()) {
    ADD_FAILURE() << name << ": its JSON reads with issues:\n" << describe(issues) << json;
    return {};
  }
  return writeXml(*fromJson->root());
}

// Empty when `xml` has the same infoset as `expected`; else the difference.
std::string sameInfoset(const Poco::XML::Document& expected, const std::string& xml) {
  Poco::AutoPtr<Poco::XML::Document> result;
  try {
    result = parseDom(xml);
  } catch (const Poco::Exception& e) {
    return "the written XML is not well-formed: " + e.displayText() + "\n" + xml;
  }
  const std::string diff =
      compareInfoset(expected.documentElement(), result->documentElement(), "", false);
  return diff.empty() ? diff : "infoset differs at " + diff;
}

TEST(XmlRoundTrip, ConformanceXmlToJsonToXmlKeepsTheInfoset) {
  const std::filesystem::path base = std::filesystem::path(TB_TEST_DATA) / "conformance";
  const auto& exceptions = xmlRoundTripExceptions();
  size_t passed = 0;
  size_t excepted = 0;
  size_t notFhir = 0;
  std::set<std::string> seen;
  for (const auto& file : conformanceXmlFiles()) {
    const std::string name = std::filesystem::relative(file, base).generic_string();
    const std::string text = readFile(file);
    Poco::AutoPtr<Poco::XML::Document> original;
    try {
      original = parseDom(text);
    } catch (const Poco::Exception& e) {
      ADD_FAILURE() << name << ": not well-formed XML: " << e.displayText();
      continue;
    }
    if (original->documentElement() == nullptr ||
        original->documentElement()->namespaceURI() != kFhirNamespace) {
      ++notFhir;  // not a FHIR resource (no such file today)
      std::printf("[ not FHIR ] %s\n", name.c_str());
      continue;
    }
    Issues issues;
    auto doc = readXml(text, r4(), issues);
    const bool clean = doc && issues.empty();
    if (auto it = exceptions.find(name); it != exceptions.end()) {
      seen.insert(name);
      ++excepted;
      std::printf("[ exception ] %s: %s\n", name.c_str(), it->second.c_str());
      EXPECT_FALSE(clean) << name << " is listed as an exception (" << it->second
                          << ") but reads without issues";
      if (!doc) continue;
      const std::string modelXml = writeXml(*doc->root());
      const std::string xml = throughJson(name, *doc->root());
      if (xml.empty()) continue;
      const std::string diff = sameInfoset(*parseDom(modelXml), xml);
      EXPECT_TRUE(diff.empty()) << name << ": " << diff;
      continue;
    }
    if (!clean) {
      ADD_FAILURE() << name << ": read with issues:\n" << describe(issues);
      continue;
    }
    const std::string xml = throughJson(name, *doc->root());
    if (xml.empty()) continue;
    const std::string diff = sameInfoset(*original, xml);
    if (!diff.empty()) {
      ADD_FAILURE() << name << ": " << diff;
      continue;
    }
    ++passed;
  }
  for (const auto& [name, reason] : exceptions) {
    EXPECT_TRUE(seen.count(name)) << "listed exception " << name << " was not found";
  }
  std::printf("[ XML round trip ] %zu passed, %zu listed exceptions, %zu not FHIR\n", passed,
              excepted, notFhir);
  EXPECT_GT(passed, 100u);
}

// ----------------------------------------------------------------------------------------------
// Round trip JSON -> XML -> JSON over the R4 examples package, compared as JSON values.
//
// Objects compare member by member in any order; arrays in order; numbers by their text (and
// must stay numbers). A Narrative `div` compares as XHTML: both sides normalised by
// normalizeXhtml() (what readXml stores: comments dropped, line ends normalised by the XML
// parser, empty elements as <x/>, one escaping style), since the XML format carries the
// XHTML infoset, not its spelling.

std::string compareJson(const rapidjson::Value& a, const rapidjson::Value& b,
                        const std::string& path, size_t& divsRespelled) {
  if (a.GetType() != b.GetType()) return path + ": type differs";
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) {
      std::string s = path + ": members differ:";
      for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
        if (!b.HasMember(m->name)) s += " -" + std::string(m->name.GetString());
      }
      for (auto m = b.MemberBegin(); m != b.MemberEnd(); ++m) {
        if (!a.HasMember(m->name)) s += " +" + std::string(m->name.GetString());
      }
      return s;
    }
    for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
      auto n = b.FindMember(m->name);
      const std::string key = m->name.GetString();
      if (n == b.MemberEnd()) return path + ": member " + key + " is missing";
      if (key == "div" && m->value.IsString() && n->value.IsString()) {
        const std::string sa = m->value.GetString();
        const std::string sb = n->value.GetString();
        if (sa == sb) continue;
        std::string na;
        std::string nb;
        std::string error;
        if (!normalizeXhtml(sa, na, error)) return path + ".div: original XHTML: " + error;
        if (!normalizeXhtml(sb, nb, error)) return path + ".div: XHTML after the trip: " + error;
        if (na != nb) return path + ".div: \"" + na + "\" became \"" + nb + "\"";
        ++divsRespelled;
        continue;
      }
      std::string d = compareJson(m->value, n->value, path + "." + key, divsRespelled);
      if (!d.empty()) return d;
    }
    return {};
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return path + ": array size differs";
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      std::string d = compareJson(a[i], b[i], path + "[" + std::to_string(i) + "]", divsRespelled);
      if (!d.empty()) return d;
    }
    return {};
  }
  if (a != b) {
    if (a.IsString()) {
      return path + ": \"" + std::string(a.GetString()) + "\" became \"" + b.GetString() + "\"";
    }
    return path + ": value differs";
  }
  return {};
}

// Examples that do not survive, by file name in the package, and why.
const std::map<std::string, std::string>& jsonRoundTripExceptions() {
  static const std::map<std::string, std::string> kExceptions = {};
  return kExceptions;
}

TEST(XmlRoundTrip, R4ExamplesJsonToXmlToJsonKeepsTheValue) {
  const std::string path =
      std::string(TB_TEST_DATA) + "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz";
  auto package = conformance::openPackage(path);
  ASSERT_TRUE(package) << package.message();
  const auto& resources = (*package)->resources();
  const auto& exceptions = jsonRoundTripExceptions();
  size_t passed = 0;
  size_t excepted = 0;
  size_t divsRespelled = 0;
  std::set<std::string> failedNames;
  for (size_t i = 0; i < resources.size(); ++i) {
    const std::string name = std::filesystem::path(resources[i].file).filename().string();
    auto json = (*package)->json(i);
    if (!json) {
      ADD_FAILURE() << name << ": " << json.message();
      continue;
    }
    const bool listed = exceptions.count(name) > 0;
    auto fail = [&](const std::string& why) {
      failedNames.insert(name);
      if (!listed) ADD_FAILURE() << name << ": " << why;
    };
    Issues issues;
    auto doc = readJson(*json, r4(), issues);
    if (!doc || !issues.empty()) {
      fail("the JSON reads with issues:\n" + describe(issues));
      continue;
    }
    const std::string xml = writeXml(*doc->root());
    Issues xmlIssues;
    auto fromXml = readXml(xml, r4(), xmlIssues);
    if (!fromXml || !xmlIssues.empty()) {
      fail("its XML reads with issues:\n" + describe(xmlIssues) + xml);
      continue;
    }
    const std::string back = writeJson(*fromXml->root());
    rapidjson::Document a;
    rapidjson::Document b;
    a.Parse<rapidjson::kParseNumbersAsStringsFlag>(json->c_str());
    b.Parse<rapidjson::kParseNumbersAsStringsFlag>(back.c_str());
    rapidjson::Document ta;
    rapidjson::Document tb;
    ta.Parse(json->c_str());
    tb.Parse(back.c_str());
    if (a.HasParseError() || b.HasParseError() || ta.HasParseError() || tb.HasParseError()) {
      fail("JSON does not parse");
      continue;
    }
    size_t respelled = 0;
    std::string diff = compareJson(a, b, resources[i].resourceType, respelled);
    if (diff.empty()) diff = compareJson(ta, tb, resources[i].resourceType, respelled);
    if (!diff.empty()) {
      fail("differs at " + diff);
      continue;
    }
    divsRespelled += respelled / 2;  // each div is compared in both passes
    if (listed) continue;
    ++passed;
  }
  for (const auto& [name, reason] : exceptions) {
    EXPECT_TRUE(failedNames.count(name))
        << name << " is listed as an exception (" << reason << ") but survives the round trip";
    ++excepted;
  }
  std::printf("[ JSON round trip ] %zu of %zu passed, %zu listed exceptions, %zu divs respelled\n",
              passed, resources.size(), excepted, divsRespelled);
  EXPECT_GT(passed, 5000u);
}

}  // namespace
}  // namespace trialbridge::core
