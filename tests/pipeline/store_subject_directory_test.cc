// The subject directory over the store, on both backends: the reference trial and two of its
// sample subjects loaded through the pipeline, then found by pseudonym, with their doses and
// earlier results.
#include "pipeline/store_subject_directory.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "core/json.h"
#include "mapping/trial_mapping.h"
#include "pg_cluster.h"
#include "pipeline/pipeline.h"
#include "study/entity_reader.h"
#include "study/ids.h"
#include "study/trial_reader.h"

namespace trialbridge::pipeline {
namespace store_subject_directory_test {

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const study::Trial& trial(const char* file = "samples/trials/NCT06813157.json") {
  static std::map<std::string, study::Trial> trials;
  auto it = trials.find(file);
  if (it == trials.end()) {
    core::Issues issues;
    it = trials.emplace(file, *study::readTrial(source(file), issues)).first;
  }
  return it->second;
}

const mapping::Pseudonymizer& pseudonymizer() {
  static const mapping::Pseudonymizer p = *mapping::Pseudonymizer::fromFile(
      std::string(TB_SOURCE_ROOT) + "/samples/entities/demo.secret");
  return p;
}

// ITP-0003's medical record number, as the hospital sends it.
std::string itp3() {
  return pseudonymizer().pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0050102");
}

class StoreSubjectDirectoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.backend = GetParam();
    if (GetParam() == "postgresql") {
      auto& pg = testing::PgCluster::shared();
      ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
      o.database = pg.createDatabase();
    } else {
      char tmpl[] = "/tmp/tb-directory-test.XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      o.database = dir_ + "/store.db";
    }
    auto r = store::openStore(o);
    ASSERT_TRUE(r) << r.message();
    store_ = std::move(r.value());
    pipeline_ = std::make_unique<Pipeline>(*store_, nullptr, Config{});
    options_.validation = ValidationPolicy::None;
    directory_ = std::make_unique<StoreSubjectDirectory>(*store_);
    load();
  }
  void TearDown() override {
    directory_.reset();
    pipeline_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void load() {
    std::vector<study::Entity> entities;
    for (const char* f : {"samples/entities/nct06813157-subject-itp-0001.json",
                          "samples/entities/nct06813157-subject-itp-0003.json"}) {
      core::Issues issues;
      entities.push_back(*study::readEntity(source(f), trial(), issues));
    }
    mapping::MapOptions m;
    m.pseudonymizer = pseudonymizer();
    auto bundle = mapping::mapTrial(trial(), entities, m, store_->types());
    ASSERT_TRUE(bundle) << bundle.message();
    Result r = pipeline_->apply(Change::bundle(std::move(bundle.value())), options_);
    ASSERT_TRUE(r.ok()) << statusName(r.status);
  }

  // Creates the resource, at its id when it has one.
  void create(std::string_view json, std::string_view id = {}) {
    core::Issues issues;
    auto doc = core::readJson(json, store_->types(), issues);
    ASSERT_NE(doc, nullptr) << json;
    std::string type(doc->root()->type().name);
    Result r = pipeline_->apply(id.empty() ? Change::create(std::move(doc))
                                           : Change::update(type, std::string(id), std::move(doc)),
                                options_);
    ASSERT_TRUE(r.ok()) << statusName(r.status) << " " << json;
  }

  // A platelet count (or another test) of ITP-0003.
  void result(const char* code, const char* time, const char* value, const char* status = "final") {
    create(std::string(R"({"resourceType": "Observation", "status": ")") + status +
           R"(", "code": {"coding": [{"system": "http://loinc.org", "code": ")" + code +
           R"("}]}, "subject": {"reference": "Patient/nct06813157-pt-ITP-0003"},
              "effectiveDateTime": ")" +
           time + R"(", "valueQuantity": {"value": )" + value +
           R"(, "system": "http://unitsofmeasure.org", "code": "10*9/L"}})");
  }

  study::DirectoryEntry found() {
    auto f = directory_->findByPseudonym(trial(), itp3());
    EXPECT_TRUE(f) << f.message();
    EXPECT_TRUE(f && f->has_value());
    return f && f->has_value() ? **f : study::DirectoryEntry{};
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<StoreSubjectDirectory> directory_;
  Options options_;
};

TEST_P(StoreSubjectDirectoryTest, FindsASubjectByItsPseudonym) {
  study::DirectoryEntry e = found();
  const study::SubjectRecord& s = e.record;
  EXPECT_EQ(e.patient, "Patient/nct06813157-pt-ITP-0003");
  EXPECT_EQ(e.researchSubject, "ResearchSubject/nct06813157-rs-ITP-0003");
  EXPECT_EQ(s.subjectId, "ITP-0003");
  EXPECT_EQ(s.screeningNumber, "S-004");
  EXPECT_EQ(s.status, "follow-up");
  EXPECT_EQ(s.arm, "msc-arm");
  EXPECT_EQ(s.enrollmentDate, "2024-11-15");
  ASSERT_TRUE(s.consent);
  EXPECT_EQ(s.consent->date, "2024-11-04");
  EXPECT_EQ(s.sex, "male");
  EXPECT_EQ(s.birthDate, "2015");  // the reference trial stores the year of birth only
  ASSERT_EQ(s.history.size(), 3u);
  EXPECT_EQ(s.history[2].reason, "Fifth infusion given");
  // The store keeps no hospital number: the record has none.
  EXPECT_TRUE(s.hospitalIdentifiers.empty());
}

TEST_P(StoreSubjectDirectoryTest, AnUnknownPseudonymIsNoSubject) {
  auto none = directory_->findByPseudonym(trial(), std::string(64, 'a'));
  ASSERT_TRUE(none) << none.message();
  EXPECT_FALSE(none->has_value());
  // ITP-0003's other hospital number is not the one its pseudonym is made from.
  auto other = directory_->findByPseudonym(
      trial(), pseudonymizer().pseudonym("urn:oid:2.16.156.99999.2", "440-1973-0098"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
  // Nor is it a subject of another trial.
  auto elsewhere = directory_->findByPseudonym(trial("samples/trials/tbx101-fih-01.json"), itp3());
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(elsewhere->has_value());
}

TEST_P(StoreSubjectDirectoryTest, TwoSubjectsWithOnePseudonymAreAnError) {
  create(R"({"resourceType": "Patient", "id": "dup", "identifier": [{"system": ")" +
             study::ids::pseudonymSystem(trial()) + R"(", "value": ")" + itp3() + R"("}]})",
         "dup");
  create(R"({"resourceType": "ResearchSubject", "status": "on-study",
             "study": {"reference": "ResearchStudy/nct06813157"},
             "individual": {"reference": "Patient/dup"}})");
  auto f = directory_->findByPseudonym(trial(), itp3());
  ASSERT_FALSE(f);
  EXPECT_NE(f.message().find("2 subjects of nct06813157 share one pseudonym"), std::string::npos)
      << f.message();
  EXPECT_EQ(f.message().find(itp3()), std::string::npos);  // the message does not repeat it
}

