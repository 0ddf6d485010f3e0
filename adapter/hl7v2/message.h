#pragma once
// An HL7 v2 message (v2.3 to v2.8.2, ER7 "pipe" encoding), read lazily and without copying.
//
// parseMessage() reads the delimiters from MSH-1 and MSH-2 (any the sender chose), the character
// set from MSH-18, and locates every segment and field once; repetitions, components and
// subcomponents are split, and escape sequences decoded, only when a Value asks. The message text
// is not copied unless it must be converted (ISO 8859-1 to UTF-8, or ill-formed bytes replaced),
// so the caller keeps the text alive as long as the Message and its Values when parseMessage did
// not copy it (Message::ownsText() says which).
//
// Segments end at CR (the standard), LF or CR LF; empty lines are skipped. Any segment with a
// well-formed id is kept, Z-segments included. A field that is empty is not present; a field of
// exactly "" (two double quotes) is an explicit null, which a receiver reads as "delete the value"
// (Value::isNull()). Every value handed out is valid UTF-8 without control characters other than
// tab, CR and LF (a control character in the text is an error, and is replaced with '?').
//
// Problems are issues (hl7v2/location.h says what their location, line and column mean). Reading
// gives no Message (nullopt) only when there is no usable MSH (it does not start the text, or its
// delimiters are malformed) or a limit is passed; otherwise a Message comes back even with errors,
// so that an ACK can answer it, and the caller must not use a message whose issues have errors
// for anything else.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"
#include "hl7v2/encoding.h"
#include "hl7v2/location.h"

namespace trialbridge::hl7v2 {

struct Limits {
  size_t maxBytes = 16u * 1024u * 1024u;  // the whole message
  uint32_t maxSegments = 10000;
  uint32_t maxFields = 256;        // in one segment
  uint32_t maxRepetitions = 1000;  // of one field
};

namespace detail {
struct SegmentEntry;
struct MessageData;
}  // namespace detail

// A field, one repetition of it, a component or a subcomponent. Cheap to copy; valid while its
// Message lives. Numbers are 1-based as in the standard. Asking a value for a deeper level than
// it has gives the value itself for part 1 and an empty value for the others (PID-8.1 of "F" is
// "F"), as receivers conventionally read them.
class Value {
 public:
  enum class Level : uint8_t { Field, Repetition, Component, Subcomponent };

  Value() = default;
  // The value as written, escape sequences and lower delimiters included.
  std::string_view raw() const { return raw_; }
  Level level() const { return level_; }
  // Not present (nothing written).
  bool empty() const { return raw_.empty(); }
  // The explicit null "".
  bool isNull() const { return raw_.size() == 2 && raw_[0] == '"' && raw_[1] == '"'; }
  // Present and not null.
  bool hasValue() const { return !empty() && !isNull(); }

  // 0 for an empty field.
  size_t repetitionCount() const;
  Value repetition(size_t n) const;
  size_t componentCount() const;
  // On a field: the component of its first repetition.
  Value component(size_t n) const;
  size_t subcomponentCount() const;
  // On a field or repetition: the subcomponent of its first component.
  Value subcomponent(size_t n) const;

  // The decoded text (escape.h); warnings about escape sequences go to issues when given. The
  // null "" gives "".
  std::string text(core::Issues* issues = nullptr) const;

  Location location() const;
  // The byte offset of the value in the message.
  uint64_t offset() const;

 private:
  friend class Segment;
  friend class Parts;
  Value(std::string_view raw, const detail::SegmentEntry* segment, const Encoding* encoding,
        Level level, uint16_t field, uint16_t repetition, uint16_t component, uint16_t subcomponent,
        bool literal)
      : raw_(raw),
        segment_(segment),
        encoding_(encoding),
        field_(field),
        repetition_(repetition),
        component_(component),
        subcomponent_(subcomponent),
        level_(level),
        literal_(literal) {}
  Value child(std::string_view raw, Level level, uint16_t index) const;

