// The ResearchStudy parts the trial mapper and the registry import share: ages, criteria text,
// codes (the FHIR they write is checked by the study mapper and round-trip tests).
#include "mapping/study_elements.h"

#include <gtest/gtest.h>

namespace trialbridge::mapping::elements {
namespace {

TEST(StudyElements, AgesAsClinicalTrialsGovWritesThem) {
  EXPECT_EQ(ageText({"18", "a"}), "18 Years");
  EXPECT_EQ(ageText({"1", "a"}), "1 Year");
  EXPECT_EQ(ageText({"6", "mo"}), "6 Months");
  EXPECT_EQ(ageText({"28", "d"}), "28 Days");
  ASSERT_TRUE(parseAge("18 Years"));
  EXPECT_EQ(parseAge("18 Years")->unit, "a");
  EXPECT_EQ(parseAge("1 Year")->value, "1");
  EXPECT_EQ(parseAge("12 Hours")->unit, "h");
  EXPECT_EQ(parseAge("30 Minutes")->unit, "min");
  for (const char* bad : {"N/A", "18", "Years", "18 years", "-1 Years", "1.5 Years", "01 Year",
                          "18  Years", " 18 Years", ""}) {
    EXPECT_FALSE(parseAge(bad)) << bad;
  }
}

TEST(StudyElements, CriteriaTextBothWays) {
  const std::string text = criteriaText({"Adult", "Consent"}, {"Pregnant"});
  EXPECT_EQ(text, "Inclusion Criteria:\n\n* Adult\n* Consent\n\nExclusion Criteria:\n\n* Pregnant");
  std::vector<std::string> inc, exc;
  splitCriteria(text, inc, exc);
  EXPECT_EQ(inc, (std::vector<std::string>{"Adult", "Consent"}));
  EXPECT_EQ(exc, std::vector<std::string>{"Pregnant"});
  EXPECT_EQ(criteriaText(inc, exc), text);
  // Other text (a paragraph between the bullets) is not an item: the caller keeps the text.
  inc.clear();
  exc.clear();
  splitCriteria("Inclusion Criteria:\n\n* A\n\nA note.\n\n* B\r\n", inc, exc);
  EXPECT_EQ(inc, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(criteriaText({}, {}), "");
  EXPECT_EQ(criteriaText({}, {"X"}), "Exclusion Criteria:\n\n* X");
}

TEST(StudyElements, Codes) {
  EXPECT_EQ(localCode("OTHER_GOV"), "other-gov");
  EXPECT_EQ(ctgovCode("other-gov"), "OTHER_GOV");
  EXPECT_EQ(ctgovCode(localCode("ACTIVE_COMPARATOR")), "ACTIVE_COMPARATOR");
}

}  // namespace
}  // namespace trialbridge::mapping::elements
