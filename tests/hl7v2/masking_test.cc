#include "hl7v2/masking.h"

#include <gtest/gtest.h>

namespace trialbridge::hl7v2 {
namespace {

// An ORU^R01 with every kind of personal field the rule names.
const char* const kMessage =
    "MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ORU^R01|CTRL-1|P|2.5.1\r"
    "PID|1|ALT9|MRN123^^^HOSP^MR~NHS999^^^NHS^NH||Doe^Jane^Q||19800101|F|Smith^J|2106-3|"
    "1 Main St^^Springfield^^12345||^PRN^PH^^^555^1234567|^WPN^PH^^^555^7654321|en|M|CHR|"
    "ACC77^^^HOSP^AN|123-45-6789|D1234567|MOM1^^^HOSP^MR|H|Springfield\r"
    "NK1|1|Doe^John|SPO^Spouse|1 Main St^^Springfield|^PRN^PH^^^555^1111111\r"
    "PV1|1|O|WARD1||||1234^Welby^Marcus||||||||||||VN555|||||||||||||||||||||||||||||||AV9\r"
    "ORC|RE|PL1|FL1\r"
    "OBR|1|PL1|FL1|777-3^PLT^LN|||20250301070000||||||Jane Doe reports bruising\r"
    "OBX|1|NM|777-3^PLT^LN||45|10*9/L|150-400|L|||F\r"
    "OBX|2|TX|8251-1^Note^LN||Patient Jane Doe seen||||||F\r"
    "NTE|1|L|call Jane on 555-1234567\r"
    "ZPI|1|Doe^Jane|secret\r";

std::vector<ShownSegment> shown() {
  core::Issues issues;
  auto m = parseMessage(std::string(kMessage), issues);
  EXPECT_TRUE(m.has_value());
  return m ? pseudonymousSegments(*m) : std::vector<ShownSegment>{};
}

const ShownField* fieldOf(const std::vector<ShownSegment>& segs, const std::string& id,
                          uint32_t occurrence, uint32_t n) {
  for (const ShownSegment& s : segs) {
    if (s.id != id || s.occurrence != occurrence) continue;
    for (const ShownField& f : s.fields) {
      if (f.number == n) return &f;
    }
  }
  return nullptr;
}

TEST(Masking, NoNameIdentifierAddressPhoneOrBirthDateIsLeft) {
  const auto segs = shown();
  ASSERT_EQ(segs.size(), 10u);
  for (const ShownSegment& s : segs) {
    for (const ShownField& f : s.fields) {
      for (const char* personal :
           {"Doe",     "Jane",    "John",        "MRN123",   "NHS999", "ALT9",  "19800101",
            "Main St", "1234567", "123-45-6789", "D1234567", "MOM1",   "ACC77", "VN555",
            "AV9",     "Smith",   "Springfield", "secret",   "2106-3", "CHR"}) {
        EXPECT_EQ(f.value.find(personal), std::string::npos)
            << s.id << "-" << f.number << " shows " << f.value;
      }
    }
  }
}

TEST(Masking, IdentifiersKeepTheirAuthorityAndType) {
  const auto segs = shown();
  const ShownField* pid3 = fieldOf(segs, "PID", 1, 3);
  ASSERT_NE(pid3, nullptr);
  EXPECT_EQ(pid3->value, "***^^^HOSP^MR~***^^^NHS^NH");
  EXPECT_TRUE(pid3->masked);
  EXPECT_EQ(fieldOf(segs, "PID", 1, 5)->value, "***^***^***");
  EXPECT_EQ(fieldOf(segs, "PID", 1, 4)->value, "");  // empty stays empty
  EXPECT_FALSE(fieldOf(segs, "PID", 1, 4)->masked);
}

TEST(Masking, ResultsCodesOrdersAndSexAreShown) {
  const auto segs = shown();
  EXPECT_EQ(fieldOf(segs, "MSH", 1, 9)->value, "ORU^R01");
  EXPECT_EQ(fieldOf(segs, "MSH", 1, 1)->value, "|");
  EXPECT_EQ(fieldOf(segs, "MSH", 1, 2)->value, "^~\\&");
  EXPECT_EQ(fieldOf(segs, "PID", 1, 1)->value, "1");
  EXPECT_EQ(fieldOf(segs, "PID", 1, 8)->value, "F");
  EXPECT_EQ(fieldOf(segs, "OBX", 1, 5)->value, "45");
  EXPECT_FALSE(fieldOf(segs, "OBX", 1, 5)->masked);
  EXPECT_EQ(fieldOf(segs, "OBX", 1, 3)->value, "777-3^PLT^LN");
  EXPECT_EQ(fieldOf(segs, "OBR", 1, 4)->value, "777-3^PLT^LN");
  EXPECT_EQ(fieldOf(segs, "ORC", 1, 2)->value, "PL1");
  EXPECT_EQ(fieldOf(segs, "PV1", 1, 3)->value, "WARD1");
  // Free text may quote a name: masked.
  EXPECT_TRUE(fieldOf(segs, "OBX", 2, 5)->masked);
  EXPECT_TRUE(fieldOf(segs, "OBR", 1, 13)->masked);
  EXPECT_TRUE(fieldOf(segs, "NTE", 1, 3)->masked);
  // Unknown and personal segments: the set id only.
  EXPECT_EQ(fieldOf(segs, "NK1", 1, 1)->value, "1");
  EXPECT_TRUE(fieldOf(segs, "NK1", 1, 3)->masked);
  EXPECT_TRUE(fieldOf(segs, "ZPI", 1, 2)->masked);
}

TEST(Masking, TheRuleByField) {
  EXPECT_EQ(fieldRule("PID", 7), FieldRule::Mask);
  EXPECT_EQ(fieldRule("PID", 11), FieldRule::Mask);
  EXPECT_EQ(fieldRule("PID", 19), FieldRule::Mask);
  EXPECT_EQ(fieldRule("PID", 3), FieldRule::MaskButAuthority);
  EXPECT_EQ(fieldRule("PID", 8), FieldRule::Show);
  EXPECT_EQ(fieldRule("NK1", 2), FieldRule::Mask);
  EXPECT_EQ(fieldRule("GT1", 3), FieldRule::Mask);
  EXPECT_EQ(fieldRule("IN1", 16), FieldRule::Mask);
  EXPECT_EQ(fieldRule("ZXY", 1), FieldRule::Show);
  EXPECT_EQ(fieldRule("OBX", 5, "NM"), FieldRule::Show);
  EXPECT_EQ(fieldRule("OBX", 5, "FT"), FieldRule::Mask);
  // Only types that cannot carry free text are shown; strings, people, identifiers and an
  // unknown or missing type are masked.
  for (const char* shownType : {"SN", "DT", "DTM", "TS", "CWE", "CE", "CNE", "ID", "IS"}) {
    EXPECT_EQ(fieldRule("OBX", 5, shownType), FieldRule::Show) << shownType;
  }
  for (const char* maskedType : {"ST", "TX", "ED", "XPN", "XAD", "CX", "RP", "", "ZZ"}) {
    EXPECT_EQ(fieldRule("OBX", 5, maskedType), FieldRule::Mask) << maskedType;
  }
  EXPECT_EQ(fieldRule("PV1", 19), FieldRule::Mask);
  EXPECT_EQ(fieldRule("OBR", 4), FieldRule::Show);
}

TEST(Masking, LongValuesAreCutAtACharacterBoundaryAndSegmentsLimited) {
  std::string m =
      "MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ORU^R01|C|P|2.5.1|||||||UNICODE UTF-8\r";
  m += "OBX|1|CWE|X^Y^L||" + std::string(199, 'a') + "\xC3\xA9" + "zzz||||||F\r";
  for (int i = 0; i < 10; ++i) m += "NTE|" + std::to_string(i + 1) + "\r";
  core::Issues issues;
  auto msg = parseMessage(std::string(m), issues);
  ASSERT_TRUE(msg);
  ShowLimits limits;
  limits.maxSegments = 5;
  const auto segs = pseudonymousSegments(*msg, limits);
  ASSERT_EQ(segs.size(), 5u);
  const ShownField* v = fieldOf(segs, "OBX", 1, 5);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->truncated);
  EXPECT_EQ(v->value, std::string(199, 'a'));  // the two-byte character is not split
}

}  // namespace
}  // namespace trialbridge::hl7v2
