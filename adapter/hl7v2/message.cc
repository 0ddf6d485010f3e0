#include "hl7v2/message.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "hl7v2/escape.h"

namespace trialbridge::hl7v2 {

namespace detail {

struct SegmentEntry {
  const char* data = nullptr;  // the segment's first byte
  uint32_t length = 0;
  uint32_t offset = 0;  // in the message
  uint32_t number = 0;
  uint32_t occurrence = 0;
  uint32_t firstPart = 0;  // in MessageData::partStarts: the parts after the id
  uint32_t partCount = 0;
  std::array<char, 3> id{};
  bool header = false;  // MSH, FHS, BHS: field 1 is the separator itself
};

struct MessageData {
  std::string owned;  // the text, when it had to be converted
  bool ownsText = false;
  std::string_view text;
  Encoding encoding;
  std::vector<SegmentEntry> segments;
  // For each part (the text between field separators after the segment id), the offset of its
  // first byte in its segment.
  std::vector<uint32_t> partStarts;
};

}  // namespace detail

using detail::MessageData;
using detail::SegmentEntry;

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The n-th (1-based) part of s split at sep, the scan ending at the first `stop` (a higher
// delimiter: a field's first repetition is read without splitting the field at its
// repetitions first); an empty view where the scan ended when there are fewer parts. One pass
// over the bytes: values are short, and a call to find() per separator costs more than the
// scan.
std::string_view nthPart(std::string_view s, char sep, size_t n, char stop) {
  if (n == 0) n = 1;
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* start = p;
  size_t part = 1;
  for (; p != end; ++p) {
    if (*p == sep) {
      if (part == n) break;
      ++part;
      start = p + 1;
    } else if (*p == stop) {
      break;
    }
  }
  if (part != n) return {p, 0};
  return {start, static_cast<size_t>(p - start)};
}

std::string_view nthPart(std::string_view s, char sep, size_t n) { return nthPart(s, sep, n, sep); }

size_t countParts(std::string_view s, char sep) {
  if (s.empty()) return 0;
  return static_cast<size_t>(std::count(s.begin(), s.end(), sep)) + 1;
}

bool isIdStart(char c) { return c >= 'A' && c <= 'Z'; }
bool isIdChar(char c) { return isIdStart(c) || (c >= '0' && c <= '9'); }

// A delimiter must be a printable ASCII character that is not a letter, digit or space.
bool isDelimiterChar(char c) {
  return c > 0x20 && c < 0x7F && !isIdChar(c) && !(c >= 'a' && c <= 'z');
}

uint32_t toU32(size_t n) { return static_cast<uint32_t>(n); }

}  // namespace

// ---- Value ----------------------------------------------------------------------------------

Value Value::child(std::string_view raw, Level level, uint16_t index) const {
  Value v = *this;
  v.raw_ = raw;
  v.level_ = level;
  switch (level) {
    case Level::Field: break;
    case Level::Repetition: v.repetition_ = index; break;
    case Level::Component: v.component_ = index; break;
    case Level::Subcomponent: v.subcomponent_ = index; break;
  }
  return v;
}

size_t Value::repetitionCount() const {
  if (level_ != Level::Field || literal_ || encoding_ == nullptr) return empty() ? 0 : 1;
  return countParts(raw_, encoding_->repetition);
}

Value Value::repetition(size_t n) const {
  if (n == 0) return child(raw_.substr(raw_.size()), Level::Repetition, 0);
  if (level_ != Level::Field || literal_ || encoding_ == nullptr) {
    return n == 1 ? *this : child(raw_.substr(raw_.size()), level_, 0);
  }
  return child(nthPart(raw_, encoding_->repetition, n), Level::Repetition,
               static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX)));
}

size_t Value::componentCount() const {
  if (literal_) return empty() ? 0 : 1;
  if (level_ == Level::Field) return repetition(1).componentCount();
  if (level_ != Level::Repetition || literal_ || encoding_ == nullptr) return empty() ? 0 : 1;
  return countParts(raw_, encoding_->component);
}

