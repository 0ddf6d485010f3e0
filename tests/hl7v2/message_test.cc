#include "hl7v2/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_messages.h"

namespace trialbridge::hl7v2 {
namespace {

using test::oruMessage;
using test::segments;

// Parses a copy of text that the Message keeps.
Message parseOk(std::string text, core::Issues* out = nullptr) {
  core::Issues issues;
  std::optional<Message> m = parseMessage(std::move(text), issues);
  if (!m) throw std::runtime_error("did not parse");
  for (const core::Issue& i : issues.items()) {
    if (out == nullptr) ADD_FAILURE() << i.location << ": " << i.message;
  }
  if (out != nullptr) out->append(issues);
  return std::move(*m);
}

bool hasError(const core::Issues& issues, std::string_view location, std::string_view words) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error && i.location == location &&
        i.message.find(words) != std::string::npos)
      return true;
  }
  return false;
}

TEST(Message, LocatesSegmentsAndFields) {
  const std::string text = oruMessage();
  const Message m = parseOk(text);
  ASSERT_EQ(m.segmentCount(), 9u);
  EXPECT_EQ(m.segment(1).id(), "PID");
  EXPECT_EQ(m.messageType(), "ORU");
  EXPECT_EQ(m.triggerEvent(), "R01");
  EXPECT_EQ(m.controlId(), "MSG00001");
  EXPECT_EQ(m.version(), "2.5.1");
  const Segment pid = *m.find("PID");
  EXPECT_EQ(pid.number(), 2u);
  EXPECT_EQ(pid.field(3).component(1).text(), "MRN0048213");
  EXPECT_EQ(pid.field(3).component(4).subcomponent(2).text(), "2.16.156.99999.1");
  EXPECT_EQ(pid.field(5).component(2).text(), "Li");
  EXPECT_EQ(pid.fieldCount(), 8u);
  EXPECT_TRUE(pid.field(30).empty());
}

TEST(Message, HeaderFieldsAreNumberedFromTheSeparator) {
  const Message m = parseOk(oruMessage());
  const Segment msh = m.header();
  EXPECT_EQ(msh.field(1).raw(), "|");
  EXPECT_EQ(msh.field(2).raw(), "^~\\&");
  // MSH-2 is not split nor decoded.
  EXPECT_EQ(msh.field(2).text(), "^~\\&");
  EXPECT_EQ(msh.field(2).componentCount(), 1u);
  EXPECT_EQ(msh.field(3).text(), "LAB");
  EXPECT_EQ(msh.field(18).text(), "UNICODE UTF-8");
  EXPECT_EQ(msh.fieldCount(), 18u);
}

TEST(Message, ValuesPointIntoTheTextWhenNothingIsConverted) {
  const std::string text = oruMessage();
  core::Issues issues;
  const Message m = *parseMessage(std::string_view(text), issues);
  EXPECT_FALSE(m.ownsText());
  const Value v = m.find("OBX")->field(5);
  EXPECT_EQ(v.raw(), "45");
  EXPECT_EQ(v.raw().data(), text.data() + text.find("|45|") + 1);
  EXPECT_EQ(v.offset(), text.find("|45|") + 1);
}

TEST(Message, CustomDelimiters) {
  const std::string text = segments({
      "MSH!@*$%!LAB!TAIXIN!!!20250312!!ORU@R01!C1!P!2.5.1",
      "PID!1!!A1@@@AUTH%1.2.3*B2@@@OTHER!!Doe@Jane",
      "OBX!1!ST!X@Text@L!!pipe | caret ^ $F$ $S$ $E$",
  });
  const Message m = parseOk(text);
  EXPECT_EQ(m.encoding().field, '!');
  EXPECT_EQ(m.encoding().component, '@');
  EXPECT_EQ(m.encoding().repetition, '*');
  EXPECT_EQ(m.encoding().escape, '$');
  EXPECT_EQ(m.encoding().subcomponent, '%');
  EXPECT_EQ(m.triggerEvent(), "R01");
  const Value ids = m.find("PID")->field(3);
  ASSERT_EQ(ids.repetitionCount(), 2u);
  EXPECT_EQ(ids.repetition(1).component(4).subcomponent(2).text(), "1.2.3");
  EXPECT_EQ(ids.repetition(2).component(1).text(), "B2");
  // The standard delimiters are plain characters in this message.
  EXPECT_EQ(m.find("OBX")->field(5).text(), "pipe | caret ^ ! @ $");
}

