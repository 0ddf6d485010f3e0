// fhir-kit-client (npm, tests/peers/) against a running server: create, read, update, vread,
// search, history, a transaction, paging and delete (fhir_kit_client.mjs). Node and the peers
// come from deploy/test.sh (install-deps.sh installs node; `npm ci` in tests/peers).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "test_client.h"

namespace trialbridge::testing {
namespace {

TEST(FhirKitClient, CrudSearchHistoryTransaction) {
  const std::string peers = std::string(TB_SOURCE_ROOT) + "/tests/peers";
  ASSERT_TRUE(std::filesystem::exists(peers + "/node_modules/fhir-kit-client/package.json"))
      << "fhir-kit-client is not installed: run 'npm ci' in tests/peers (deploy/test.sh does)";
  ASSERT_EQ(std::system("node --version >/dev/null 2>&1"), 0)
      << "node is not installed (deploy/install-deps.sh installs it)";
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const std::string script = std::string(TB_SOURCE_ROOT) + "/tests/service/fhir_kit_client.mjs";
  const std::string cmd = "node " + script + " http://127.0.0.1:" + std::to_string(server.port()) +
                          "/fhir " + peers + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace trialbridge::testing
