// libFuzzer target: the MLLP decoder (hl7v2::MllpDecoder).
//
// Contract checked: no input crashes or trips a sanitizer; the same bytes fed in chunks of any
// sizes (taken from the input's first bytes) give the same events as fed at once; no frame is
// longer than the limit; a frame made with mllpFrame() of any payload without the framing bytes
// comes back whole.
// Seed corpus: fuzz/corpus/mllp/ (framed samples, cut, doubled, with junk; fuzz/make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/mllp.h"

namespace {

using namespace trialbridge::hl7v2;

constexpr size_t kLimit = 4096;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "mllp_fuzz: %s\n", what);
  std::abort();
}

bool same(const std::vector<MllpEvent>& a, const std::vector<MllpEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload || a[i].size != b[i].size ||
        a[i].offset != b[i].offset)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the chunk sizes; the rest is the stream.
  const size_t a = data[0] % 17 + 1;
  const size_t b = data[1] % 251 + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::vector<MllpEvent> whole;
  MllpDecoder d1(kLimit);
  d1.feed(stream, whole);
  d1.finish(whole);

  std::vector<MllpEvent> chunked;
  MllpDecoder d2(kLimit);
  size_t pos = 0;
  bool small = true;
  while (pos < stream.size()) {
    const size_t n = std::min(small ? a : b, stream.size() - pos);
    d2.feed(stream.substr(pos, n), chunked);
    pos += n;
    small = !small;
  }
  d2.finish(chunked);
  if (!same(whole, chunked)) fail("chunking changed the events");
  for (const MllpEvent& e : whole) {
    if (e.payload.size() > kLimit) fail("a frame is longer than the limit");
  }

  // A payload without framing bytes survives a round trip.
  std::string payload(stream.substr(0, std::min<size_t>(stream.size(), kLimit)));
  for (char& c : payload) {
    if (c == kMllpStart || c == kMllpEnd) c = 'x';
  }
  std::vector<MllpEvent> events;
  MllpDecoder d3(kLimit);
  d3.feed(mllpFrame(payload), events);
  d3.finish(events);
  if (events.size() != 1 || events[0].kind != MllpEvent::Kind::Frame ||
      events[0].payload != payload) {
    fail("a framed payload did not come back whole");
  }
  return 0;
}
