#include "validation/xhtml.h"

#include <gtest/gtest.h>

namespace trialbridge::validation {
namespace {

TEST(Xhtml, AllowsBasicHtml) {
  std::vector<std::string> p;
  EXPECT_TRUE(checkNarrativeXhtml(
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p class=\"x\">Hi <b>there</b></p>"
      "<table><tr><td colspan=\"2\">1</td></tr></table><img src=\"#pic\" alt=\"a\"/></div>",
      p))
      << p.front();
}

TEST(Xhtml, RejectsScriptsAndEventsAndUnknownElements) {
  std::vector<std::string> p;
  EXPECT_FALSE(checkNarrativeXhtml(
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>", p));
  EXPECT_FALSE(checkNarrativeXhtml(
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x()\">a</p></div>", p));
  EXPECT_FALSE(checkNarrativeXhtml(
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"javascript:x()\">a</a></div>", p));
  EXPECT_FALSE(checkNarrativeXhtml("<p xmlns=\"http://www.w3.org/1999/xhtml\">a</p>", p));
  EXPECT_EQ(p.size(), 4u);
}

TEST(Xhtml, LooksLikeHtml) {
  EXPECT_TRUE(looksLikeHtml("a <b>bold</b> move"));
  EXPECT_FALSE(looksLikeHtml("a < b and c > d"));
}

}  // namespace
}  // namespace trialbridge::validation