  std::string_view raw_;
  const detail::SegmentEntry* segment_ = nullptr;
  const Encoding* encoding_ = nullptr;
  uint16_t field_ = 0, repetition_ = 1, component_ = 0, subcomponent_ = 0;
  Level level_ = Level::Field;
  bool literal_ = false;  // MSH-1 and MSH-2: never split nor decoded
};

// A composite split once, for reading its parts one by one without splitting it again for each:
// without `sub` its components (of the first repetition of a field), with `sub` its subcomponents
// (of the first component of a field or repetition). part(n) is the Value component(n) or
// subcomponent(n) of the composite gives. Valid while the composite's Message lives.
class Parts {
 public:
  explicit Parts(const Value& composite, bool sub = false);
  Value part(size_t n) const;

 private:
  static constexpr size_t kKept = 24;  // parts found past these are asked of the composite
  Value composite_;
  Value split_;  // the value split: the first repetition, or its first component
  bool sub_ = false;
  bool splits_ = false;     // false when the composite has no such parts (MSH-2, a subcomponent)
  uint8_t count_ = 0;       // parts located, up to kKept
  uint32_t ends_[kKept]{};  // where part n ends (offset in split_'s text), for n <= count_
};

class Segment {
 public:
  std::string_view id() const;
  // Position in the message (1-based: MSH is 1) and among the segments with the same id.
  uint32_t number() const;
  uint32_t occurrence() const;
  // The number of the last field present (trailing empty fields may or may not be written).
  size_t fieldCount() const;
  // Field n (1-based). In MSH, FHS and BHS, field 1 is the field separator and field 2 the
  // encoding characters, both as written. A field beyond fieldCount() is empty.
  Value field(size_t n) const;
  // The segment as written, without its terminator.
  std::string_view raw() const;
  uint64_t offset() const;
  Location location(uint32_t field = 0) const;

 private:
  friend class Message;
  Segment(const detail::MessageData* data, const detail::SegmentEntry* entry)
      : data_(data), entry_(entry) {}
  const detail::MessageData* data_;
  const detail::SegmentEntry* entry_;
};

class Message {
 public:
  Message(Message&&) noexcept;
  Message& operator=(Message&&) noexcept;
  ~Message();

  std::string_view text() const;
  bool ownsText() const;
  const Encoding& encoding() const;

  size_t segmentCount() const;
  Segment segment(size_t index) const;  // 0-based; segment(0) is MSH
  Segment header() const { return segment(0); }
  // The occurrence-th segment with this id, or nullopt.
  std::optional<Segment> find(std::string_view id, uint32_t occurrence = 1) const;
  // The segment (and field) holding the byte at offset.
  Location locate(uint64_t offset) const;

  // Header fields every receiver needs, decoded.
  std::string messageType() const;   // MSH-9.1 (ORU)
  std::string triggerEvent() const;  // MSH-9.2 (R01)
  std::string controlId() const;     // MSH-10
  std::string version() const;       // MSH-12.1 (2.5.1)

 private:
  friend class MessageReader;
  explicit Message(std::unique_ptr<detail::MessageData> data);
  static Segment segmentOf(const detail::MessageData& data, const detail::SegmentEntry& entry);
  std::unique_ptr<detail::MessageData> data_;
};

std::optional<Message> parseMessage(std::string_view text, core::Issues& issues,
                                    const Limits& limits = {});
// The same, the Message keeping the text (a temporary string cannot be left dangling).
std::optional<Message> parseMessage(std::string&& text, core::Issues& issues,
                                    const Limits& limits = {});
inline std::optional<Message> parseMessage(const char* text, core::Issues& issues,
                                           const Limits& limits = {}) {
  return parseMessage(std::string_view(text), issues, limits);
}

// Segments that need not be a message (the FHS, BHS, BTS and FTS of a batch): the delimiters come
// from the first segment when it is a header segment (MSH, FHS, BHS), otherwise from `fallback`;
// the text is read as UTF-8 (ill-formed bytes are an error). nullopt as parseMessage.
std::optional<Message> parseSegments(std::string_view text, core::Issues& issues,
                                     const Limits& limits = {}, const Encoding& fallback = {});

// Whether a segment id is a header segment, whose first two fields are the delimiters.
inline bool isHeaderSegment(std::string_view id) {
  return id == "MSH" || id == "FHS" || id == "BHS";
}

}  // namespace trialbridge::hl7v2