Value Value::component(size_t n) const {
  if (level_ == Level::Field && !literal_ && encoding_ != nullptr && n != 0) {
    // The component of the first repetition, in one pass (the same as repetition(1).component(n)).
    Value v = child(nthPart(raw_, encoding_->component, n, encoding_->repetition), Level::Component,
                    static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX)));
    v.repetition_ = 1;
    return v;
  }
  if (level_ == Level::Field && !literal_) return repetition(1).component(n);
  if (level_ != Level::Repetition || literal_ || encoding_ == nullptr || n == 0) {
    return n == 1 ? *this : child(raw_.substr(raw_.size()), level_, 0);
  }
  return child(nthPart(raw_, encoding_->component, n), Level::Component,
               static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX)));
}

size_t Value::subcomponentCount() const {
  if (literal_) return empty() ? 0 : 1;
  if (level_ == Level::Field || level_ == Level::Repetition)
    return component(1).subcomponentCount();
  if (level_ != Level::Component || literal_ || encoding_ == nullptr) return empty() ? 0 : 1;
  return countParts(raw_, encoding_->subcomponent);
}

Value Value::subcomponent(size_t n) const {
  if ((level_ == Level::Field || level_ == Level::Repetition) && !literal_) {
    return component(1).subcomponent(n);
  }
  if (level_ != Level::Component || literal_ || encoding_ == nullptr || n == 0) {
    return n == 1 ? *this : child(raw_.substr(raw_.size()), level_, 0);
  }
  return child(nthPart(raw_, encoding_->subcomponent, n), Level::Subcomponent,
               static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX)));
}

// ---- Parts --------------------------------------------------------------------------------

Parts::Parts(const Value& composite, bool sub) : composite_(composite), sub_(sub) {
  const Value::Level level = composite.level_;
  splits_ = !composite.literal_ && composite.encoding_ != nullptr &&
            (sub ? level != Value::Level::Subcomponent
                 : level == Value::Level::Field || level == Value::Level::Repetition);
  if (!splits_) return;
  split_ = level == Value::Level::Field ? composite.repetition(1) : composite;
  if (sub && split_.level_ == Value::Level::Repetition) split_ = split_.component(1);
  const char sep = sub ? composite.encoding_->subcomponent : composite.encoding_->component;
  const std::string_view raw = split_.raw_;
  for (size_t i = 0; i < raw.size() && count_ < kKept; ++i) {
    if (raw[i] == sep) ends_[count_++] = static_cast<uint32_t>(i);
  }
  if (count_ < kKept) ends_[count_++] = static_cast<uint32_t>(raw.size());
}

Value Parts::part(size_t n) const {
  if (!splits_ || n == 0 || (n > count_ && count_ == kKept)) {
    return sub_ ? composite_.subcomponent(n) : composite_.component(n);
  }
  const Value::Level level = sub_ ? Value::Level::Subcomponent : Value::Level::Component;
  const auto index = static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX));
  const std::string_view raw = split_.raw_;
  if (n > count_) return split_.child(raw.substr(raw.size()), level, index);
  const size_t begin = n == 1 ? 0 : ends_[n - 2] + 1;
  return split_.child(raw.substr(begin, ends_[n - 1] - begin), level, index);
}

std::string Value::text(core::Issues* issues) const {
  if (literal_ || encoding_ == nullptr || isNull()) {
    return isNull() && !literal_ ? std::string() : std::string(raw_);
  }
  if (issues == nullptr || !hasEscapes(raw_, *encoding_)) return unescape(raw_, *encoding_);
  const Location at = location();
  return unescape(raw_, *encoding_, issues, &at);
}

uint64_t Value::offset() const {
  if (segment_ == nullptr) return 0;
  return segment_->offset + static_cast<uint64_t>(raw_.data() - segment_->data);
}

Location Value::location() const {
  Location at;
  if (segment_ == nullptr) return at;
  at.segment.assign(segment_->id.data(), 3);
  at.occurrence = segment_->occurrence;
  at.segmentNumber = segment_->number;
  at.field = field_;
  at.repetition = level_ == Level::Field ? 1 : repetition_;
  at.component = component_;
  at.subcomponent = subcomponent_;
  at.offset = offset();
  return at;
}

// ---- Segment --------------------------------------------------------------------------------