TEST(Message, TruncationCharacterOfV27) {
  const Message m = parseOk(segments({"MSH|^~\\&#|LAB||||20250312||ORU^R01|C1|P|2.7"}));
  EXPECT_EQ(m.encoding().truncation, '#');
  EXPECT_EQ(m.header().field(2).raw(), "^~\\&#");
  EXPECT_EQ(m.header().field(3).text(), "LAB");
}

TEST(Message, RepetitionsComponentsSubcomponents) {
  const Message m =
      parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "ZXX|a~b^c&d&e~|x^^y"}));
  const Value f1 = m.find("ZXX")->field(1);
  ASSERT_EQ(f1.repetitionCount(), 3u);
  EXPECT_EQ(f1.repetition(1).text(), "a");
  EXPECT_EQ(f1.repetition(2).componentCount(), 2u);
  EXPECT_EQ(f1.repetition(2).component(2).subcomponentCount(), 3u);
  EXPECT_EQ(f1.repetition(2).component(2).subcomponent(3).text(), "e");
  EXPECT_TRUE(f1.repetition(3).empty());
  EXPECT_TRUE(f1.repetition(4).empty());
  const Value f2 = m.find("ZXX")->field(2);
  EXPECT_EQ(f2.componentCount(), 3u);
  EXPECT_TRUE(f2.component(2).empty());
  EXPECT_EQ(f2.component(3).text(), "y");
  EXPECT_EQ(f2.component(3).location().component, 3u);
}

// Two Values are the same part of the message: the same bytes at the same place, at the same
// level and location.
void expectSameValue(const Value& a, const Value& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.raw(), b.raw());
  EXPECT_EQ(a.offset(), b.offset());
  EXPECT_EQ(a.level(), b.level());
  EXPECT_EQ(formatLocation(a.location()), formatLocation(b.location()));
  EXPECT_EQ(a.text(), b.text());
}

TEST(Message, PartsAreTheComponentsAndSubcomponentsSplitOnce) {
  const Message m = parseOk(segments(
      {"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "ZXX|a^b&c&d^^e~f^g|x&y^z|plain|^^|"}));
  const Segment z = *m.find("ZXX");
  for (size_t f = 1; f <= 6; ++f) {
    const Value field = z.field(f);
    std::vector<Value> values{field, field.repetition(1), field.repetition(2), field.component(2),
                              field.component(2).subcomponent(2)};
    for (size_t i = 0; i < values.size(); ++i) {
      const Value& v = values[i];
      const Parts parts(v);
      const Parts subparts(v, true);
      for (size_t n = 0; n <= 6; ++n) {
        const std::string at = "field " + std::to_string(f) + " value " + std::to_string(i) +
                               " part " + std::to_string(n);
        expectSameValue(parts.part(n), v.component(n), at);
        expectSameValue(subparts.part(n), v.subcomponent(n), at + " (sub)");
      }
    }
  }
  // The first repetition's components, not the field split at its repetitions too.
  const Parts parts(z.field(1));
  EXPECT_EQ(parts.part(1).raw(), "a");
  EXPECT_EQ(parts.part(2).raw(), "b&c&d");
  EXPECT_TRUE(parts.part(3).empty());
  EXPECT_EQ(parts.part(4).raw(), "e");
  EXPECT_EQ(parts.part(4).location().component, 4u);
  EXPECT_TRUE(parts.part(5).empty());
  EXPECT_EQ(parts.part(5).offset(), z.field(1).repetition(2).offset() - 1);  // at the '~'
  // A component's subcomponents.
  const Parts subs(z.field(1).component(2), true);
  EXPECT_EQ(subs.part(1).raw(), "b");
  EXPECT_EQ(subs.part(3).raw(), "d");
  EXPECT_EQ(subs.part(3).location().subcomponent, 3u);
  // MSH-1 and MSH-2 are never split.
  const Parts delimiters(m.header().field(2));
  EXPECT_EQ(delimiters.part(1).raw(), "^~\\&");
  EXPECT_TRUE(delimiters.part(2).empty());
}

TEST(Message, PartsPastTheOnesKeptAreStillFound) {
  std::string many = "ZXX|";
  for (int i = 1; i <= 40; ++i) many += (i > 1 ? "^" : "") + std::to_string(i);
  const Message m = parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", many}));
  const Value field = m.find("ZXX")->field(1);
  const Parts parts(field);
  for (size_t n = 1; n <= 42; ++n) {
    expectSameValue(parts.part(n), field.component(n), "part " + std::to_string(n));
  }
  EXPECT_EQ(parts.part(40).text(), "40");
  EXPECT_TRUE(parts.part(41).empty());
}

TEST(Message, DeeperLevelsOfASimpleValue) {
  const Message m =
      parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "PID||||||||F"}));
  const Value sex = m.find("PID")->field(8);
  EXPECT_EQ(sex.component(1).text(), "F");
  EXPECT_EQ(sex.component(1).subcomponent(1).text(), "F");
  EXPECT_TRUE(sex.component(2).empty());
  EXPECT_TRUE(sex.component(1).subcomponent(2).empty());
  EXPECT_EQ(sex.repetitionCount(), 1u);
}

