// The "mllp" section of the configuration and the sender allow-list (service/mllp_config.cc).
#include <gtest/gtest.h>

#include "service/mllp_listener.h"
#include "service/service.h"

namespace trialbridge::testing {
namespace {

TEST(MllpAllowList, AddressesAndNetworks) {
  using service::addressAllowed;
  EXPECT_TRUE(addressAllowed({}, "192.0.2.1"));
  EXPECT_TRUE(addressAllowed({"192.0.2.1"}, "192.0.2.1"));
  EXPECT_FALSE(addressAllowed({"192.0.2.1"}, "192.0.2.2"));
  EXPECT_TRUE(addressAllowed({"10.1.0.0/16"}, "10.1.255.7"));
  EXPECT_FALSE(addressAllowed({"10.1.0.0/16"}, "10.2.0.1"));
  EXPECT_TRUE(addressAllowed({"0.0.0.0/0"}, "203.0.113.9"));
  EXPECT_TRUE(addressAllowed({"2001:db8::/32"}, "2001:db8:1::5"));
  EXPECT_FALSE(addressAllowed({"2001:db8::/32"}, "2001:db9::5"));
  EXPECT_TRUE(addressAllowed({"10.0.0.0/8"}, "::ffff:10.3.4.5"));  // IPv4 through IPv6
  EXPECT_FALSE(addressAllowed({"10.0.0.0/8"}, "not an address"));
  EXPECT_TRUE(service::validAllowEntry("10.0.0.0/8"));
  EXPECT_FALSE(service::validAllowEntry("10.0.0.0/33"));
  EXPECT_FALSE(service::validAllowEntry("10.0.0/8"));
  EXPECT_FALSE(service::validAllowEntry("host.example"));
}

TEST(MllpConfig, TheSectionIsReadAndCheckedWithItsLocation) {
  auto c = service::parseConfig(
      R"({"mllp":{"port":2576,"host":"0.0.0.0","maxConnections":8,"maxFrameBytes":65536,
          "idleSeconds":30,"frameSeconds":5,"allow":["10.0.0.0/8"],"application":"TB",
          "facility":"SITE","tlsCertificate":"c.pem","tlsPrivateKey":"k.pem","tlsClientCa":"ca.pem",
          "tlsRequireClientCertificate":true,"maps":"site-maps","timezone":"+08:00"}})",
      "t.json");
  ASSERT_TRUE(c) << c.message();
  const service::MllpOptions& m = c.value().mllp;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.port, 2576);
  EXPECT_EQ(m.host, "0.0.0.0");
  EXPECT_EQ(m.maxConnections, 8);
  EXPECT_EQ(m.maxFrameBytes, 65536u);
  EXPECT_EQ(m.allow, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_TRUE(m.tls);
  EXPECT_TRUE(m.requireClientCertificate);
  EXPECT_EQ(m.maps, "site-maps");
  EXPECT_EQ(m.timezone, "+08:00");
  EXPECT_FALSE(service::parseConfig("{}", "t.json").value().mllp.enabled);
  const auto bad = [](const std::string& json) {
    auto r = service::parseConfig(json, "t.json");
    return r ? std::string() : r.message();
  };
  EXPECT_NE(bad(R"({"mllp":{"allow":["10.0.0.0/40"]}})").find("'mllp.allow[0]'"),
            std::string::npos);
  EXPECT_NE(bad(R"({"mllp":{"port":70000}})").find("'mllp.port'"), std::string::npos);
  EXPECT_NE(bad(R"({"mllp":{"tlsCertificate":"c.pem"}})").find("tlsPrivateKey"), std::string::npos);
  EXPECT_NE(bad(R"({"mllp":{"tlsCertificate":"c","tlsPrivateKey":"k",)"
                R"("tlsRequireClientCertificate":true}})")
                .find("tlsClientCa"),
            std::string::npos);
  EXPECT_NE(bad(R"({"mllp":{"colour":"blue"}})").find("'mllp.colour'"), std::string::npos);
  EXPECT_NE(bad(R"({"mllp":{"timezone":"+8"}})").find("'mllp.timezone'"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::testing
