#include "hl7v2/escape.h"

#include <algorithm>
#include <charconv>

namespace trialbridge::hl7v2 {

namespace {

// At most this many line breaks for one E.sp nE, so that a number cannot blow up the text.
constexpr unsigned kMaxSpaceLines = 100;

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void warn(core::Issues* issues, const Location* at, size_t offsetInRaw, std::string message) {
  if (issues == nullptr) return;
  Location where = at != nullptr ? *at : Location{};
  where.offset += offsetInRaw;
  issues->add(
      makeIssue(core::Severity::Warning, core::IssueType::Value, std::move(message), where));
}

// Decodes the hexadecimal sequence's digits into out; false when they are not pairs of hex digits.
bool appendHex(std::string& out, std::string_view digits, Charset charset) {
  if (digits.empty() || digits.size() % 2 != 0) return false;
  std::string bytes;
  bytes.reserve(digits.size() / 2);
  for (size_t i = 0; i < digits.size(); i += 2) {
    const int hi = hexDigit(digits[i]);
    const int lo = hexDigit(digits[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes += static_cast<char>(hi * 16 + lo);
  }
  out += charset == Charset::Latin1 ? latin1ToUtf8(bytes) : bytes;
  return true;
}

// The count of a formatting command with an argument (".sp 2" or ".sp2"); 1 when there is none.
unsigned commandCount(std::string_view argument) {
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  unsigned n = 1;
  if (argument.empty()) return n;
  std::from_chars(argument.data(), argument.data() + argument.size(), n);
  return n;
}

// Decodes one sequence (the text between the escape characters); false when it is unknown and
// must stay as written.
bool decodeSequence(std::string& out, std::string_view seq, const Encoding& enc,
                    core::Issues* issues, const Location* at, size_t offset) {
  if (seq.size() == 1) {
    switch (seq[0]) {
      case 'F': out += enc.field; return true;
      case 'S': out += enc.component; return true;
      case 'T': out += enc.subcomponent; return true;
      case 'R': out += enc.repetition; return true;
      case 'E': out += enc.escape; return true;
      case 'P':
        if (enc.truncation == 0) return false;
        out += enc.truncation;
        return true;
      case 'H':
      case 'N': return true;
      default: break;
    }
  }
  if (seq.empty()) return false;
  switch (seq[0]) {
    case 'X':
      if (appendHex(out, seq.substr(1), enc.charset)) return true;
      warn(issues, at, offset,
           "hexadecimal escape sequence with digits that are not pairs of hex "
           "digits, kept as written");
      return false;
    case 'Z':
      warn(issues, at, offset, "locally defined escape sequence (Z) has no meaning here, left out");
      return true;
    case 'C':
    case 'M':
      warn(issues, at, offset,
           "character set switching escape sequences (C, M) are not supported, left out");
      return true;
    case '.': {
      const std::string_view command = seq.substr(1, 2);
      if (command == "br" && seq.size() == 3) {
        out += '\n';
      } else if (command == "sp") {
        out.append(std::min(commandCount(seq.substr(3)), kMaxSpaceLines), '\n');
      } else if (command == "ce") {
        out += '\n';
      } else if (command != "in" && command != "ti" && command != "sk" && command != "fi" &&
                 command != "nf") {
        return false;
      }
      return true;
    }
    default: return false;
  }
}

void unescapeTo(std::string& out, std::string_view raw, const Encoding& enc, core::Issues* issues,
                const Location* at) {
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t start = raw.find(enc.escape, pos);
    if (start == std::string_view::npos) {
      out.append(raw.substr(pos));
      break;
    }
    out.append(raw.substr(pos, start - pos));
    const size_t end = raw.find(enc.escape, start + 1);
    if (end == std::string_view::npos) {
      warn(issues, at, start, "escape character without a closing one, kept as written");
      out.append(raw.substr(start));
      break;
    }
    const std::string_view seq = raw.substr(start + 1, end - start - 1);
    const size_t before = out.size();
    if (!decodeSequence(out, seq, enc, issues, at, start)) {
      out.resize(before);
      if (seq.empty() || seq[0] != 'X') {
        warn(issues, at, start,
             "unknown escape sequence " + std::string(raw.substr(start, end - start + 1)) +
                 ", kept as written");
      }
      out.append(raw.substr(start, end - start + 1));
    }
    pos = end + 1;
  }
}

}  // namespace

std::string unescape(std::string_view raw, const Encoding& enc, core::Issues* issues,
                     const Location* at) {
  if (!hasEscapes(raw, enc)) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  unescapeTo(out, raw, enc, issues, at);
  if (findInvalidUtf8(out) != std::string::npos) {
    warn(issues, at, 0, "hexadecimal escape sequences give bytes that are not UTF-8; replaced");
    out = repairUtf8(out);
  }
  // Control characters other than tab, CR and LF are no text: U+FFFD stands for each.
  bool control = false;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto b = static_cast<unsigned char>(out[i]);
    if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7F) {
      out.replace(i, 1, "\xEF\xBF\xBD");
      i += 2;
      control = true;
    }
  }
  if (control) {
    warn(issues, at, 0, "hexadecimal escape sequences give control characters; replaced");
  }
  return out;
}

std::string escape(std::string_view text, const Encoding& enc) {
  std::string out;
  out.reserve(text.size());
  const auto seq = [&](char letter) {
    out += enc.escape;
    out += letter;
    out += enc.escape;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == enc.escape) {
      seq('E');
    } else if (c == enc.field) {
      seq('F');
    } else if (c == enc.component) {
      seq('S');
    } else if (c == enc.subcomponent) {
      seq('T');
    } else if (c == enc.repetition) {
      seq('R');
    } else if (enc.truncation != 0 && c == enc.truncation) {
      seq('P');
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += enc.escape;
      out += ".br";
      out += enc.escape;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace trialbridge::hl7v2