TEST(Message, EmptyIsNotNull) {
  const Message m =
      parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "PID|1||\"\"|||x^\"\""}));
  const Segment pid = *m.find("PID");
  EXPECT_TRUE(pid.field(2).empty());
  EXPECT_FALSE(pid.field(2).isNull());
  EXPECT_FALSE(pid.field(2).hasValue());
  EXPECT_TRUE(pid.field(3).isNull());
  EXPECT_FALSE(pid.field(3).empty());
  EXPECT_FALSE(pid.field(3).hasValue());
  EXPECT_EQ(pid.field(3).text(), "");
  EXPECT_TRUE(pid.field(6).component(2).isNull());
  EXPECT_TRUE(pid.field(6).component(1).hasValue());
}

TEST(Message, SegmentTerminators) {
  for (const std::string& terminator :
       {std::string("\r"), std::string("\n"), std::string("\r\n")}) {
    const Message m = parseOk(oruMessage(terminator));
    EXPECT_EQ(m.segmentCount(), 9u) << int(terminator[0]);
    EXPECT_EQ(m.find("OBX", 2)->field(5).text(), "128");
    EXPECT_EQ(m.find("SPM")->raw(), "SPM|1|SP1||119297000^Blood specimen^SCT");
  }
  // No terminator after the last segment, blank lines, and leading line breaks.
  std::string text = "\r\n" + oruMessage();
  text.insert(text.find("PV1"), "\r\r\n");
  text.pop_back();
  const Message m = parseOk(text);
  EXPECT_EQ(m.segmentCount(), 9u);
  EXPECT_EQ(m.find("SPM")->field(4).component(2).text(), "Blood specimen");
}

TEST(Message, ZSegmentsAreKept) {
  const Message m = parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1",
                                      "ZPI|1|trial^NCT06813157", "PID|1", "ZPI|2"}));
  ASSERT_EQ(m.segmentCount(), 4u);
  EXPECT_EQ(m.find("ZPI", 2)->field(1).text(), "2");
  EXPECT_EQ(m.find("ZPI", 2)->occurrence(), 2u);
  EXPECT_EQ(m.find("ZPI")->field(2).component(2).text(), "NCT06813157");
  EXPECT_FALSE(m.find("ZPI", 3));
}

TEST(Message, EscapesAreDecodedOnAccess) {
  const Message m = parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1",
                                      "OBX|1|FT|X^^L||Line 1\\.br\\A\\T\\B \\F\\ 5\\S\\6"}));
  const Value v = m.find("OBX")->field(5);
  EXPECT_EQ(v.raw(), "Line 1\\.br\\A\\T\\B \\F\\ 5\\S\\6");
  EXPECT_EQ(v.text(), "Line 1\nA&B | 5^6");
  // An escaped component separator does not split.
  EXPECT_EQ(v.componentCount(), 1u);
}

TEST(Message, EscapeWarningsNameTheField) {
  const Message m =
      parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "OBX|1|ST|X^^L||a\\Q\\b"}));
  core::Issues issues;
  EXPECT_EQ(m.find("OBX")->field(5).text(&issues), "a\\Q\\b");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].location, "OBX-5");
  EXPECT_EQ(issues.items()[0].line, 2u);
}

TEST(Message, ByteOrderMarkIsSkipped) {
  const Message m = parseOk("\xEF\xBB\xBF" + oruMessage());
  EXPECT_EQ(m.controlId(), "MSG00001");
}

