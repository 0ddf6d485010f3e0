#include "hl7v2/escape.h"

#include <gtest/gtest.h>

namespace trialbridge::hl7v2 {
namespace {

std::string decode(std::string_view raw, core::Issues* issues = nullptr,
                   const Encoding& enc = Encoding{}) {
  return unescape(raw, enc, issues);
}

TEST(Unescape, DelimiterSequences) {
  EXPECT_EQ(decode("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f"), "a|b^c&d~e\\f");
}

TEST(Unescape, UsesTheMessagesOwnDelimiters) {
  Encoding custom;
  custom.field = '!';
  custom.component = '@';
  custom.repetition = '*';
  custom.escape = '$';
  custom.subcomponent = '%';
  EXPECT_EQ(decode("1$F$2$S$3$T$4$R$5$E$6", nullptr, custom), "1!2@3%4*5$6");
  // The standard escape character is just a character here.
  EXPECT_EQ(decode("C:\\dir", nullptr, custom), "C:\\dir");
}

TEST(Unescape, TruncationOnlyWhenDeclared) {
  Encoding e;
  core::Issues issues;
  EXPECT_EQ(decode("a\\P\\b", &issues), "a\\P\\b");
  EXPECT_EQ(issues.size(), 1u);
  e.truncation = '#';
  EXPECT_EQ(decode("a\\P\\b", nullptr, e), "a#b");
}

TEST(Unescape, Hexadecimal) {
  EXPECT_EQ(decode("\\X41\\\\X4243\\"), "ABC");
  EXPECT_EQ(decode("caf\\XC3A9\\"), "caf\xC3\xA9");
  EXPECT_EQ(decode("line\\X0D0A\\next"), "line\r\nnext");
}

TEST(Unescape, HexadecimalInLatin1IsConverted) {
  Encoding e;
  e.charset = Charset::Latin1;
  EXPECT_EQ(decode("caf\\XE9\\", nullptr, e), "caf\xC3\xA9");
}

TEST(Unescape, HexadecimalThatIsNotUtf8IsReplaced) {
  core::Issues issues;
  EXPECT_EQ(decode("caf\\XE9\\", &issues), "caf\xEF\xBF\xBD");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Warning);
}

TEST(Unescape, HexadecimalControlCharactersAreReplaced) {
  core::Issues issues;
  EXPECT_EQ(decode("a\\X0009000D0A\\b", &issues), "a\xEF\xBF\xBD\t\xEF\xBF\xBD\r\nb");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Warning);
}

TEST(Unescape, MalformedHexadecimalStaysAsWritten) {
  core::Issues issues;
  EXPECT_EQ(decode("a\\X4\\b", &issues), "a\\X4\\b");
  EXPECT_EQ(decode("a\\XZZ\\b", &issues), "a\\XZZ\\b");
  EXPECT_EQ(decode("a\\X\\b", &issues), "a\\X\\b");
  EXPECT_EQ(issues.size(), 3u);
}

TEST(Unescape, FormattingCommands) {
  EXPECT_EQ(decode("one\\.br\\two"), "one\ntwo");
  EXPECT_EQ(decode("a\\.sp\\b"), "a\nb");
  EXPECT_EQ(decode("a\\.sp 3\\b"), "a\n\n\nb");
  EXPECT_EQ(decode("a\\.sp2\\b"), "a\n\nb");
  EXPECT_EQ(decode("\\.ce\\Title"), "\nTitle");
  EXPECT_EQ(decode("a\\.in+4\\b\\.ti-2\\c\\.sk 3\\d\\.fi\\e\\.nf\\f"), "abcdef");
  // One command cannot make the text explode.
  EXPECT_EQ(decode("\\.sp 99999\\").size(), 100u);
}

TEST(Unescape, HighlightingGivesNoText) {
  EXPECT_EQ(decode("\\H\\HIGH\\N\\ normal"), "HIGH normal");
}

TEST(Unescape, LocalAndCharsetSequencesAreDroppedWithAWarning) {
  core::Issues issues;
  EXPECT_EQ(decode("a\\Z1234\\b", &issues), "ab");
  EXPECT_EQ(decode("a\\C2842\\b\\M2442\\c", &issues), "abc");
  EXPECT_EQ(issues.size(), 3u);
}

TEST(Unescape, UnknownAndUnclosedSequencesStayAsWritten) {
  core::Issues issues;
  // A Windows path sent without escaping: \temp\ is no known sequence.
  EXPECT_EQ(decode("C:\\temp\\file.txt", &issues), "C:\\temp\\file.txt");
  EXPECT_EQ(decode("50\\", &issues), "50\\");
  EXPECT_EQ(decode("a\\\\b", &issues), "a\\\\b");  // an empty sequence
  EXPECT_EQ(issues.size(), 3u);
  for (const core::Issue& i : issues.items()) EXPECT_EQ(i.severity, core::Severity::Warning);
}

TEST(Unescape, WarningsNameTheLocationAndOffset) {
  Location at;
  at.segment = "OBX";
  at.field = 5;
  at.segmentNumber = 4;
  at.offset = 100;
  core::Issues issues;
  unescape("ab\\Q\\", Encoding{}, &issues, &at);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].location, "OBX-5");
  EXPECT_EQ(issues.items()[0].line, 4u);
  EXPECT_EQ(issues.items()[0].column, 103u);  // offset 102, 1-based
}

TEST(Escape, RoundTripsThroughUnescape) {
  const std::string text = "a|b^c&d~e\\f\nnext";
  const std::string escaped = escape(text, Encoding{});
  EXPECT_EQ(escaped, "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\next");
  EXPECT_EQ(decode(escaped), text);
}

TEST(Escape, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(escape(std::string("a\tb\x01"
                               "c",
                               5),
                   Encoding{}),
            "a b c");
  EXPECT_EQ(escape("a\r\nb", Encoding{}), "a\\.br\\b");
}

}  // namespace
}  // namespace trialbridge::hl7v2