TEST_P(StoreSubjectDirectoryTest, TheDosesInTimeOrder) {
  study::DirectoryEntry e = found();
  auto doses = directory_->doses(trial(), e);
  ASSERT_TRUE(doses) << doses.message();
  ASSERT_EQ(doses->size(), 5u);
  EXPECT_EQ((*doses)[0].timepoint, "inf-1");
  EXPECT_EQ((*doses)[4].timepoint, "inf-5");
  EXPECT_EQ((*doses)[4].time.seconds, study::parseInstant("2025-01-06T09:30+08:00")->seconds);
  // A dose written later over REST joins them, and the plan follows the actual times.
  study::SubjectEvents events = study::subjectEvents(e.record);
  events.doses = *doses;
  study::VisitPlan plan = study::VisitPlan::compute(trial(), events);
  EXPECT_EQ(*plan.find("fu-m1")->nominal, study::parseInstant("2025-02-06T09:30+08:00")->seconds);
}

TEST_P(StoreSubjectDirectoryTest, EarlierResultsOfATest) {
  result("777-3", "2024-11-17T08:00:00+08:00", "12");
  result("26515-7", "2024-12-02T08:00:00+08:00", "35");  // another code of the same analyte
  result("777-3", "2024-12-09T08:00:00+08:00", "48");
  result("777-3", "2024-12-10T08:00:00+08:00", "999", "entered-in-error");
  result("1742-6", "2024-12-09T08:00:00+08:00", "30");  // ALT: not asked for
  study::DirectoryEntry e = found();
  const std::vector<study::Coding> platelets =
      study::testCodes({"Platelets", {{"http://loinc.org", "777-3", "", ""}}});
  auto all = directory_->results(trial(), e, platelets);
  ASSERT_TRUE(all) << all.message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(*(*all)[0].value, 12);
  EXPECT_EQ((*all)[1].code, "26515-7");
  EXPECT_EQ(*(*all)[2].value, 48);
  EXPECT_EQ((*all)[2].unit, "10*9/L");
  auto recent = directory_->results(trial(), e, platelets,
                                    study::parseInstant("2024-12-01T00:00:00Z")->seconds);
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->size(), 2u);
  // Before a time (the baseline's question): the latest of those before it.
  auto before = directory_->results(trial(), e, platelets, study::kNoLowerBound, 1,
                                    study::parseInstant("2024-12-09T00:00:00Z")->seconds);
  ASSERT_TRUE(before) << before.message();
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ(before->at(0).code, "26515-7");
  auto latest = directory_->results(trial(), e, platelets, study::kNoLowerBound, 1);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ(latest->at(0).source.rfind("Observation/", 0), 0u);
  EXPECT_TRUE(directory_->results(trial(), e, {})->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSubjectDirectoryTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace store_subject_directory_test
}  // namespace trialbridge::pipeline
