#pragma once
// URI syntax shared by the mapping (what it may write as a system) and the validator (what it
// accepts as one).
#include <string_view>

namespace trialbridge::core {

// Whether `s` starts with a URI scheme and its colon (RFC 3986 section 3.1: a letter, then
// letters, digits, "+", "-" or "."), as an absolute URI does.
bool hasUriScheme(std::string_view s);

}  // namespace trialbridge::core