std::string_view Segment::id() const { return {entry_->id.data(), 3}; }
uint32_t Segment::number() const { return entry_->number; }
uint32_t Segment::occurrence() const { return entry_->occurrence; }
std::string_view Segment::raw() const { return {entry_->data, entry_->length}; }
uint64_t Segment::offset() const { return entry_->offset; }

size_t Segment::fieldCount() const { return entry_->partCount + (entry_->header ? 1 : 0); }

Value Segment::field(size_t n) const {
  const Encoding* enc = &data_->encoding;
  const auto field16 = static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX));
  const std::string_view all = raw();
  if (entry_->header && n == 1 && all.size() > 3) {
    return Value(all.substr(3, 1), entry_, enc, Value::Level::Field, 1, 1, 0, 0, true);
  }
  const size_t part = entry_->header ? n - 2 : n - 1;  // index among the parts after the id
  if (n == 0 || (entry_->header && n < 2) || part >= entry_->partCount) {
    return Value(all.substr(all.size()), entry_, enc, Value::Level::Field, field16, 1, 0, 0, false);
  }
  const uint32_t* starts = data_->partStarts.data() + entry_->firstPart;
  const size_t begin = starts[part];
  const size_t end = part + 1 < entry_->partCount ? starts[part + 1] - 1 : entry_->length;
  const bool literal = entry_->header && n == 2;
  return Value(all.substr(begin, end - begin), entry_, enc, Value::Level::Field, field16, 1, 0, 0,
               literal);
}

Location Segment::location(uint32_t field) const {
  Location at;
  at.segment = std::string(id());
  at.occurrence = entry_->occurrence;
  at.segmentNumber = entry_->number;
  at.field = field;
  at.offset = field == 0 ? entry_->offset : this->field(field).offset();
  return at;
}

// ---- Reading ---------------------------------------------------------------------------------

// Reads text into a MessageData: the delimiters, the character set and the index of segments and
// parts.
class MessageReader {
 public:
  MessageReader(core::Issues& issues, const Limits& limits) : issues_(issues), limits_(limits) {}

  // `owned`, when given, is the text to keep (text is a view of it).
  std::optional<Message> read(std::string_view text, bool requireMsh, const Encoding& fallback,
                              std::string* owned = nullptr) {
    // Offsets are 32-bit: no limit above 4 GiB.
    const size_t maxBytes = std::min<size_t>(limits_.maxBytes, UINT32_MAX);
    if (text.size() > maxBytes) {
      fatal(core::IssueType::TooLong, "the message is " + std::to_string(text.size()) +
                                          " bytes; the limit is " + std::to_string(maxBytes));
      return std::nullopt;
    }
    if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
    while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
    auto data = std::make_unique<MessageData>();
    if (owned != nullptr) {
      const size_t skipped = static_cast<size_t>(text.data() - owned->data());
      data->owned = std::move(*owned);
      data->ownsText = true;
      text = std::string_view(data->owned).substr(skipped, text.size());
    }
    data->text = text;
    data->encoding = fallback;
    const std::string_view first = text.substr(0, 3);
    if (requireMsh && first != "MSH") {
      fatal(core::IssueType::Structure, text.empty()
                                            ? "the message is empty"
                                            : "a message must start with an MSH segment, not '" +
                                                  printable(text.substr(0, 8)) + "'");
      return std::nullopt;
    }
    data->encoding.charset = Charset::Utf8;
    if (isHeaderSegment(first)) {
      if (!readDelimiters(text, data->encoding)) return std::nullopt;
      if (first == "MSH") readCharset(*data);
    }
    // Most messages are ASCII without control characters: then there is nothing to convert or
    // replace, and one quick pass shows it.
    const bool plain = isPlainAscii(data->text);
    const uint64_t badByte = plain ? UINT64_MAX : convertText(*data);
    const uint64_t control = plain ? UINT64_MAX : replaceControls(*data);
    if (!index(*data, requireMsh)) return std::nullopt;
    Message message(std::move(data));
    if (badByte != UINT64_MAX) reportBadByte(message, badByte);
    if (control != UINT64_MAX) {
      error(core::IssueType::Value,
            "byte " + std::to_string(control) +
                " is a control character, which HL7 v2 text may not hold (only escape sequences "
                "may carry them); replaced with '?'",
            message.locate(control));
    }
    return message;
  }

