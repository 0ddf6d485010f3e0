#pragma once
// Bearer-token authentication and SMART v2 system scopes.
//
// Tokens are JWTs signed RS256 or ES256 (SMART Backend Services style), checked against the keys
// of a JWKS file: signature, `exp` (required), `nbf`, and `iss` / `aud` when configured. The
// token's `scope` claim (space-separated; or an `scp` array) holds SMART scopes. Only system
// scopes grant anything here: v2 `system/Observation.cru`, `system/*.rs`, and the v1 forms
// `system/Observation.read`, `system/*.write`, `system/*.*`. Verified tokens are cached until
// they expire, so a client that reuses its token pays for one signature check.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace trialbridge::service {

// What a set of SMART scopes allows, by resource type.
class Scopes {
 public:
  // Parses a space-separated scope string; scopes other than system/... are ignored.
  static Scopes parse(std::string_view scopes);
  // True when the scopes grant `permission` ('c', 'r', 'u', 'd' or 's') on `resourceType`.
  bool allows(std::string_view resourceType, char permission) const;
  bool empty() const { return grants_.empty(); }

 private:
  struct Grant {
    std::string type;  // "*" for all
    std::string permissions;
  };
  std::vector<Grant> grants_;
};

struct Principal {
  std::string subject;   // sub
  std::string clientId;  // client_id, else sub
  Scopes scopes;
  int64_t expires = 0;  // exp, seconds since the epoch
};

struct AuthOptions {
  std::string jwksFile;  // JWKS with the public keys (RSA and EC P-256)
  std::string issuer;    // required `iss` when set
  std::string audience;  // required in `aud` when set
  int64_t leewaySeconds = 60;
};

class TokenVerifier {
 public:
  // Reads the JWKS; a bad file or a key that cannot be used stops start-up with the reason.
  static core::Result<std::unique_ptr<TokenVerifier>> create(const AuthOptions& options);
  ~TokenVerifier();

  // Verifies a compact JWS. On failure returns an error whose message says why (for the
  // WWW-Authenticate error_description; it never includes the token).
  core::Result<std::shared_ptr<const Principal>> verify(std::string_view token) const;
  size_t keyCount() const;

 private:
  TokenVerifier() = default;
  struct Key;
  AuthOptions options_;
  std::vector<std::unique_ptr<Key>> keys_;
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Principal>> cache_;
};

}  // namespace trialbridge::service
