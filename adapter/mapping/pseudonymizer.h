#pragma once
// Pseudonyms for trial subjects: HMAC-SHA256 (OpenSSL) of a hospital identifier under a per-trial
// secret, as 64 lower-case hex digits. The message is "{system}|{value}" (the identifier's
// namespace and value), so the same number from two hospitals gives two pseudonyms. Without the
// secret, a pseudonym cannot be linked back to the hospital number, even by trying all numbers.
#include <string>
#include <string_view>

#include "core/result.h"

namespace trialbridge::mapping {

class Pseudonymizer {
 public:
  static constexpr size_t kMinSecretBytes = 16;

  // The secret's bytes; fewer than kMinSecretBytes is a configuration error.
  static core::Result<Pseudonymizer> fromSecret(std::string secret);
  // Reads the secret from a file (trailing white space is dropped).
  static core::Result<Pseudonymizer> fromFile(const std::string& path);

  std::string pseudonym(std::string_view system, std::string_view value) const;

 private:
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace trialbridge::mapping