 private:
  void fatal(core::IssueType type, std::string text, const Location& at = {}) {
    issues_.add(makeIssue(core::Severity::Fatal, type, std::move(text), at));
  }
  void error(core::IssueType type, std::string text, const Location& at) {
    issues_.add(makeIssue(core::Severity::Error, type, std::move(text), at));
  }

  static std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '\r' || c == '\n') break;
      out +=
          (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) ? '?' : c;
    }
    return out;
  }

  static Location headerLocation(std::string_view text, uint32_t field, uint64_t offset) {
    Location at;
    at.segment = std::string(text.substr(0, 3));
    at.field = field;
    at.segmentNumber = 1;
    at.offset = offset;
    return at;
  }

  // MSH-1 and MSH-2 (or FHS's, BHS's).
  bool readDelimiters(std::string_view text, Encoding& enc) {
    const std::string_view id = text.substr(0, 3);
    if (text.size() < 8) {
      fatal(core::IssueType::Structure,
            std::string(id) +
                " is too short to hold the field separator and the encoding "
                "characters",
            headerLocation(text, 0, 0));
      return false;
    }
    enc.field = text[3];
    if (!isDelimiterChar(enc.field)) {
      fatal(core::IssueType::Value,
            std::string(id) +
                "-1, the field separator, must be a printable character other "
                "than a letter, digit or space",
            headerLocation(text, 1, 3));
      return false;
    }
    size_t end = 4;
    while (end < text.size() && text[end] != enc.field && text[end] != '\r' && text[end] != '\n')
      ++end;
    const std::string_view chars = text.substr(4, end - 4);
    const Location at = headerLocation(text, 2, 4);
    if (chars.size() < 4 || chars.size() > 5) {
      fatal(core::IssueType::Value,
            std::string(id) +
                "-2 must hold 4 encoding characters (component, repetition, escape, "
                "subcomponent) and, from v2.7, the truncation character; it holds " +
                std::to_string(chars.size()),
            at);
      return false;
    }
    std::string seen(1, enc.field);
    for (char c : chars) {
      if (!isDelimiterChar(c) || seen.find(c) != std::string::npos) {
        fatal(core::IssueType::Value,
              std::string(id) +
                  "-2: the delimiters must be distinct printable characters other "
                  "than letters, digits and space; '" +
                  printable(std::string_view(&c, 1)) + "' is not",
              at);
        return false;
      }
      seen += c;
    }
    enc.component = chars[0];
    enc.repetition = chars[1];
    enc.escape = chars[2];
    enc.subcomponent = chars[3];
    enc.truncation = chars.size() == 5 ? chars[4] : 0;
    return true;
  }

  // MSH-18, read from the first line before anything else (its bytes are ASCII in every charset
  // trialbridge reads).
  void readCharset(MessageData& data) {
    const std::string_view text = data.text;
    const size_t eol = text.find_first_of("\r\n");
    const std::string_view line = text.substr(0, eol);
    // MSH-18 is the 17th part after the id ("MSH" then MSH-2 is part 1).
    const std::string_view field18 =
        nthPart(line.substr(std::min<size_t>(4, line.size())), data.encoding.field, 17);
    const std::string_view first =
        nthPart(nthPart(field18, data.encoding.repetition, 1), data.encoding.component, 1);
    const std::optional<Charset> charset = charsetByName(first);
    if (charset) {
      data.encoding.charset = *charset;
      return;
    }
    Location at = headerLocation(text, 18, static_cast<uint64_t>(first.data() - text.data()));
    error(core::IssueType::NotSupported,
          "MSH-18: the character set '" + printable(first) +
              "' is not supported (trialbridge reads ASCII, UNICODE UTF-8 and 8859/1)",
          at);
    data.encoding.charset = Charset::Ascii;
  }

  // Makes data.text UTF-8: ISO 8859-1 is converted; ill-formed UTF-8 is replaced byte for byte
  // with '?' (so that offsets stay) and its first offset returned; UINT64_MAX when there is none.
  uint64_t convertText(MessageData& data) {
    const std::string_view text = data.text;
    const auto nonAscii = std::find_if(
        text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (nonAscii == text.end()) return UINT64_MAX;
    if (data.encoding.charset == Charset::Latin1) {
      data.owned = latin1ToUtf8(text);
      data.ownsText = true;
      data.text = data.owned;
      return UINT64_MAX;
    }
    const size_t bad = findInvalidUtf8(text);
    if (data.encoding.charset == Charset::Ascii && bad == std::string_view::npos) {
      asciiButUtf8_ = static_cast<uint64_t>(nonAscii - text.begin());
      return UINT64_MAX;
    }
    if (bad == std::string_view::npos) return UINT64_MAX;
    data.owned = std::string(text);
    for (size_t pos = bad; pos < data.owned.size();) {
      const size_t next = findInvalidUtf8(std::string_view(data.owned).substr(pos));
      if (next == std::string_view::npos) break;
      data.owned[pos + next] = '?';
      pos += next + 1;
    }
    data.ownsText = true;
    data.text = data.owned;
    return bad;
  }

  static bool isPlainByte(char ch) {
    const auto b = static_cast<unsigned char>(ch);
    return b < 0x7F && (b >= 0x20 || b == '\t' || b == '\r' || b == '\n');
  }

  // No byte outside ASCII and no control character other than tab, CR and LF. Eight bytes at a
  // time: a word with a byte at or above 0x80 is not plain; a word that may hold a byte below
  // 0x20 (a CR ends every segment) or 0x7F is looked at byte by byte (the word tests have false
  // positives, never false negatives).
  static bool isPlainAscii(std::string_view text) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = kOnes * 0x80;
    size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, text.data() + i, sizeof w);
      if ((w & kHigh) != 0) return false;
      const uint64_t below20 = (w - kOnes * 0x20) & ~w & kHigh;
      const uint64_t del = w ^ (kOnes * 0x7F);
      const uint64_t is7f = (del - kOnes) & ~del & kHigh;
      if ((below20 | is7f) != 0 &&
          !std::all_of(text.data() + i, text.data() + i + 8, isPlainByte)) {
        return false;
      }
    }
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), isPlainByte);
  }

  // Control characters other than tab, CR and LF (segment terminators) are replaced with '?'
  // in place; the offset of the first, or UINT64_MAX when there is none.
  static uint64_t replaceControls(MessageData& data) {
    const auto isControl = [](char ch) {
      const auto b = static_cast<unsigned char>(ch);
      return (b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7F;
    };
    const std::string_view text = data.text;
    const auto first = std::find_if(text.begin(), text.end(), isControl);
    if (first == text.end()) return UINT64_MAX;
    const auto offset = static_cast<uint64_t>(first - text.begin());
    if (!data.ownsText) {
      data.owned = std::string(text);
      data.ownsText = true;
      data.text = data.owned;
    }
    for (size_t i = offset; i < data.owned.size(); ++i) {
      if (isControl(data.owned[i])) data.owned[i] = '?';
    }
    return offset;
  }

  void reportBadByte(const Message& message, uint64_t offset) {
    const Charset charset = message.encoding().charset;
    std::string text = "byte " + std::to_string(offset) + " is not part of well-formed UTF-8";
    text += charset == Charset::Utf8
                ? " although MSH-18 says UNICODE UTF-8"
                : "; MSH-18 does not name a character set, so the message must be ASCII or "
                  "UTF-8 (an ISO 8859-1 message says 8859/1 in MSH-18)";
    text += "; replaced with '?'";
    error(core::IssueType::Value, std::move(text), message.locate(offset));
  }

  // Locates segments and parts; false (with a fatal issue) when a limit is passed.
  bool index(MessageData& data, bool requireMsh) {
    const std::string_view text = data.text;
    const Encoding& enc = data.encoding;
    std::array<bool, 256> special{};
    special['\r'] = special['\n'] = true;
    special[static_cast<unsigned char>(enc.field)] = true;
    special[static_cast<unsigned char>(enc.repetition)] = true;
    std::vector<std::pair<std::array<char, 3>, uint32_t>> occurrences;
    const char* t = text.data();
    const size_t n = text.size();
    uint32_t number = 0;
    size_t pos = 0;
    data.partStarts.reserve(n / 8);
    while (pos < n) {
      if (t[pos] == '\r' || t[pos] == '\n') {
        ++pos;
        continue;
      }
      const size_t begin = pos;
      const size_t partsBefore = data.partStarts.size();
      uint32_t repetitions = 1;
      bool tooManyRepetitions = false;
      while (pos < n) {
        while (pos < n && !special[static_cast<unsigned char>(t[pos])]) ++pos;
        if (pos == n || t[pos] == '\r' || t[pos] == '\n') break;
        if (t[pos] == enc.field) {
          data.partStarts.push_back(toU32(pos + 1 - begin));
          repetitions = 1;
        } else if (++repetitions > limits_.maxRepetitions) {
          tooManyRepetitions = true;
        }
        ++pos;
      }
      ++number;
      if (number > limits_.maxSegments) {
        fatal(core::IssueType::TooCostly,
              "the message has more than " + std::to_string(limits_.maxSegments) + " segments");
        return false;
      }
      SegmentEntry e;
      e.data = t + begin;
      e.length = toU32(pos - begin);
      e.offset = toU32(begin);
      e.number = number;
      e.firstPart = toU32(partsBefore);
      e.partCount = toU32(data.partStarts.size() - partsBefore);
      const std::string_view line(e.data, e.length);
      if (!checkId(line, enc, number, begin)) {
        data.partStarts.resize(partsBefore);
        continue;
      }
      std::memcpy(e.id.data(), e.data, 3);
      e.header = isHeaderSegment(line.substr(0, 3));
      e.occurrence = 1;
      auto it = std::find_if(occurrences.begin(), occurrences.end(),
                             [&](const auto& o) { return o.first == e.id; });
      if (it == occurrences.end()) {
        occurrences.push_back({e.id, 1});
      } else {
        e.occurrence = ++it->second;
      }
      if (e.partCount > limits_.maxFields) {
        error(core::IssueType::TooCostly,
              "the segment has " + std::to_string(e.partCount) + " fields; the limit is " +
                  std::to_string(limits_.maxFields) + " (the rest are left out)",
              entryLocation(e));
        e.partCount = limits_.maxFields;
      }
      data.segments.push_back(e);
      if (tooManyRepetitions) reportRepetitions(data, data.segments.back());
      if (requireMsh && e.header && data.segments.size() > 1) {
        error(core::IssueType::Structure,
              "a second " + std::string(line.substr(0, 3)) +
                  " segment: the text holds more than one message (a batch file is read "
                  "message by message)",
              entryLocation(e));
      }
    }
    return true;
  }

  static Location entryLocation(const SegmentEntry& e) {
    Location at;
    at.segment.assign(e.id.data(), 3);
    at.occurrence = e.occurrence;
    at.segmentNumber = e.number;
    at.offset = e.offset;
    return at;
  }

  bool checkId(std::string_view line, const Encoding& enc, uint32_t number, size_t offset) {
    const bool ok = line.size() >= 3 && isIdStart(line[0]) && isIdChar(line[1]) &&
                    isIdChar(line[2]) && (line.size() == 3 || line[3] == enc.field);
    if (ok) return true;
    Location at;
    at.segmentNumber = number;
    at.offset = offset;
    // The location names no segment (there is none); the text says where.
    issues_.add(core::Issue{
        core::Severity::Error, core::IssueType::Structure,
        "segment " + std::to_string(number) + " (byte " + std::to_string(offset) +
            ") does not start with a segment id " +
            "(three upper-case letters or digits, then the field separator): '" +
            printable(line.substr(0, 20)) + "'; a line break inside a field? It is left out",
        "", number, static_cast<uint32_t>(offset + 1)});
    return false;
  }

  void reportRepetitions(const MessageData& data, const SegmentEntry& e) {
    const Segment segment = Message::segmentOf(data, e);
    for (size_t f = 1; f <= segment.fieldCount(); ++f) {
      const Value v = segment.field(f);
      if (v.repetitionCount() > limits_.maxRepetitions) {
        error(core::IssueType::TooCostly,
              "the field repeats " + std::to_string(v.repetitionCount()) + " times; the limit is " +
                  std::to_string(limits_.maxRepetitions),
              v.location());
      }
    }
  }

  core::Issues& issues_;
  const Limits& limits_;
  uint64_t asciiButUtf8_ = UINT64_MAX;

 public:
  // A message that declares no character set (or ASCII) but holds UTF-8 is read as UTF-8, the
  // usual practice of senders; the caller gets a warning.
  void warnUndeclaredUtf8(const Message& message) {
    if (asciiButUtf8_ == UINT64_MAX) return;
    issues_.add(makeIssue(core::Severity::Warning, core::IssueType::Value,
                          "bytes outside ASCII (the first at byte " +
                              std::to_string(asciiButUtf8_) +
                              ") but MSH-18 does not say UNICODE UTF-8; read as UTF-8",
                          message.locate(asciiButUtf8_)));
  }
};

