#include "service/trial_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "conformance/profiles.h"
#include "conformance/profiles_package.h"
#include "store/search_parameters.h"
#include "study/trial_reader.h"
#include "validation/validator.h"

namespace trialbridge::service {
namespace {

TEST(TrialLoader, MapsAndStoresATrialAsOneTransaction) {
  auto context = conformance::Context::withCore();
  context->addPackage(conformance::profilesPackage());
  store::SearchParameterRegistry registry(*context);
  char tmpl[] = "/tmp/tb-trial-loader.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  store::StoreOptions so;
  so.database = std::string(tmpl) + "/s.db";
  so.registry = &registry;
  auto opened = store::openStore(so);
  ASSERT_TRUE(opened) << opened.message();
  std::unique_ptr<store::Store> store = std::move(opened.value());
  validation::Validator validator(*context);
  pipeline::Config config;
  namespace profiles = conformance::profiles;
  config.requiredProfiles = {{"ResearchStudy", std::string(profiles::kResearchStudy)}};
  pipeline::Pipeline pipeline(*store, &validator, config);

  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json");
  std::stringstream text;
  text << in.rdbuf();
  core::Issues issues;
  auto trial = study::readTrial(text.str(), issues);
  ASSERT_TRUE(trial.has_value());
  mapping::MapOptions options;
  options.fullUrlBase = "http://127.0.0.1:8080/fhir";
  pipeline::Options write;
  write.actor = {"trialbridge", "local"};
  write.baseUrl = options.fullUrlBase;

  TrialLoad first = loadTrial(pipeline, *trial, {}, options, write);
  ASSERT_TRUE(first.ok()) << (first.issues.empty() ? "" : first.issues.items()[0].message);
  EXPECT_GT(first.entries.size(), 3u);
  EXPECT_EQ(first.created, first.entries.size());
  EXPECT_EQ(first.updated, 0u);
  store::SearchQuery q;
  core::Issues qi;
  store::parseSearch(store->registry(), "ResearchStudy",
                     store::parseQueryString("identifier=NCT06813157"), {}, q, qi);
  store::SearchResult found;
  ASSERT_TRUE(store->search(q, found));
  EXPECT_EQ(found.total, 1);

  // Loading it again updates the same resources (the mapping's ids are stable).
  TrialLoad again = loadTrial(pipeline, *trial, {}, options, write);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.created, 0u);
  EXPECT_EQ(again.updated, first.entries.size());
  for (size_t i = 0; i < again.entries.size(); ++i) {
    EXPECT_EQ(again.entries[i].id, first.entries[i].id);
    EXPECT_EQ(again.entries[i].version, 2);
  }
  // A resource that fails its required profile (here one for another type) refuses the whole
  // trial: nothing is stored.
  config.requiredProfiles = {{"ResearchStudy", std::string(profiles::kObservation)}};
  pipeline::Pipeline strict(*store, &validator, config);
  study::Trial renamed = *trial;
  renamed.id = "another-trial";
  TrialLoad refused = loadTrial(strict, renamed, {}, options, write);
  EXPECT_EQ(refused.status, pipeline::Status::Unprocessable);
  EXPECT_EQ(refused.created + refused.updated, 0u);
  store::SearchResult all;
  store::SearchQuery any;
  any.type = "ResearchStudy";
  ASSERT_TRUE(store->search(any, all));
  EXPECT_EQ(all.total, 1);
  store.reset();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace trialbridge::service
