#pragma once
// HL7 v2 escape sequences (v2.5.1 chapter 2, 2.7), with the message's own escape character E:
//   EFE EsE ETE ERE EEE EPE  the field, component, subcomponent, repetition, escape and (v2.7+)
//                            truncation characters
//   EXhh...E                 bytes in hexadecimal, in the message's character set
//   E.brE                    a line break; E.sp nE n line breaks (1 without n); E.ceE a line
//                            break (the text after it is centred)
//   EHE ENE                  start and end of highlighting: no text
//   E.in nE E.ti nE E.sk nE E.fiE E.nfE
//                            other formatting commands: no text
// Decoding gives plain text. What it cannot honour it reports as a warning, when given an issue
// list, and then: locally defined sequences (EZ...E) and the character-set switches (EC...E,
// EM...E) give no text; a sequence it does not know, a hexadecimal one with a digit missing or
// wrong, and an escape character with no closing one stay as written. Decoded text is UTF-8
// (hexadecimal bytes in an ISO 8859-1 message are converted; bytes that do not make UTF-8, and
// control characters other than tab, CR and LF, become U+FFFD, with a warning).
#include <string>
#include <string_view>

#include "core/issue.h"
#include "hl7v2/encoding.h"
#include "hl7v2/location.h"

namespace trialbridge::hl7v2 {

// Whether raw holds the escape character (when it does not, raw is its own decoding).
inline bool hasEscapes(std::string_view raw, const Encoding& enc) {
  return raw.find(enc.escape) != std::string_view::npos;
}

// The plain text of raw. `at` locates raw in the message for warnings (its offset is that of
// raw's first byte); issues may be null.
std::string unescape(std::string_view raw, const Encoding& enc, core::Issues* issues = nullptr,
                     const Location* at = nullptr);

// Text written as a v2 value: each delimiter becomes its escape sequence, a line break E.brE, and
// other control characters a space. Used to write values into messages (ACKs).
std::string escape(std::string_view text, const Encoding& enc);

}  // namespace trialbridge::hl7v2
