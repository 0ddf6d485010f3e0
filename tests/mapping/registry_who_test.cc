// The WHO Trial Registration Data Set: all 24 items, in order, in JSON and XML, for every sample.
#include "mapping/registry_who.h"

#include <gtest/gtest.h>

#include "registry_test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

TEST(WhoDataSet, TwentyFourItemsInJsonForEverySample) {
  ASSERT_EQ(whoItemNames().size(), 24u);
  for (const auto& [name, record] : sampleRecords()) {
    rapidjson::Document d = parse(writeWhoJson(record));
    ASSERT_FALSE(d.HasParseError()) << name;
    EXPECT_EQ(str(at(d, "/version")), "1.3.1");
    ASSERT_TRUE(d["items"].IsArray());
    ASSERT_EQ(d["items"].Size(), 24u) << name;
    for (rapidjson::SizeType i = 0; i < 24; ++i) {
      EXPECT_EQ(d["items"][i]["item"].GetInt(), static_cast<int>(i) + 1);
      EXPECT_EQ(str(&d["items"][i]["name"]), whoItemNames()[i]);
      EXPECT_TRUE(d["items"][i].HasMember("value")) << name << " item " << i + 1;
    }
  }
}

TEST(WhoDataSet, TwentyFourItemsInXmlForEverySample) {
  for (const auto& [name, record] : sampleRecords()) {
    const std::string xml = writeWhoXml(record);
    size_t count = 0;
    for (size_t pos = xml.find("<item number=\""); pos != std::string::npos;
         pos = xml.find("<item number=\"", pos + 1)) {
      ++count;
      const std::string expected = "<item number=\"" + std::to_string(count) + "\" name=\"";
      EXPECT_EQ(xml.compare(pos, expected.size(), expected), 0) << name << " item " << count;
    }
    EXPECT_EQ(count, 24u) << name;
  }
}

TEST(WhoDataSet, ItemsOfARealRecord) {
  rapidjson::Document d =
      parse(writeWhoJson(ctgovRecord("tests/data/clinicaltrials-gov/NCT02513394.json")));
  EXPECT_EQ(str(at(d, "/items/0/value/id")), "NCT02513394");
  EXPECT_EQ(str(at(d, "/items/1/value")), "2015-07-29");
  EXPECT_EQ(str(at(d, "/items/4/value")), "Alliance Foundation Trials, LLC.");
  EXPECT_EQ(str(at(d, "/items/8/value/acronym")), "PALLAS");
  EXPECT_EQ(str(at(d, "/items/10/value/0")), "United States");
  EXPECT_EQ(str(at(d, "/items/14/value/allocation")), "Randomized");
  EXPECT_EQ(str(at(d, "/items/14/value/phase")), "Phase 3");
  EXPECT_EQ(str(at(d, "/items/16/value/actual")), "5796");
  EXPECT_EQ(str(at(d, "/items/17/value")), "Other");  // active, not recruiting
  EXPECT_EQ(str(at(d, "/items/18/value/0/measure")), "Invasive Disease Free Survival (iDFS)");
  EXPECT_TRUE(at(d, "/items/20/value")->IsNull());  // ethics review: not in the record
  EXPECT_EQ(str(at(d, "/items/22/value/resultsPosted")), "Yes");
  // The XML has the same: the ethics review is marked missing.
  const std::string xml =
      writeWhoXml(ctgovRecord("tests/data/clinicaltrials-gov/NCT02513394.json"));
  EXPECT_NE(xml.find("<item number=\"21\" name=\"Ethics Review\" missing=\"true\"/>"),
            std::string::npos);
}

TEST(WhoDataSet, WithoutAnNctNumberTheFirstRegistrysNumber) {
  rapidjson::Document d = parse(writeWhoJson(trialRecord("samples/trials/tbx101-fih-01.json")));
  EXPECT_EQ(str(at(d, "/items/0/value/registry")), "EU Clinical Trials Information System");
  EXPECT_EQ(str(at(d, "/items/0/value/id")), "2099-500123-41-00");
  EXPECT_EQ(str(at(d, "/items/17/value")), "Pending");  // not yet recruiting
}

}  // namespace
}  // namespace trialbridge::mapping
