#pragma once
// HL7 v2 batches (v2.5.1 chapter 2, 2.10.3): a file of batches of messages,
//   [FHS] { [BHS] { MSH ... } [BTS] } [FTS]
// and the plain concatenation of messages that interface engines write to files. readBatch()
// splits the text into messages (each from its MSH up to the next MSH or batch segment) without
// reading them; each is then read with parseMessage(), with its own delimiters and character set.
// It checks the envelope: BTS-1 (the batch's message count) and FTS-1 (the file's batch count)
// against what is there, a BTS or FTS without its header and a header without its trailer, all
// as warnings (the messages are still usable); a segment that is outside every message (before
// the first MSH) is an error.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/issue.h"
#include "hl7v2/message.h"

namespace trialbridge::hl7v2 {

struct Batch {
  struct Part {
    std::string_view text;  // the message's segments, terminators included
    uint64_t offset = 0;    // in the batch text
    uint32_t line = 0;      // 1-based number of its MSH among the segments of the batch text
  };
  std::vector<Part> messages;
  // The envelope's segments when present, each read as segments with the delimiters of its
  // header (FHS, BHS) or of the first message.
  std::optional<Message> fileHeader, batchHeader, batchTrailer, fileTrailer;
  uint32_t batchCount = 0;  // BHS segments seen
};

// Limits: maxBytes is the whole text; maxSegments bounds the number of messages.
std::optional<Batch> readBatch(std::string_view text, core::Issues& issues,
                               const Limits& limits = {});

}  // namespace trialbridge::hl7v2
