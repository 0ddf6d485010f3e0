#include "validation/xhtml.h"

#include <cctype>

namespace trialbridge::validation {

bool looksLikeHtml(std::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '<') continue;
    const char n = text[i + 1];
    if (std::isalpha(static_cast<unsigned char>(n)) != 0 || n == '/' || n == '!') return true;
  }
  return false;
}

}  // namespace trialbridge::validation
