#pragma once
// Small text codecs that several layers need: base64 (FHIR base64Binary, JWT segments) and JSON
// string literals (for code that writes JSON without a document).
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::core {

// Decodes base64 in the standard or the URL-safe alphabet, with or without padding; white space
// is skipped. nullopt when a character is outside both alphabets or the length is impossible.
std::optional<std::string> base64Decode(std::string_view text);
// Standard alphabet with padding, or URL-safe without padding (JWT).
std::string base64Encode(std::string_view bytes, bool urlSafe = false);

// Appends text as a JSON string literal (with the quotes), escaping what JSON requires.
void appendJsonString(std::string& out, std::string_view text);
std::string jsonString(std::string_view text);

}  // namespace trialbridge::core