TEST(Message, Locate) {
  const std::string text = oruMessage();
  const Message m = parseOk(text);
  const Location at = m.locate(text.find("|45|") + 2);
  EXPECT_EQ(at.segment, "OBX");
  EXPECT_EQ(at.field, 5u);
  EXPECT_EQ(at.segmentNumber, 6u);
  EXPECT_EQ(m.locate(2).segment, "MSH");
}

// ---- Errors -----------------------------------------------------------------------------------

TEST(MessageErrors, NoMshIsFatal) {
  for (const std::string& text :
       {std::string(), std::string("PID|1\r"), std::string("  MSH|^~\\&|"), std::string("MSH"),
        std::string("MSH|^~")}) {
    core::Issues issues;
    EXPECT_FALSE(parseMessage(text, issues)) << text;
    ASSERT_FALSE(issues.empty()) << text;
    EXPECT_EQ(issues.items()[0].severity, core::Severity::Fatal);
  }
}

TEST(MessageErrors, MalformedDelimiters) {
  for (const char* msh :
       {"MSH|^~\\|A", "MSH|^~\\&&|A", "MSH|^~|&|A", "MSH|abcd|A", "MSH ^~\\&|A", "MSH|^~\\&#!|A"}) {
    core::Issues issues;
    EXPECT_FALSE(parseMessage(std::string(msh) + "\r", issues)) << msh;
    ASSERT_FALSE(issues.empty()) << msh;
    EXPECT_TRUE(issues.items()[0].location == "MSH-1" || issues.items()[0].location == "MSH-2")
        << msh << ": " << issues.items()[0].location;
  }
}

TEST(MessageErrors, BadSegmentIdNamesSegmentAndByte) {
  const std::string text =
      segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "OBX|1|TX|X^^L||first line",
                "second line of the same field", "NTE|1"});
  core::Issues issues;
  const Message m = parseOk(text, &issues);
  EXPECT_EQ(m.segmentCount(), 3u);  // the bad line is left out
  ASSERT_EQ(issues.size(), 1u);
  const core::Issue& i = issues.items()[0];
  EXPECT_EQ(i.severity, core::Severity::Error);
  EXPECT_EQ(i.line, 3u);
  EXPECT_EQ(i.column, text.find("second") + 1);
  EXPECT_NE(i.message.find("segment id"), std::string::npos);
  EXPECT_EQ(m.find("NTE")->number(), 4u);
}

TEST(MessageErrors, ASecondMshIsAnError) {
  core::Issues issues;
  parseOk(oruMessage() + oruMessage(), &issues);
  EXPECT_TRUE(hasError(issues, "MSH[2]", "more than one message"));
}

TEST(MessageLimits, Size) {
  Limits limits;
  limits.maxBytes = 100;
  core::Issues issues;
  EXPECT_FALSE(parseMessage(oruMessage(), issues, limits));
  EXPECT_EQ(issues.items()[0].code, core::IssueType::TooLong);
  EXPECT_NE(issues.items()[0].message.find("limit is 100"), std::string::npos);
}

TEST(MessageLimits, Segments) {
  Limits limits;
  limits.maxSegments = 5;
  core::Issues issues;
  EXPECT_FALSE(parseMessage(oruMessage(), issues, limits));
  EXPECT_EQ(issues.items()[0].code, core::IssueType::TooCostly);
}

TEST(MessageLimits, Fields) {
  Limits limits;
  limits.maxFields = 10;
  core::Issues issues;
  std::optional<Message> m = parseMessage(oruMessage(), issues, limits);
  ASSERT_TRUE(m);
  EXPECT_TRUE(hasError(issues, "MSH", "limit is 10"));
  EXPECT_TRUE(hasError(issues, "OBR", "limit is 10"));
  EXPECT_EQ(m->find("OBR")->fieldCount(), 10u);
}

TEST(MessageLimits, Repetitions) {
  Limits limits;
  limits.maxRepetitions = 3;
  core::Issues issues;
  std::optional<Message> m = parseMessage(
      segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "PID|1||a~b~c|x", "PID|2||a~b~c~d"}),
      issues, limits);
  ASSERT_TRUE(m);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].location, "PID[2]-3");
  EXPECT_NE(issues.items()[0].message.find("repeats 4 times"), std::string::npos);
}

// ---- Character sets ---------------------------------------------------------------------------

std::string withCharset(const std::string& charset, const std::string& name) {
  return segments(
      {"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1||||||" + charset, "PID|1||X||" + name});
}