// ---- Message --------------------------------------------------------------------------------

Message::Message(std::unique_ptr<MessageData> data) : data_(std::move(data)) {}
Message::Message(Message&&) noexcept = default;
Message& Message::operator=(Message&&) noexcept = default;
Message::~Message() = default;

std::string_view Message::text() const { return data_->text; }
bool Message::ownsText() const { return data_->ownsText; }
const Encoding& Message::encoding() const { return data_->encoding; }
size_t Message::segmentCount() const { return data_->segments.size(); }

Segment Message::segment(size_t index) const {
  return Segment(data_.get(), &data_->segments.at(index));
}

Segment Message::segmentOf(const MessageData& data, const SegmentEntry& entry) {
  return Segment(&data, &entry);
}

std::optional<Segment> Message::find(std::string_view id, uint32_t occurrence) const {
  for (const SegmentEntry& e : data_->segments) {
    if (std::string_view(e.id.data(), 3) == id && e.occurrence == occurrence) {
      return Segment(data_.get(), &e);
    }
  }
  return std::nullopt;
}

Location Message::locate(uint64_t offset) const {
  const auto& segs = data_->segments;
  auto it = std::upper_bound(segs.begin(), segs.end(), offset,
                             [](uint64_t o, const SegmentEntry& e) { return o < e.offset; });
  Location at;
  at.offset = offset;
  if (it == segs.begin()) return at;
  const SegmentEntry& e = *(it - 1);
  if (offset > static_cast<uint64_t>(e.offset) + e.length) return at;
  const Segment s(data_.get(), &e);
  at = s.location();
  at.offset = offset;
  for (size_t f = s.fieldCount(); f >= 1; --f) {
    if (s.field(f).offset() <= offset) {
      at.field = static_cast<uint32_t>(f);
      break;
    }
  }
  return at;
}

std::string Message::messageType() const { return header().field(9).component(1).text(); }
std::string Message::triggerEvent() const { return header().field(9).component(2).text(); }
std::string Message::controlId() const { return header().field(10).text(); }
std::string Message::version() const { return header().field(12).component(1).text(); }

std::optional<Message> parseMessage(std::string_view text, core::Issues& issues,
                                    const Limits& limits) {
  MessageReader reader(issues, limits);
  std::optional<Message> message = reader.read(text, true, Encoding{});
  if (message) reader.warnUndeclaredUtf8(*message);
  return message;
}

std::optional<Message> parseMessage(std::string&& text, core::Issues& issues,
                                    const Limits& limits) {
  MessageReader reader(issues, limits);
  std::optional<Message> message = reader.read(text, true, Encoding{}, &text);
  if (message) reader.warnUndeclaredUtf8(*message);
  return message;
}

std::optional<Message> parseSegments(std::string_view text, core::Issues& issues,
                                     const Limits& limits, const Encoding& fallback) {
  MessageReader reader(issues, limits);
  std::optional<Message> message = reader.read(text, false, fallback);
  if (message) reader.warnUndeclaredUtf8(*message);
  return message;
}

}  // namespace trialbridge::hl7v2
