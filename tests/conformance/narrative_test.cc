// conformance/narrative.h: the allow-list of the narrative XHTML rules (shared by the validator
// and FHIRPath's htmlChecks()) and the checks that read it.
#include "conformance/narrative.h"

#include <gtest/gtest.h>

namespace trialbridge::conformance {
namespace {

constexpr std::string_view kOpen = R"(<div xmlns="http://www.w3.org/1999/xhtml">)";

std::vector<std::string> problemsOf(std::string_view inner) {
  std::vector<std::string> problems;
  const bool ok = checkNarrativeXhtml(std::string(kOpen) + std::string(inner) + "</div>", problems);
  EXPECT_EQ(ok, problems.empty());
  return problems;
}

TEST(Narrative, AllowListElements) {
  for (const char* name : {"p",   "div",  "span",       "b",  "i",  "em",  "strong", "table",  "tr",
                           "td",  "th",   "ul",         "ol", "li", "img", "a",      "br",     "hr",
                           "pre", "code", "blockquote", "h1", "h6", "sub", "sup",    "xhtml:p"}) {
    EXPECT_TRUE(isNarrativeElement(name)) << name;
  }
  for (const char* name :
       {"script", "form", "input", "iframe", "object", "embed", "style", "link", "base", "head",
        "body", "html", "frame", "applet", "u", "font", "center", "svg:svg", ""}) {
    EXPECT_FALSE(isNarrativeElement(name)) << name;
  }
}

TEST(Narrative, AllowListAttributes) {
  for (const char* name :
       {"href", "src", "alt", "title", "class", "style", "id", "lang", "xml:lang", "colspan",
        "rowspan", "width", "xmlns", "xmlns:xhtml", "xmlns:anything"}) {
    EXPECT_TRUE(isNarrativeAttribute(name)) << name;
  }
  for (const char* name :
       {"onclick", "onload", "onmouseover", "formaction", "action", "srcdoc", "xmlns2", ""}) {
    EXPECT_FALSE(isNarrativeAttribute(name)) << name;
  }
}

TEST(Narrative, ReportsEachProblemWithItsPlace) {
  EXPECT_TRUE(problemsOf("<p class=\"x\">Hi <b>there</b><img src=\"#a\" alt=\"a\"/></p>").empty());
  EXPECT_EQ(problemsOf("<script>alert(1)</script>"),
            std::vector<std::string>{"Illegal element name in the XHTML ('script')"});
  EXPECT_EQ(problemsOf("<p onclick=\"x()\">a</p>"),
            std::vector<std::string>{"Illegal attribute name in the XHTML ('onclick' on 'p')"});
  EXPECT_EQ(problemsOf("<img src=\"JavaScript:x()\"/>"),
            std::vector<std::string>{"Script URLs are not allowed in the XHTML ('src' on 'img')"});
  EXPECT_EQ(problemsOf("<a href=\"JAVASCRIPT:x()\">a</a>"),
            std::vector<std::string>{"Script URLs are not allowed in the XHTML ('href' on 'a')"});
  // Names are compared in lower case; two problems in one tag are both reported.
  EXPECT_EQ(
      problemsOf("<IFRAME OnLoad='x()'></IFRAME>"),
      (std::vector<std::string>{"Illegal element name in the XHTML ('iframe')",
                                "Illegal attribute name in the XHTML ('onload' on 'iframe')"}));
  // Comments and processing instructions are not elements.
  EXPECT_TRUE(problemsOf("<!-- <script> --><?pi x?>text").empty());
}

TEST(Narrative, TheRootIsADiv) {
  std::vector<std::string> problems;
  EXPECT_FALSE(checkNarrativeXhtml("<p xmlns=\"http://www.w3.org/1999/xhtml\">a</p>", problems));
  EXPECT_EQ(problems, std::vector<std::string>{"The narrative must be a <div> element, not <p>"});
  problems.clear();
  EXPECT_TRUE(
      checkNarrativeXhtml("<xhtml:div xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">a"
                          "</xhtml:div>",
                          problems));
}

TEST(Narrative, TextThatIsNotWellFormedIsReadToItsEnd) {
  std::vector<std::string> problems;
  for (const char* text :
       {"<div", "<div><", "<div><p a=\"", "<div><!--", "<div></", "<div><p a=", "<", ""}) {
    checkNarrativeXhtml(text, problems);  // no crash, no read past the end (ASan)
  }
  problems.clear();
  EXPECT_FALSE(checkNarrativeXhtml("<div><script", problems));
  EXPECT_EQ(problems, std::vector<std::string>{"Illegal element name in the XHTML ('script')"});
}

TEST(Narrative, Content) {
  EXPECT_TRUE(xhtmlHasContent(std::string(kOpen) + "a</div>"));
  EXPECT_TRUE(xhtmlHasContent(std::string(kOpen) + "<img src=\"#a\"/></div>"));
  EXPECT_FALSE(xhtmlHasContent(std::string(kOpen) + " \n\t </div>"));
  EXPECT_FALSE(xhtmlHasContent(std::string(kOpen) + "<p> </p><br/></div>"));
  EXPECT_FALSE(xhtmlHasContent(""));
}

}  // namespace
}  // namespace trialbridge::conformance
