#pragma once
// Force-included (cmake/Dependencies.cmake) into every file that uses RapidJSON, before any
// RapidJSON header: its assertions throw instead of aborting, so no input can end the process.
#ifdef __cplusplus
namespace trialbridge::core {
[[noreturn]] void rapidjsonAssertFailed(const char* expression);
}  // namespace trialbridge::core
#define RAPIDJSON_ASSERT(x) \
  ((x) ? static_cast<void>(0) : ::trialbridge::core::rapidjsonAssertFailed(#x))
#define RAPIDJSON_HAS_STDSTRING 1
#endif
