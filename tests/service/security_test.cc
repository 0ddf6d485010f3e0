// TLS and bearer tokens, with keys and certificates made in the test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "core/text.h"
#include "service/auth.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

// `openssl s_client` against 127.0.0.1:port with one protocol version; the negotiated protocol
// ("TLSv1.2"...) or "" when the handshake failed. The client's security level 0 lets it offer
// TLS 1.0/1.1 and their ciphers, so that a refusal comes from the server.
std::string handshake(int port, const std::string& protocolFlag) {
  const std::string command = "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " " +
                              protocolFlag + " -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);  // its status races with the server closing after the handshake: not used
  // "New, TLSv1.3, Cipher is ..." after a handshake, "New, (NONE), Cipher is (NONE)" without one.
  const size_t at = out.find("New, ");
  if (at == std::string::npos || out.compare(at, 11, "New, (NONE)") == 0) return "";
  return out.substr(at + 5, out.find(',', at + 5) - at - 5);
}

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string claims(const std::string& scope, int64_t exp, const std::string& extra = "") {
  return R"({"iss":"https://auth.example.org","sub":"lab-system","client_id":"lab-system",)"
         R"("aud":"https://trials.example.org/fhir","scope":")" +
         scope + R"(","exp":)" + std::to_string(exp) + extra + "}";
}

TEST(Scopes, SmartV2AndV1) {
  auto s = service::Scopes::parse("system/Observation.cru system/*.rs patient/Patient.r openid");
  EXPECT_TRUE(s.allows("Observation", 'c'));
  EXPECT_TRUE(s.allows("Observation", 'u'));
  EXPECT_FALSE(s.allows("Observation", 'd'));
  EXPECT_TRUE(s.allows("Patient", 'r'));
  EXPECT_TRUE(s.allows("Patient", 's'));
  EXPECT_FALSE(s.allows("Patient", 'c'));
  auto v1 = service::Scopes::parse("system/Patient.read system/Observation.write");
  EXPECT_TRUE(v1.allows("Patient", 's'));
  EXPECT_TRUE(v1.allows("Observation", 'd'));
  EXPECT_FALSE(v1.allows("Observation", 'r'));
  EXPECT_TRUE(service::Scopes::parse("system/*.*").allows("Anything", 'd'));
  EXPECT_FALSE(service::Scopes::parse("system/Patient.rc").allows("Patient", 'r'));  // bad order
  EXPECT_TRUE(service::Scopes::parse("user/*.cruds").empty());
}

