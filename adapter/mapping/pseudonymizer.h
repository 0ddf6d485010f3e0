#pragma once
// Pseudonyms for trial subjects: HMAC-SHA256 (OpenSSL) of a hospital identifier under a per-trial
// secret, as 64 lower-case hex digits. The message is "{system}|{value}" (the identifier's
// namespace and value), so the same number from two hospitals gives two pseudonyms. Without the
// secret, a pseudonym cannot be linked back to the hospital number, even by trying all numbers.
#include <optional>
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

  // The environment variable that may hold a trial's secret: TRIALBRIDGE_SECRET_ and the trial's
  // id in upper case, other characters than letters and digits as '_'
  // (nct06813157 -> TRIALBRIDGE_SECRET_NCT06813157, tbx101-fih-01 -> ..._TBX101_FIH_01).
  static std::string secretVariable(std::string_view trialId);
  // A trial's secret the way every command takes it: from `secretFile` when given, else from
  // the environment variable secretVariable(trialId); nothing when neither is there. An error
  // when the file cannot be read or the secret is too short (the message names the file or the
  // variable, never the secret).
  static core::Result<std::optional<Pseudonymizer>> forTrial(
      std::string_view trialId, const std::optional<std::string>& secretFile);

 private:
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace trialbridge::mapping
