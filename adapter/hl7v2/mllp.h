#pragma once
// MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 2): a message goes on a stream as
//   0x0B  message bytes  0x1C 0x0D
// MllpDecoder takes the bytes of a stream in chunks of any size, as they arrive, and gives back
// events: each complete frame, and each departure from the framing, so that a listener can log
// it and answer. The rules:
//   - bytes outside a frame (before a start byte) are ignored, reported once per run as Junk;
//   - 0x1C followed by 0x0D ends a frame; 0x1C followed by anything else ends it too (some
//     senders leave the 0x0D out), reported as MissingCarriageReturn with the frame;
//   - a start byte inside a frame means the frame before it was cut: reported as Unterminated
//     (its bytes are dropped), and a new frame starts;
//   - a frame longer than maxFrameBytes is reported as Oversized once and its bytes dropped up to
//     its end; nothing more is kept of it, so memory stays bounded whatever the peer sends;
//   - finish() (the connection closed or went idle) reports a frame still open as Unterminated.
// The decoder never fails and keeps no more than maxFrameBytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::hl7v2 {

inline constexpr char kMllpStart = '\x0B';
inline constexpr char kMllpEnd = '\x1C';
inline constexpr char kMllpCarriageReturn = '\x0D';

// message framed as MLLP.
std::string mllpFrame(std::string_view message);

struct MllpEvent {
  enum class Kind : uint8_t {
    Frame,                  // payload: the message bytes
    MissingCarriageReturn,  // a frame ended by 0x1C alone; payload: the message bytes
    Junk,                   // bytes outside a frame; size: how many
    Unterminated,           // a frame cut off; size: the bytes dropped
    Oversized,              // a frame over the limit; size: the limit
  };
  Kind kind = Kind::Frame;
  std::string payload;
  uint64_t size = 0;
  uint64_t offset = 0;  // in the stream: the start byte of the frame, or the first junk byte

  bool isFrame() const { return kind == Kind::Frame || kind == Kind::MissingCarriageReturn; }
};

class MllpDecoder {
 public:
  explicit MllpDecoder(size_t maxFrameBytes = 16u * 1024u * 1024u) : max_(maxFrameBytes) {}

  // Appends the events the chunk completes.
  void feed(std::string_view chunk, std::vector<MllpEvent>& events);
  // The end of the stream: a frame still open is Unterminated; junk not yet reported is.
  void finish(std::vector<MllpEvent>& events);

  // Whether a frame has started and not ended (an idle timer can tell a stalled sender).
  bool inFrame() const { return state_ != State::Outside; }
  uint64_t bytesSeen() const { return offset_; }

 private:
  enum class State : uint8_t { Outside, InFrame, AfterEnd, Skipping, SkippingAfterEnd };
  void flushJunk(std::vector<MllpEvent>& events);
  void endFrame(MllpEvent::Kind kind, std::vector<MllpEvent>& events);

  size_t max_;
  State state_ = State::Outside;
  std::string frame_;
  uint64_t offset_ = 0;      // bytes fed so far
  uint64_t frameStart_ = 0;  // offset of the current frame's start byte
  uint64_t junk_ = 0;        // junk bytes not yet reported
  uint64_t junkStart_ = 0;
};

}  // namespace trialbridge::hl7v2
