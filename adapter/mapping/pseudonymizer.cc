#include "mapping/pseudonymizer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace trialbridge::mapping {

core::Result<Pseudonymizer> Pseudonymizer::fromSecret(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return core::Result<Pseudonymizer>::error(
        "the pseudonymisation secret is " + std::to_string(secret.size()) +
        " bytes; it needs at least " + std::to_string(kMinSecretBytes) +
        " (32 random bytes are recommended)");
  }
  return Pseudonymizer(std::move(secret));
}

core::Result<Pseudonymizer> Pseudonymizer::fromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Result<Pseudonymizer>::error("cannot read the secret file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string secret = std::move(ss).str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  auto p = fromSecret(std::move(secret));
  if (!p) return core::Result<Pseudonymizer>::error(path + ": " + p.message());
  return p;
}

std::string Pseudonymizer::secretVariable(std::string_view trialId) {
  std::string name = "TRIALBRIDGE_SECRET_";
  for (char c : trialId) {
    name += std::isalnum(static_cast<unsigned char>(c)) != 0
                ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : '_';
  }
  return name;
}

core::Result<std::optional<Pseudonymizer>> Pseudonymizer::forTrial(
    std::string_view trialId, const std::optional<std::string>& secretFile) {
  using R = core::Result<std::optional<Pseudonymizer>>;
  if (secretFile) {
    auto p = fromFile(*secretFile);
    if (!p) return R::error(p.message());
    return std::optional<Pseudonymizer>(std::move(p.value()));
  }
  const std::string variable = secretVariable(trialId);
  if (const char* secret = std::getenv(variable.c_str()); secret != nullptr) {
    auto p = fromSecret(secret);
    if (!p) return R::error(variable + ": " + p.message());
    return std::optional<Pseudonymizer>(std::move(p.value()));
  }
  return std::optional<Pseudonymizer>();
}

std::string Pseudonymizer::pseudonym(std::string_view system, std::string_view value) const {
  std::string message(system);
  message += '|';
  message += value;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace trialbridge::mapping
