#include "hl7v2/encoding.h"

#include "core/text.h"

namespace trialbridge::hl7v2 {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The length of the well-formed UTF-8 sequence at text[pos], or 0 when it is ill-formed
// (Unicode 15, table 3-7).
size_t utf8SequenceLength(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  const unsigned b0 = byte(pos);
  if (b0 < 0x80) return 1;
  const auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    const unsigned b = byte(i);
    return b >= lo && b <= hi && i < text.size();
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(pos + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return cont(pos + 1, lo, hi) && cont(pos + 2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return cont(pos + 1, lo, hi) && cont(pos + 2) && cont(pos + 3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::optional<Charset> charsetByName(std::string_view name) {
  const std::string n = core::asciiLower(trim(name));
  if (n.empty() || n == "ascii" || n == "iso ir6") return Charset::Ascii;
  if (n == "unicode utf-8") return Charset::Utf8;
  if (n == "8859/1" || n == "iso ir100") return Charset::Latin1;
  return std::nullopt;
}

std::string_view charsetName(Charset charset) {
  switch (charset) {
    case Charset::Ascii: return "ASCII";
    case Charset::Utf8: return "UNICODE UTF-8";
    case Charset::Latin1: return "8859/1";
  }
  return "ASCII";
}

std::string Encoding::encodingCharacters() const {
  std::string s{component, repetition, escape, subcomponent};
  if (truncation != 0) s += truncation;
  return s;
}

size_t findInvalidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    // Runs of ASCII are the common case.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t n = utf8SequenceLength(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::string_view::npos;
}

std::string repairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = utf8SequenceLength(text, pos);
    if (n == 0) {
      core::appendUtf8(out, 0xFFFD);
      ++pos;
    } else {
      out.append(text.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

std::string latin1ToUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  return out;
}

}  // namespace trialbridge::hl7v2