// Found by fuzz/auth_fuzz: an exp of 1e300 was cast to int64_t, and exp or nbf near the int64_t
// limits overflowed when the leeway was added (both undefined behaviour).
TEST(TokenVerifier, NumericDatesAtTheLimits) {
  const SigningKey key = makeRsaKey("rsa-1");  // RS256 signs the same claims the same way
  const std::string dir = tempDir();
  writeFile(dir + "/jwks.json", jwks({&key}));
  service::AuthOptions options;
  options.jwksFile = dir + "/jwks.json";
  auto verifier = service::TokenVerifier::create(options);
  ASSERT_TRUE(verifier) << verifier.message();
  const auto verify = [&](const std::string& dates) {
    return verifier.value()->verify(signJwt(key, R"({"sub":"s","scope":"system/*.rs",)" + dates));
  };
  auto huge = verify(R"("exp":1e300})");
  EXPECT_FALSE(huge);
  EXPECT_EQ(huge.message(), "the token has no exp claim");
  auto latest = verify(R"("exp":9223372036854775807})");
  ASSERT_TRUE(latest) << latest.message();
  EXPECT_EQ(latest.value()->expires, INT64_MAX);
  EXPECT_TRUE(verify(R"("exp":9223372036854775807})"));  // from the cache
  EXPECT_TRUE(verify(R"("exp":4102444800.5,"nbf":-9223372036854775808})"));
  EXPECT_FALSE(verify(R"("exp":-9223372036854775808})"));
  EXPECT_FALSE(verify(R"("exp":4102444800,"nbf":9223372036854775807})"));
  std::filesystem::remove_all(dir);
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = makeRsaKey("rsa-1");
    ec_ = makeEcKey("ec-1");
    other_ = makeRsaKey("rsa-1");  // same kid, not in the JWKS
    dir_ = tempDir();
    writeFile(dir_ + "/jwks.json", jwks({&rsa_, &ec_}));
    server_ = std::make_unique<TestServer>(
        R"({"auth":{"jwks":")" + dir_ +
        R"(/jwks.json","issuer":"https://auth.example.org","audience":"https://trials.example.org/fhir"}})");
    ASSERT_TRUE(server_->ok()) << server_->error();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  Reply as(const std::string& token, const std::string& method, const std::string& uri,
           const std::string& body = {}) {
    Client c = server_->client();
    if (!token.empty()) c.setBearer(token);
    return c.request(method, uri, body, {{"Content-Type", "application/fhir+json"}});
  }
  SigningKey rsa_, ec_, other_;
  std::string dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(AuthTest, TokensAndScopes) {
  const std::string obs =
      R"({"resourceType":"Observation","status":"final","code":{"text":"plt"}})";
  // No token, a bad token, an expired token, a token signed by an unknown key: 401.
  Reply none = as("", "GET", "/fhir/Observation");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(jsonAt(none.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(as("not.a.jwt", "GET", "/fhir/Observation").status, 401);
  EXPECT_EQ(
      as(signJwt(rsa_, claims("system/*.rs", now() - 3600)), "GET", "/fhir/Observation").status,
      401);
  EXPECT_EQ(
      as(signJwt(other_, claims("system/*.rs", now() + 300)), "GET", "/fhir/Observation").status,
      401);
  EXPECT_EQ(as(signJwt(rsa_, claims("system/*.rs", now() + 300,
                                    R"(,"nbf":)" + std::to_string(now() + 3600))),
               "GET", "/fhir/Observation")
                .status,
            401);
  std::string wrongAud =
      R"({"sub":"x","aud":"https://elsewhere","iss":"https://auth.example.org","scope":"system/*.rs","exp":)" +
      std::to_string(now() + 300) + "}";
  EXPECT_EQ(as(signJwt(rsa_, wrongAud), "GET", "/fhir/Observation").status, 401);
  // A token whose payload was changed after signing.
  std::string good = signJwt(ec_, claims("system/Observation.rs", now() + 300));
  std::string tampered = good;
  const size_t d1 = tampered.find('.'), d2 = tampered.find('.', d1 + 1);
  tampered.replace(d1 + 1, d2 - d1 - 1,
                   core::base64Encode(claims("system/*.cruds", now() + 300), true));
  EXPECT_EQ(as(tampered, "GET", "/fhir/Observation").status, 401);
  // Unsigned ("alg":"none") and HMAC tokens are refused whatever they claim (no algorithm
  // confusion: an HS256 token "signed" with the public key must not pass).
  const std::string payload = core::base64Encode(claims("system/*.cruds", now() + 300), true);
  EXPECT_EQ(as(core::base64Encode(R"({"alg":"none","typ":"JWT"})", true) + "." + payload + ".",
               "GET", "/fhir/Observation")
                .status,
            401);
  EXPECT_EQ(
      as(core::base64Encode(R"({"alg":"HS256","typ":"JWT","kid":")" + rsa_.kid + R"("})", true) +
             "." + payload + "." + core::base64Encode("not-a-mac", true),
         "GET", "/fhir/Observation")
          .status,
      401);
  // Metadata is open.
  EXPECT_EQ(as("", "GET", "/fhir/metadata").status, 200);
  EXPECT_NE(as("", "GET", "/fhir/metadata").body.find("SMART-on-FHIR"), std::string::npos);

  // ES256 with read+search on Observation.
  const std::string reader = signJwt(ec_, claims("system/Observation.rs", now() + 300));
  EXPECT_EQ(as(reader, "GET", "/fhir/Observation").status, 200);
  Reply forbidden = as(reader, "POST", "/fhir/Observation", obs);
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_NE(forbidden.header("www-authenticate").find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(as(reader, "GET", "/fhir/Patient").status, 403);

  // RS256 with create/read/update on Observation (SMART v2 .cru).
  const std::string writer = signJwt(rsa_, claims("system/Observation.cru", now() + 300));
  Reply created = as(writer, "POST", "/fhir/Observation", obs);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = jsonAt(created.body, "id");
  EXPECT_EQ(as(writer, "GET", "/fhir/Observation/" + id).status, 200);
  EXPECT_EQ(as(writer, "GET", "/fhir/Observation?status=final").status, 403);  // no 's'
  EXPECT_EQ(as(writer, "DELETE", "/fhir/Observation/" + id).status, 403);
  // A transaction needs every entry's permission.
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}},"request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}}]})";
  Reply txReply = as(writer, "POST", "/fhir", tx);
  EXPECT_EQ(txReply.status, 403) << txReply.body;
  const std::string admin = signJwt(rsa_, claims("system/*.cruds", now() + 300));
  EXPECT_EQ(as(admin, "POST", "/fhir", tx).status, 200);
  // The client id is in the audit record of the write.
  server_->service().audit()->flush();
  Reply audit = as(admin, "GET", "/fhir/AuditEvent?entity=Observation/" + id + "&subtype=create");
  EXPECT_EQ(jsonAt(audit.body, "entry.0.resource.agent.0.who.identifier.value"), "lab-system");
}

TEST(AuthConfig, BadJwksStopsStartUp) {
  const std::string dir = tempDir();
  writeFile(dir + "/jwks.json", R"({"keys":[{"kty":"RSA","n":"AQAB","e":"!!"}]})");
  TestServer server(R"({"auth":{"jwks":")" + dir + R"(/jwks.json"}})");
  EXPECT_FALSE(server.ok());
  EXPECT_NE(server.error().find("jwks.json"), std::string::npos) << server.error();
  TestServer missing(R"({"auth":{"jwks":")" + dir + R"(/none.json"}})");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot read the JWKS"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Tls, ServesHttpsWithTheConfiguredCertificate) {
  const std::string dir = tempDir();
  makeCertificate(dir + "/server.crt", dir + "/server.key");
  TestServer server(R"({"tls":{"certificate":")" + dir + R"(/server.crt","privateKey":")" + dir +
                    R"(/server.key"}})");
  ASSERT_TRUE(server.ok()) << server.error();
  Client https("127.0.0.1", server.port(), true);
  Reply r = https.get("/fhir/metadata");
  EXPECT_EQ(r.status, 200);
  Reply created = https.post("/fhir/Patient", R"({"resourceType":"Patient"})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.header("location").rfind("https://", 0), 0u) << created.header("location");
  // Plain HTTP to the TLS port gets no HTTP answer.
  Client plain("127.0.0.1", server.port(), false);
  bool failed = false;
  try {
    failed = plain.get("/fhir/metadata").status != 200;
  } catch (const std::exception&) {
    failed = true;
  }
  EXPECT_TRUE(failed);
  TestServer badKey(R"({"tls":{"certificate":")" + dir + R"(/server.crt","privateKey":")" + dir +
                    R"(/missing.key"}})");
  EXPECT_FALSE(badKey.ok());
  EXPECT_NE(badKey.error().find("TLS"), std::string::npos) << badKey.error();
  std::filesystem::remove_all(dir);
}

// Only TLS 1.2 and 1.3: the server refuses a client that offers nothing newer than 1.0 or 1.1.
TEST(Tls, RefusesTls10And11) {
  ASSERT_EQ(std::system("openssl version >/dev/null 2>&1"), 0) << "the openssl command is needed";
  const std::string dir = tempDir();
  makeCertificate(dir + "/server.crt", dir + "/server.key");
  TestServer server(R"({"tls":{"certificate":")" + dir + R"(/server.crt","privateKey":")" + dir +
                    R"(/server.key"}})");
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_EQ(handshake(server.port(), "-tls1"), "") << "TLS 1.0 accepted";
  EXPECT_EQ(handshake(server.port(), "-tls1_1"), "") << "TLS 1.1 accepted";
  // The same client, with the same ciphers, gets through with the versions that are allowed.
  EXPECT_EQ(handshake(server.port(), "-tls1_2"), "TLSv1.2");
  EXPECT_EQ(handshake(server.port(), "-tls1_3"), "TLSv1.3");
  std::filesystem::remove_all(dir);
}

// The XML reader refuses a DOCTYPE, so an external entity never reads a file (XXE).
TEST(XmlInput, ExternalEntitiesAreRefusedOverRest) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const std::string dir = tempDir();
  writeFile(dir + "/secret.txt", "TOP-SECRET-CONTENT");
  Client client = server.client();
  for (const std::string& doctype :
       {"<!DOCTYPE Patient [<!ENTITY xxe SYSTEM \"file://" + dir + "/secret.txt\">]>",
        std::string("<!DOCTYPE Patient SYSTEM \"http://127.0.0.1:1/patient.dtd\">"),
        std::string("<!DOCTYPE Patient [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>")}) {
    const std::string body =
        "<?xml version=\"1.0\"?>" + doctype +
        "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&xxe;\"/>"
        "</name></Patient>";
    Reply r = client.request(
        "POST", "/fhir/Patient", body,
        {{"Content-Type", "application/fhir+xml"}, {"Accept", "application/fhir+json"}});
    EXPECT_EQ(r.status, 400) << doctype << "\n" << r.body;
    EXPECT_NE(r.body.find("DOCTYPE"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << r.body;
  }
  EXPECT_EQ(jsonAt(client.get("/fhir/Patient?_summary=count").body, "total"), "0");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
