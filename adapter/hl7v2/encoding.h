#pragma once
// How a v2 message is encoded: its delimiters (MSH-1 and MSH-2, any characters the sender chose)
// and its character set (MSH-18).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trialbridge::hl7v2 {

// The character sets trialbridge reads. Every message is turned into UTF-8 when it is read, so
// that each value a Message hands out is valid UTF-8.
enum class Charset : uint8_t {
  Ascii,   // MSH-18 empty, "ASCII" or "ISO IR6" (ISO 646)
  Utf8,    // "UNICODE UTF-8"
  Latin1,  // "8859/1" or "ISO IR100" (ISO 8859-1): converted to UTF-8
};

// The charset named by the first repetition of MSH-18 (as written, case-insensitive, white space
// around ignored); nullopt for a name trialbridge does not read (UTF-16, GB 18030, 8859/2 ...).
std::optional<Charset> charsetByName(std::string_view name);
std::string_view charsetName(Charset charset);

struct Encoding {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = 0;  // v2.7+: the fifth encoding character ('#'), 0 when absent
  Charset charset = Charset::Ascii;

  // Whether c is one of the delimiters (the field separator or an encoding character).
  bool isDelimiter(char c) const {
    return c == field || c == component || c == repetition || c == escape || c == subcomponent ||
           (truncation != 0 && c == truncation);
  }
  // MSH-2 as it would be written: "^~\&" (and the truncation character when there is one).
  std::string encodingCharacters() const;
};

// The byte offset of the first byte that is not part of well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are not), or npos when text is well-formed.
size_t findInvalidUtf8(std::string_view text);
// A copy with each ill-formed sequence replaced by U+FFFD.
std::string repairUtf8(std::string_view text);
// ISO 8859-1 bytes as UTF-8 (each byte is the code point of the same number).
std::string latin1ToUtf8(std::string_view text);

}  // namespace trialbridge::hl7v2
