#include "hl7v2/batch.h"

#include <charconv>

namespace trialbridge::hl7v2 {

namespace {

class BatchReader {
 public:
  BatchReader(std::string_view text, core::Issues& issues, const Limits& limits)
      : text_(text), issues_(issues), limits_(limits) {}

  std::optional<Batch> read() {
    if (text_.size() > limits_.maxBytes) {
      issues_.add(core::Severity::Fatal, core::IssueType::TooLong,
                  "the file is " + std::to_string(text_.size()) + " bytes; the limit is " +
                      std::to_string(limits_.maxBytes));
      return std::nullopt;
    }
    size_t pos = text_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    while (pos < text_.size()) {
      if (text_[pos] == '\r' || text_[pos] == '\n') {
        ++pos;
        continue;
      }
      const size_t eol = text_.find_first_of("\r\n", pos);
      const size_t end = eol == std::string_view::npos ? text_.size() : eol;
      ++line_;
      if (!segment(pos, end)) return std::nullopt;
      pos = end;
    }
    closeMessage(text_.size());
    if (inBatch_) warn("BHS", "the batch has no BTS segment at its end");
    if (batch_.fileHeader && !batch_.fileTrailer)
      warn("FHS", "the file has no FTS segment at its end");
    return std::move(batch_);
  }

 private:
  void warn(std::string_view segment, std::string text) {
    Location at;
    at.segment = std::string(segment);
    at.segmentNumber = line_;
    at.offset = lineOffset_;
    issues_.add(
        makeIssue(core::Severity::Warning, core::IssueType::Structure, std::move(text), at));
  }

  void closeMessage(size_t end) {
    if (!open_) return;
    Batch::Part& part = batch_.messages.back();
    part.text = text_.substr(part.offset, end - part.offset);
    open_ = false;
  }

  // One segment of the text at [begin, end); false when a limit stops the reading.
  bool segment(size_t begin, size_t end) {
    lineOffset_ = begin;
    const std::string_view line = text_.substr(begin, end - begin);
    const std::string_view id = line.substr(0, 3);
    if (id == "MSH") {
      closeMessage(begin);
      if (batch_.messages.size() >= limits_.maxSegments) {
        issues_.add(
            core::Severity::Fatal, core::IssueType::TooCostly,
            "the file holds more than " + std::to_string(limits_.maxSegments) + " messages");
        return false;
      }
      batch_.messages.push_back(Batch::Part{{}, begin, line_});
      open_ = true;
      ++inBatchMessages_;
      return true;
    }
    if (id == "FHS" || id == "BHS" || id == "BTS" || id == "FTS") {
      closeMessage(begin);
      envelope(id, line);
      return true;
    }
    if (!open_) {
      Location at;
      at.segmentNumber = line_;
      at.offset = begin;
      if (id.size() == 3) at.segment = std::string(id);
      issues_.add(makeIssue(core::Severity::Error, core::IssueType::Structure,
                            "a segment before the first MSH belongs to no message; left out", at));
    }
    return true;
  }

  std::optional<Message> readEnvelope(std::string_view line) {
    core::Issues local;
    std::optional<Message> m = parseSegments(line, local, limits_, encoding_);
    for (core::Issue issue : local.items()) {
      issue.line = line_;
      if (issue.column > 0) issue.column += static_cast<uint32_t>(lineOffset_);
      issues_.add(std::move(issue));
    }
    if (m && m->segmentCount() > 0 && isHeaderSegment(m->segment(0).id())) {
      encoding_ = m->encoding();
    }
    return m;
  }

  // The count in a trailer's first field, when it is a number.
  static std::optional<uint64_t> count(const std::optional<Message>& m) {
    if (!m || m->segmentCount() == 0) return std::nullopt;
    const std::string text = m->segment(0).field(1).text();
    uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return n;
  }

  void envelope(std::string_view id, std::string_view line) {
    std::optional<Message> m = readEnvelope(line);
    if (id == "FHS") {
      if (batch_.fileHeader) warn(id, "a second FHS: one file has one FHS");
      if (!batch_.fileHeader) batch_.fileHeader = std::move(m);
    } else if (id == "BHS") {
      if (inBatch_) warn(id, "a BHS before the BTS of the batch before it");
      inBatch_ = true;
      inBatchMessages_ = 0;
      ++batch_.batchCount;
      if (!batch_.batchHeader) batch_.batchHeader = std::move(m);
    } else if (id == "BTS") {
      if (!inBatch_) warn(id, "a BTS without a BHS before it");
      const std::optional<uint64_t> declared = count(m);
      if (declared && *declared != inBatchMessages_) {
        warn(id, "BTS-1 says the batch has " + std::to_string(*declared) + " messages; it has " +
                     std::to_string(inBatchMessages_));
      }
      inBatch_ = false;
      if (!batch_.batchTrailer) batch_.batchTrailer = std::move(m);
    } else {
      if (!batch_.fileHeader) warn(id, "an FTS without an FHS before it");
      const std::optional<uint64_t> declared = count(m);
      if (declared && *declared != batch_.batchCount) {
        warn(id, "FTS-1 says the file has " + std::to_string(*declared) + " batches; it has " +
                     std::to_string(batch_.batchCount));
      }
      if (!batch_.fileTrailer) batch_.fileTrailer = std::move(m);
    }
  }

  std::string_view text_;
  core::Issues& issues_;
  const Limits& limits_;
  Batch batch_;
  Encoding encoding_;
  bool open_ = false;
  bool inBatch_ = false;
  uint64_t inBatchMessages_ = 0;
  uint32_t line_ = 0;
  size_t lineOffset_ = 0;
};

}  // namespace

std::optional<Batch> readBatch(std::string_view text, core::Issues& issues, const Limits& limits) {
  return BatchReader(text, issues, limits).read();
}

}  // namespace trialbridge::hl7v2
