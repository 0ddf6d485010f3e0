#include "core/uri.h"

namespace trialbridge::core {

bool hasUriScheme(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i > 0;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool more = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!letter && !(i > 0 && more)) return false;
  }
  return false;
}

}  // namespace trialbridge::core
