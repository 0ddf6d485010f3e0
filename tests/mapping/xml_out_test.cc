// The plain XML writer of the registry formats: escaping, and always well-formed output.
#include "mapping/xml_out.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace trialbridge::mapping {
namespace {

TEST(XmlOut, EscapesTextAndAttributes) {
  XmlOut x;
  x.open("a", {{"title", "\"x\" & <y>\n"}});
  x.leaf("b", "1 < 2 & \"3\" > 0\tok\n");
  x.leaf("empty", "");
  x.empty("c", {{"n", "1"}});
  x.close();
  EXPECT_EQ(x.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<a title=\"&quot;x&quot; &amp; &lt;y&gt;&#10;\">\n"
            "  <b>1 &lt; 2 &amp; \"3\" &gt; 0\tok\n</b>\n"
            "  <c n=\"1\"/>\n"
            "</a>\n");
}

TEST(XmlOut, CharactersXmlCannotCarryBecomeReplacements) {
  XmlOut x;
  x.leaf("a", std::string("bell\x07 nul", 9) + std::string(1, '\0'));
  EXPECT_EQ(
      x.finish(),
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>bell\xEF\xBF\xBD nul\xEF\xBF\xBD</a>\n");
}

TEST(XmlOut, UnbalancedIsAProgrammingError) {
  XmlOut x;
  x.open("a");
  EXPECT_THROW(x.finish(), std::logic_error);
  XmlOut y;
  EXPECT_THROW(y.close(), std::logic_error);
}

}  // namespace
}  // namespace trialbridge::mapping
