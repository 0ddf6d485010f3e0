#pragma once
// Small text helpers that several layers need: base64 (FHIR base64Binary, JWT segments), hex,
// line splitting, UTF-8 encoding of a code point and JSON string literals (for code that writes
// JSON without a document).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::core {

// Decodes base64 in the standard or the URL-safe alphabet, with or without padding; white space
// is skipped. nullopt when a character is outside both alphabets or the length is impossible.
std::optional<std::string> base64Decode(std::string_view text);
// Standard alphabet with padding, or URL-safe without padding (JWT).
std::string base64Encode(std::string_view bytes, bool urlSafe = false);
// URL-safe alphabet with padding (FHIRPath's encode('urlbase64')).
std::string base64UrlEncodePadded(std::string_view bytes);

// Two lower-case hex digits a byte.
std::string hexEncode(std::string_view bytes);

// A copy with A-Z made a-z (other bytes, UTF-8 included, unchanged).
std::string asciiLower(std::string_view text);

// Space, tab, CR or LF: white space as XML, JSON and FHIR's string rules define it (not
// std::isspace, which also takes \v and \f and depends on the locale).
inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Hex digits in either case, two a byte; nullopt for an odd length or a character that is not one.
std::optional<std::string> hexDecode(std::string_view text);

// Calls fn(line, number) for each line of text, split at '\n' (left out of the line) and
// numbered from 1; a final '\n' ends the last line rather than starting an empty one.
template <class Fn>
void forEachLine(std::string_view text, Fn&& fn) {
  uint32_t number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    fn(text.substr(pos, eol - pos), ++number);
    pos = eol + 1;
  }
}

// Appends `sentence` to `text` as a sentence of its own: ". " before it when text does not end
// a sentence yet ('.', '!', '?'), " " when it does; nothing between when text is empty. A full
// stop is never doubled however the parts end.
void appendSentence(std::string& text, std::string_view sentence);
// Ends text with a full stop unless it already ends a sentence (or is empty).
void endSentence(std::string& text);

// Appends a code point as UTF-8 (1 to 4 bytes); one above U+10FFFF becomes U+FFFD.
void appendUtf8(std::string& out, uint32_t codePoint);

// Appends text as a JSON string literal (with the quotes), escaping what JSON requires.
void appendJsonString(std::string& out, std::string_view text);
std::string jsonString(std::string_view text);
// The same escaping without the quotes, for code that writes a literal's content in pieces.
void appendJsonEscaped(std::string& out, std::string_view text);

}  // namespace trialbridge::core
