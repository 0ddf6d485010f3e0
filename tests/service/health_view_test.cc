// The probes (service/health_view.h): /healthz and /readyz on a running service, without a
// token when authentication is on; /readyz names what is not ready (the MLLP listener, a
// database that stopped answering, a service that is stopping) with 503.
#include <gtest/gtest.h>

#include <filesystem>

#include "pg_cluster.h"
#include "service/health_view.h"
#include "store/store.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

TEST(HealthView, LiveAndReadyWithoutAToken) {
  const SigningKey key = makeRsaKey("k-1");
  const std::string dir = tempDir();
  writeFile(dir + "/jwks.json", jwks({&key}));
  TestServer server(R"({"auth":{"jwks":")" + dir + R"(/jwks.json"},"mllp":{"port":0}})");
  ASSERT_TRUE(server.ok()) << server.error();
  const Client c = server.client();
  EXPECT_EQ(c.get("/fhir/Patient").status, 401);  // the API still wants a token

  const Reply live = c.get("/healthz");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(jsonAt(live.body, "status"), "alive");
  const Reply ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(jsonAt(ready.body, "status"), "ready");
  EXPECT_EQ(jsonAt(ready.body, "checks.database.ok"), "true");
  EXPECT_EQ(jsonAt(ready.body, "checks.migrations.ok"), "true");
  EXPECT_EQ(jsonAt(ready.body, "checks.mllp.ok"), "true");
  EXPECT_EQ(c.request("POST", "/readyz").status, 405);
  EXPECT_EQ(c.request("DELETE", "/healthz").status, 405);
  EXPECT_EQ(c.get("/readyz/x").status, 401);  // not a probe: the API's, behind the token
  std::filesystem::remove_all(dir);
}

TEST(HealthView, WithoutMllpThereIsNoMllpCheck) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const Reply ready = server.client().get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body.find("mllp"), std::string::npos) << ready.body;
}

// The view on its own, over a real store: each check that fails makes /readyz 503 and is named.
TEST(HealthView, NotReadyNamesWhatIsWrong) {
  store::StoreOptions o;
  const std::string dir = tempDir();
  o.database = dir + "/h.db";
  auto st = store::openStore(o);
  ASSERT_TRUE(st) << st.message();
  bool listening = false;
  service::HealthView view(*st.value(), [&] { return listening; });
  service::HttpRequest in;
  in.method = "GET";
  in.path = "/readyz";
  service::HttpResponse out;
  view.handle(in, out);
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(jsonAt(out.body, "status"), "not ready");
  EXPECT_EQ(jsonAt(out.body, "checks.mllp.ok"), "false");
  EXPECT_EQ(jsonAt(out.body, "checks.database.ok"), "true");
  listening = true;
  out = {};
  view.handle(in, out);
  EXPECT_EQ(out.status, 200) << out.body;
  view.setStopping();
  out = {};
  view.handle(in, out);
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(jsonAt(out.body, "checks.accepting.ok"), "false");
  in.path = "/healthz";
  out = {};
  view.handle(in, out);
  EXPECT_EQ(out.status, 200);  // alive while it stops
  st.value().reset();
  std::filesystem::remove_all(dir);
}

TEST(HealthView, ADatabaseThatStopsAnsweringIsNotReady) {
  PgCluster cluster;
  ASSERT_TRUE(cluster.start()) << cluster.error();
  TestServer server(R"({"store":{"backend":"postgresql","database":")" + cluster.createDatabase() +
                    R"("}})");
  ASSERT_TRUE(server.ok()) << server.error();
  const Client c = server.client();
  ASSERT_EQ(c.get("/readyz").status, 200);
  cluster.stop();
  const Reply ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(jsonAt(ready.body, "checks.database.ok"), "false");
  EXPECT_NE(jsonAt(ready.body, "checks.database.problem"), "");
  EXPECT_EQ(c.get("/healthz").status, 200);  // no database work
}

}  // namespace
}  // namespace trialbridge::testing
