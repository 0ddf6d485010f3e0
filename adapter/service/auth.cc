#include "service/auth.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/text.h"

namespace trialbridge::service {

namespace {

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string jsonString(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject()) return {};
  auto it = o.FindMember(name);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

bool jsonInt(const rapidjson::Value& o, const char* name, int64_t& out) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd()) return false;
  if (it->value.IsInt64()) {
    out = it->value.GetInt64();
    return true;
  }
  // A NumericDate with a fraction; one outside int64_t (1e300) is not a usable time.
  if (it->value.IsDouble() && std::fabs(it->value.GetDouble()) < 9.2e18) {
    out = static_cast<int64_t>(it->value.GetDouble());
    return true;
  }
  return false;
}

void addPermissions(std::string& perms, std::string_view add) {
  for (char c : add) {
    if (perms.find(c) == std::string::npos) perms += c;
  }
}

// Decodes a base64url JWS segment or JWK member; white space, which core::base64Decode skips, is
// not allowed there (RFC 7515).
bool base64UrlDecode(std::string_view text, std::string& out) {
  if (text.find_first_of(" \t\r\n") != std::string_view::npos) return false;
  auto bytes = core::base64Decode(text);
  if (!bytes) return false;
  out = std::move(*bytes);
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Scopes

Scopes Scopes::parse(std::string_view text) {
  Scopes s;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view scope = text.substr(pos, end - pos);
    pos = end;
    if (scope.rfind("system/", 0) != 0) continue;
    scope.remove_prefix(7);
    const size_t dot = scope.find('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    Grant g;
    g.type = std::string(scope.substr(0, dot));
    std::string_view perms = scope.substr(dot + 1);
    if (const size_t q = perms.find('?'); q != std::string_view::npos) {
      continue;  // v2 scopes with search restrictions are not supported: grant nothing
    }
    if (perms == "read") {
      g.permissions = "rs";
    } else if (perms == "write") {
      g.permissions = "cud";
    } else if (perms == "*") {
      g.permissions = "cruds";
    } else {
      // v2: a subset of c r u d s, in that order.
      static constexpr std::string_view kOrder = "cruds";
      size_t at = 0;
      bool ok = !perms.empty();
      for (char c : perms) {
        const size_t i = kOrder.find(c, at);
        if (i == std::string_view::npos) {
          ok = false;
          break;
        }
        at = i + 1;
      }
      if (!ok) continue;
      g.permissions = std::string(perms);
    }
    bool merged = false;
    for (Grant& existing : s.grants_) {
      if (existing.type == g.type) {
        addPermissions(existing.permissions, g.permissions);
        merged = true;
      }
    }
    if (!merged) s.grants_.push_back(std::move(g));
  }
  return s;
}

bool Scopes::allows(std::string_view resourceType, char permission) const {
  for (const Grant& g : grants_) {
    if ((g.type == "*" || g.type == resourceType) &&
        g.permissions.find(permission) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Keys

struct TokenVerifier::Key {
  std::string kid;
  std::string alg;  // RS256 or ES256
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

BIGNUM* bignumFrom(const std::string& b64) {
  std::string raw;
  if (!base64UrlDecode(b64, raw) || raw.empty()) return nullptr;
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()),
                   nullptr);
}

EVP_PKEY* keyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  EVP_PKEY* pkey = nullptr;
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) > 0) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

EVP_PKEY* rsaKey(const std::string& n64, const std::string& e64) {
  BIGNUM* n = bignumFrom(n64);
  BIGNUM* e = bignumFrom(e64);
  EVP_PKEY* pkey = nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (n != nullptr && e != nullptr && bld != nullptr &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
    pkey = keyFromParams("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return pkey;
}

EVP_PKEY* ecKey(const std::string& x64, const std::string& y64) {
  std::string x, y;
  if (!base64UrlDecode(x64, x) || !base64UrlDecode(y64, y) || x.size() != 32 || y.size() != 32) {
    return nullptr;
  }
  std::string point = "\x04" + x + y;
  EVP_PKEY* pkey = nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld != nullptr &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    pkey = keyFromParams("EC", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

bool verifySignature(EVP_PKEY* pkey, bool ecdsa, std::string_view input, const std::string& sig) {
  std::string der;
  if (ecdsa) {
    // JWS carries r || s (32 bytes each); OpenSSL wants a DER ECDSA-Sig-Value.
    if (sig.size() != 64) return false;
    ECDSA_SIG* es = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
    if (es == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(es, r, s) != 1) {
      ECDSA_SIG_free(es);
      BN_free(r);
      BN_free(s);
      return false;
    }
    unsigned char* buf = nullptr;
    const int len = i2d_ECDSA_SIG(es, &buf);
    ECDSA_SIG_free(es);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
  }
  const std::string& signature = ecdsa ? der : sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

core::Result<std::unique_ptr<TokenVerifier>> TokenVerifier::create(const AuthOptions& options) {
  using R = core::Result<std::unique_ptr<TokenVerifier>>;
  std::ifstream in(options.jwksFile);
  if (!in) return R::error("cannot read the JWKS file '" + options.jwksFile + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("keys") || !d["keys"].IsArray()) {
    return R::error("'" + options.jwksFile +
                    "' is not a JWKS (a JSON object with a \"keys\" array)");
  }
  std::unique_ptr<TokenVerifier> v(new TokenVerifier());
  v->options_ = options;
  size_t index = 0;
  for (const auto& k : d["keys"].GetArray()) {
    ++index;
    auto key = std::make_unique<Key>();
    key->kid = jsonString(k, "kid");
    const std::string kty = jsonString(k, "kty");
    const std::string use = jsonString(k, "use");
    if (!use.empty() && use != "sig") continue;
    if (kty == "RSA") {
      key->alg = "RS256";
      key->pkey = rsaKey(jsonString(k, "n"), jsonString(k, "e"));
    } else if (kty == "EC" && jsonString(k, "crv") == "P-256") {
      key->alg = "ES256";
      key->pkey = ecKey(jsonString(k, "x"), jsonString(k, "y"));
    } else {
      continue;  // other key types are not used for RS256/ES256
    }
    const std::string alg = jsonString(k, "alg");
    if (!alg.empty() && alg != key->alg) continue;
    if (key->pkey == nullptr) {
      return R::error("key " + std::to_string(index) + " of '" + options.jwksFile +
                      "' is not a usable " + kty + " public key");
    }
    v->keys_.push_back(std::move(key));
  }
  if (v->keys_.empty()) {
    return R::error("'" + options.jwksFile + "' has no RS256 (RSA) or ES256 (EC P-256) key");
  }
  return R(std::move(v));
}

TokenVerifier::~TokenVerifier() = default;

size_t TokenVerifier::keyCount() const { return keys_.size(); }

core::Result<std::shared_ptr<const Principal>> TokenVerifier::verify(std::string_view token) const {
  using R = core::Result<std::shared_ptr<const Principal>>;
  const int64_t now = nowSeconds();
  const std::string key(token);
  {
    std::lock_guard lock(cacheMutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second->expires >= now - options_.leewaySeconds) return R(it->second);
      cache_.erase(it);
      return R::error("the token has expired");
    }
  }
  if (token.size() > 16384) return R::error("the token is too long");
  const size_t d1 = token.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return R::error("the token is not a compact JWS");
  }
  std::string headerJson, payloadJson, signature;
  if (!base64UrlDecode(token.substr(0, d1), headerJson) ||
      !base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1), payloadJson) ||
      !base64UrlDecode(token.substr(d2 + 1), signature)) {
    return R::error("the token is not base64url");
  }
  rapidjson::Document header, payload;
  header.Parse(headerJson.data(), headerJson.size());
  payload.Parse(payloadJson.data(), payloadJson.size());
  if (header.HasParseError() || !header.IsObject() || payload.HasParseError() ||
      !payload.IsObject()) {
    return R::error("the token's header or claims are not JSON objects");
  }
  const std::string alg = jsonString(header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return R::error("the token's algorithm must be RS256 or ES256");
  }
  const std::string kid = jsonString(header, "kid");
  const Key* chosen = nullptr;
  for (const auto& k : keys_) {
    if (k->alg != alg) continue;
    if (!kid.empty() && k->kid != kid) continue;
    chosen = k.get();
    break;
  }
  if (chosen == nullptr) return R::error("no key in the JWKS matches the token's kid and alg");
  if (!verifySignature(chosen->pkey, alg == "ES256", token.substr(0, d2), signature)) {
    return R::error("the token's signature does not verify");
  }
  auto p = std::make_shared<Principal>();
  if (!jsonInt(payload, "exp", p->expires)) return R::error("the token has no exp claim");
  if (p->expires < now - options_.leewaySeconds) return R::error("the token has expired");
  int64_t nbf = 0;
  if (jsonInt(payload, "nbf", nbf) && nbf > now + options_.leewaySeconds) {
    return R::error("the token is not valid yet");
  }
  if (!options_.issuer.empty() && jsonString(payload, "iss") != options_.issuer) {
    return R::error("the token's issuer is not accepted");
  }
  if (!options_.audience.empty()) {
    bool ok = false;
    auto it = payload.FindMember("aud");
    if (it != payload.MemberEnd() && it->value.IsString()) {
      ok = options_.audience == it->value.GetString();
    } else if (it != payload.MemberEnd() && it->value.IsArray()) {
      for (const auto& a : it->value.GetArray())
        ok |= a.IsString() && options_.audience == a.GetString();
    }
    if (!ok) return R::error("the token's audience does not include this server");
  }
  p->subject = jsonString(payload, "sub");
  p->clientId = jsonString(payload, "client_id");
  if (p->clientId.empty()) p->clientId = p->subject;
  std::string scope = jsonString(payload, "scope");
  if (auto it = payload.FindMember("scp");
      scope.empty() && it != payload.MemberEnd() && it->value.IsArray()) {
    for (const auto& s : it->value.GetArray()) {
      if (s.IsString()) scope += std::string(s.GetString()) + " ";
    }
  }
  p->scopes = Scopes::parse(scope);
  std::shared_ptr<const Principal> result = std::move(p);
  {
    std::lock_guard lock(cacheMutex_);
    if (cache_.size() > 10000) cache_.clear();
    cache_.emplace(key, result);
  }
  return R(result);
}

}  // namespace trialbridge::service
