#include "hl7v2/mllp.h"

namespace trialbridge::hl7v2 {

std::string mllpFrame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 3);
  out += kMllpStart;
  out.append(message);
  out += kMllpEnd;
  out += kMllpCarriageReturn;
  return out;
}

void MllpDecoder::flushJunk(std::vector<MllpEvent>& events) {
  if (junk_ == 0) return;
  MllpEvent e;
  e.kind = MllpEvent::Kind::Junk;
  e.size = junk_;
  e.offset = junkStart_;
  events.push_back(std::move(e));
  junk_ = 0;
}

void MllpDecoder::endFrame(MllpEvent::Kind kind, std::vector<MllpEvent>& events) {
  MllpEvent e;
  e.kind = kind;
  e.offset = frameStart_;
  e.size = frame_.size();
  if (kind != MllpEvent::Kind::Unterminated) e.payload = std::move(frame_);
  events.push_back(std::move(e));
  frame_.clear();
}

void MllpDecoder::feed(std::string_view chunk, std::vector<MllpEvent>& events) {
  size_t i = 0;
  const size_t n = chunk.size();
  while (i < n) {
    switch (state_) {
      case State::Outside: {
        const size_t start = chunk.find(kMllpStart, i);
        const size_t end = start == std::string_view::npos ? n : start;
        if (end > i) {
          if (junk_ == 0) junkStart_ = offset_ + i;
          junk_ += end - i;
        }
        if (start == std::string_view::npos) {
          i = n;
          break;
        }
        flushJunk(events);
        state_ = State::InFrame;
        frame_.clear();
        frameStart_ = offset_ + start;
        i = start + 1;
        break;
      }
      case State::InFrame: {
        const size_t stop = chunk.find_first_of(std::string_view("\x0B\x1C", 2), i);
        const size_t end = stop == std::string_view::npos ? n : stop;
        if (frame_.size() + (end - i) > max_) {
          MllpEvent e;
          e.kind = MllpEvent::Kind::Oversized;
          e.size = max_;
          e.offset = frameStart_;
          events.push_back(std::move(e));
          frame_.clear();
          frame_.shrink_to_fit();
          state_ = State::Skipping;
          break;  // the same bytes again, skipped
        }
        frame_.append(chunk.substr(i, end - i));
        i = end;
        if (stop == std::string_view::npos) break;
        if (chunk[stop] == kMllpEnd) {
          state_ = State::AfterEnd;
        } else {
          endFrame(MllpEvent::Kind::Unterminated, events);
          frameStart_ = offset_ + stop;
        }
        ++i;
        break;
      }
      case State::AfterEnd:
        if (chunk[i] == kMllpCarriageReturn) {
          endFrame(MllpEvent::Kind::Frame, events);
          ++i;
        } else {
          // The byte after a lone 0x1C is read again, outside the frame.
          endFrame(MllpEvent::Kind::MissingCarriageReturn, events);
        }
        state_ = State::Outside;
        break;
      case State::Skipping: {
        const size_t stop = chunk.find_first_of(std::string_view("\x0B\x1C", 2), i);
        if (stop == std::string_view::npos) {
          i = n;
          break;
        }
        if (chunk[stop] == kMllpStart) {
          state_ = State::InFrame;
          frame_.clear();
          frameStart_ = offset_ + stop;
          i = stop + 1;
        } else {
          state_ = State::SkippingAfterEnd;
          i = stop + 1;
        }
        break;
      }
      case State::SkippingAfterEnd:
        if (chunk[i] == kMllpCarriageReturn) ++i;
        state_ = State::Outside;
        break;
    }
  }
  offset_ += n;
}

void MllpDecoder::finish(std::vector<MllpEvent>& events) {
  if (state_ == State::InFrame) {
    endFrame(MllpEvent::Kind::Unterminated, events);
  } else if (state_ == State::AfterEnd) {
    endFrame(MllpEvent::Kind::MissingCarriageReturn, events);
  }
  flushJunk(events);
  frame_.clear();
  state_ = State::Outside;
}

}  // namespace trialbridge::hl7v2
