// libFuzzer target: bearer-token authentication (service::TokenVerifier: JWKS loading, compact
// JWS parsing, RS256/ES256 signature checks, the claims; service::Scopes; core's base64url),
// against the fixed test keys in fuzz/keys/ (made by fuzz/make_auth_seeds.py, as is the seed
// corpus).
//
// The input is one of three forms, told apart by its shape:
//   "header JSON\nclaims JSON"  (has a newline): the target signs base64url(header).
//                               base64url(claims) with the fixed key the header's alg names
//                               (ES256: the EC key, else the RSA key), so that a mutated claim
//                               set gets past the signature to the claim checks;
//   "{...}"                     a JWKS document, loaded as the verifier's key file, which then
//                               checks a well-formed token;
//   anything else               a compact JWS, verified as it is (and parsed as SMART scopes).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; verifying the same
// token twice (the second time from the verifier's cache) gives the same answer; a verified
// token has exp; core::base64Decode undoes core::base64Encode (URL-safe, as JWTs use it).
// Seed corpus: fuzz/corpus/auth/.
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/text.h"
#include "service/auth.h"

namespace {

using namespace trialbridge;

constexpr const char* kKeys = TB_SOURCE_ROOT "/fuzz/keys";

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "auth_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey loadKey(const std::string& file) {
  const std::string path = std::string(kKeys) + "/" + file;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) fail("cannot read " + path, "");
  Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) fail("not a private key: " + path, "");
  return key;
}

// A JWS signature (RS256: PKCS#1 v1.5; ES256: r || s, 32 bytes each) of `input`.
std::string sign(EVP_PKEY* key, bool ecdsa, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      len = 0;
    }
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (sig.empty()) fail("signing failed", input);
  if (!ecdsa) return sig;
  const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  if (es == nullptr ||
      BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32) !=
          32) {
    fail("cannot convert an ECDSA signature", input);
  }
  ECDSA_SIG_free(es);
  return raw;
}

struct Fixture {
  Pkey rsa = loadKey("rsa-1.pem");
  Pkey ec = loadKey("ec-1.pem");
  service::AuthOptions options;
  std::string jwksCopy;  // where a fuzzed JWKS is written
  std::string goodToken;

  Fixture() {
    options.jwksFile = std::string(kKeys) + "/jwks.json";
    options.issuer = "https://auth.example.org";
    options.audience = "https://trials.example.org/fhir";
    jwksCopy = "/tmp/auth_fuzz." + std::to_string(getpid()) + ".jwks.json";
    goodToken =
        signed_(R"({"alg":"RS256","kid":"rsa-1"})",
                R"({"iss":"https://auth.example.org","aud":"https://trials.example.org/fhir",)"
                R"("exp":4102444800,"sub":"c","scope":"system/*.rs"})");
  }
  ~Fixture() { std::remove(jwksCopy.c_str()); }

  std::string signed_(std::string_view header, std::string_view claims) const {
    const bool ecdsa = header.find("ES256") != std::string_view::npos;
    const std::string input =
        core::base64Encode(header, true) + "." + core::base64Encode(claims, true);
    return input + "." + core::base64Encode(sign(ecdsa ? ec.get() : rsa.get(), ecdsa, input), true);
  }
};

// Verifies `token` twice with a new verifier (the second answer comes from its cache).
void verifyTwice(const service::TokenVerifier& verifier, const std::string& token,
                 std::string_view input) {
  auto first = verifier.verify(token);
  auto second = verifier.verify(token);
  if (first.isOk() != second.isOk()) fail("the cache changed the verdict", input);
  if (!first) return;
  if (first.value()->expires == 0) fail("a token without exp was accepted", input);
  const service::Scopes& scopes = first.value()->scopes;
  (void)scopes.allows("Observation", 'r');
  (void)scopes.allows("Patient", 'c');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::optional<std::string> decoded = core::base64Decode(core::base64Encode(input, true));
  if (!decoded || *decoded != input) fail("base64Decode does not undo base64Encode", input);

  service::AuthOptions options = fixture.options;
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos && !input.empty() && input[0] == '{') {
    std::ofstream(fixture.jwksCopy, std::ios::binary | std::ios::trunc) << input;
    options.jwksFile = fixture.jwksCopy;
    auto verifier = service::TokenVerifier::create(options);
    if (verifier && verifier.value()->keyCount() == 0) fail("a JWKS with no key loaded", input);
    if (verifier) verifyTwice(*verifier.value(), fixture.goodToken, input);
    return 0;
  }
  auto verifier = service::TokenVerifier::create(options);
  if (!verifier) fail("the fixed JWKS does not load: " + verifier.message(), input);
  if (newline != std::string_view::npos) {
    verifyTwice(*verifier.value(),
                fixture.signed_(input.substr(0, newline), input.substr(newline + 1)), input);
  } else {
    verifyTwice(*verifier.value(), std::string(input), input);
    const service::Scopes scopes = service::Scopes::parse(input);
    (void)scopes.allows("Observation", 's');
  }
  return 0;
}