TEST(MessageCharset, Latin1IsConvertedToUtf8) {
  const Message m = parseOk(withCharset("8859/1", "M\xFCller^Ren\xE9"));
  EXPECT_TRUE(m.ownsText());
  EXPECT_EQ(m.encoding().charset, Charset::Latin1);
  EXPECT_EQ(m.find("PID")->field(5).component(1).text(), "M\xC3\xBCller");
  EXPECT_EQ(m.find("PID")->field(5).component(2).text(), "Ren\xC3\xA9");
}

TEST(MessageCharset, Utf8) {
  const std::string text = withCharset("UNICODE UTF-8", "\xE7\x8E\x8B^\xE4\xB8\xBD");
  core::Issues issues;
  const Message m = *parseMessage(std::string_view(text), issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_FALSE(m.ownsText());
  EXPECT_EQ(m.find("PID")->field(5).component(1).text(), "\xE7\x8E\x8B");
}

TEST(MessageCharset, IllFormedUtf8IsAnErrorAndReplaced) {
  core::Issues issues;
  const std::string text = withCharset("UNICODE UTF-8", "M\xFCller");
  const Message m = parseOk(text, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Error);
  EXPECT_EQ(issues.items()[0].location, "PID-5");
  EXPECT_EQ(issues.items()[0].column, text.find('\xFC') + 1);
  EXPECT_EQ(m.find("PID")->field(5).text(), "M?ller");
}

TEST(MessageCharset, UndeclaredUtf8IsReadWithAWarning) {
  core::Issues issues;
  const Message m = parseOk(withCharset("", "Ren\xC3\xA9"), &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Warning);
  EXPECT_EQ(m.find("PID")->field(5).text(), "Ren\xC3\xA9");
}

TEST(MessageCharset, UndeclaredLatin1IsAnError) {
  core::Issues issues;
  parseOk(withCharset("ASCII", "Ren\xE9"), &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Error);
  EXPECT_NE(issues.items()[0].message.find("8859/1"), std::string::npos);
}

TEST(MessageCharset, UnknownCharsetIsNotSupported) {
  core::Issues issues;
  parseOk(withCharset("UNICODE UTF-16", "Doe"), &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].code, core::IssueType::NotSupported);
  EXPECT_EQ(issues.items()[0].location, "MSH-18");
}

TEST(MessageErrors, ControlCharactersAreErrorsAndReplaced) {
  core::Issues issues;
  const std::string text = segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1",
                                     std::string("PID|1||X||Do") + '\x01' + '\0' + "e"});
  const Message m = parseOk(text, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Error);
  EXPECT_EQ(issues.items()[0].location, "PID-5");
  EXPECT_NE(issues.items()[0].message.find("control character"), std::string::npos);
  EXPECT_EQ(m.find("PID")->field(5).text(), "Do??e");
  // Tab is text.
  core::Issues none;
  parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "NTE|1||a\tb"}), &none);
  EXPECT_TRUE(none.empty());
}

TEST(MessageErrors, AControlCharacterOrDeleteIsFoundAtEveryPlace) {
  // Text is checked eight bytes at a time: a control character in each place of a word, and in
  // the bytes after the last whole word, is still found.
  for (const char control : {'\x01', '\x1f', '\x7f', '\x0b'}) {
    for (size_t at = 0; at < 19; ++at) {
      std::string value(19, 'a');
      value[at] = control;
      core::Issues issues;
      const Message m = parseOk(
          segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "NTE|1||" + value}), &issues);
      ASSERT_EQ(issues.size(), 1u) << static_cast<int>(control) << " at " << at;
      EXPECT_EQ(issues.items()[0].location, "NTE-3");
      std::string replaced = value;
      replaced[at] = '?';
      EXPECT_EQ(m.find("NTE")->field(3).text(), replaced);
    }
  }
  // Nothing else is: tab, CR and LF, '~' (0x7e) and ' ' (0x20) are text or terminators.
  core::Issues none;
  parseOk(segments({"MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.5.1", "NTE|1||a\tb c~ ~d"}), &none);
  EXPECT_TRUE(none.empty());
}

TEST(MessageCharset, OnlyTheFirstRepetitionOfMsh18Counts) {
  const Message m = parseOk(withCharset("8859/1~ISO IR87", "Ren\xE9"));
  EXPECT_EQ(m.encoding().charset, Charset::Latin1);
}

}  // namespace
}  // namespace trialbridge::hl7v2
