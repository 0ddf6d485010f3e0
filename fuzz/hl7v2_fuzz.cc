// libFuzzer target: the HL7 v2 parser (hl7v2::readBatch, parseMessage, oru::readOru) and the ACK
// built for what it reads.
//
// Contract checked: no input crashes, hangs or trips a sanitizer; every value of every segment,
// at every level, decodes to valid UTF-8 and has a location that formats and parses back; a
// message that reads gets an ACK that reads back as a message answering its control id; its
// pseudonymous view (hl7v2/masking.h) is valid UTF-8 within its limits, and a field the rule masks
// whole holds nothing but the mask and delimiters.
// Seed corpus: fuzz/corpus/hl7v2/ (samples/hl7v2/, the ELR samples of tests/data/hl7v2/, and
// broken variants made by fuzz/make_seeds.py).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hl7v2/ack.h"
#include "hl7v2/batch.h"
#include "hl7v2/encoding.h"
#include "hl7v2/masking.h"
#include "hl7v2/message.h"
#include "hl7v2/oru.h"

namespace {

using namespace trialbridge;

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "hl7v2_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

void checkValue(const hl7v2::Value& v, std::string_view input) {
  core::Issues issues;
  const std::string text = v.text(&issues);
  if (hl7v2::findInvalidUtf8(text) != std::string::npos) fail("a value is not UTF-8", input);
  const hl7v2::Location at = v.location();
  const std::string path = hl7v2::formatLocation(at);
  const std::optional<hl7v2::Location> back = hl7v2::parseLocation(path);
  if (!back || back->segment != at.segment || back->field != at.field ||
      back->component != at.component) {
    fail("location " + path + " does not parse back", input);
  }
}

// hl7v2::Parts gives the Values component(n) and subcomponent(n) give (the same bytes, level and
// place in the standard's numbering).
void checkParts(const hl7v2::Value& v, std::string_view input) {
  for (const bool sub : {false, true}) {
    const hl7v2::Parts parts(v, sub);
    for (size_t n = 0; n <= 14; ++n) {
      const hl7v2::Value one = sub ? v.subcomponent(n) : v.component(n);
      const hl7v2::Value split = parts.part(n);
      const hl7v2::Location a = split.location();
      const hl7v2::Location b = one.location();
      if (split.raw().data() != one.raw().data() || split.raw().size() != one.raw().size() ||
          split.level() != one.level() || a.field != b.field || a.repetition != b.repetition ||
          a.component != b.component || a.subcomponent != b.subcomponent) {
        fail("Parts differs from component()/subcomponent() at part " + std::to_string(n), input);
      }
    }
  }
}

void walk(const hl7v2::Message& m, std::string_view input) {
  // Bounded so that a huge message does not make one input slow.
  size_t budget = 20000;
  for (size_t s = 0; s < m.segmentCount() && budget > 0; ++s) {
    const hl7v2::Segment seg = m.segment(s);
    for (size_t f = 1; f <= seg.fieldCount() + 1 && budget > 0; ++f) {
      const hl7v2::Value field = seg.field(f);
      checkValue(field, input);
      checkParts(field, input);
      const size_t reps = std::min<size_t>(field.repetitionCount(), 8);
      for (size_t r = 1; r <= reps && budget > 0; ++r) {
        const hl7v2::Value rep = field.repetition(r);
        const size_t comps = std::min<size_t>(rep.componentCount(), 16);
        for (size_t c = 1; c <= comps && budget > 0; ++c, --budget) {
          const hl7v2::Value comp = rep.component(c);
          checkValue(comp, input);
          checkParts(comp, input);
          const size_t subs = std::min<size_t>(comp.subcomponentCount(), 8);
          for (size_t sc = 1; sc <= subs; ++sc) checkValue(comp.subcomponent(sc), input);
        }
      }
    }
  }
}

bool hasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

void checkAck(const hl7v2::Message& m, const core::Issues& issues, std::string_view input) {
  hl7v2::AckOptions options;
  options.controlId = "ACK1";
  options.timestamp = "20250101000000+0000";
  const std::string ack =
      hl7v2::buildAck(hl7v2::ackHeaderOf(m), hl7v2::AckCode::AE, issues, options);
  core::Issues ackIssues;
  std::optional<hl7v2::Message> back = hl7v2::parseMessage(std::string_view(ack), ackIssues);
  if (!back) fail("the ACK does not read back:\n" + ack, input);
  const std::optional<hl7v2::Segment> msa = back->find("MSA");
  if (!msa) fail("the ACK has no MSA", input);
  const std::string id = m.controlId();
  if (!hasControl(id) && msa->field(2).text() != id) {
    fail("MSA-2 is not MSH-10: " + msa->field(2).text() + " vs " + id, input);
  }
}

void checkMasking(const hl7v2::Message& m, std::string_view input) {
  const hl7v2::Encoding& enc = m.encoding();
  const hl7v2::ShowLimits limits;
  for (const hl7v2::ShownSegment& s : hl7v2::pseudonymousSegments(m, limits)) {
    const std::string valueType =
        s.id == "OBX" && s.fields.size() >= 2
            ? s.fields[1].value.substr(0, s.fields[1].value.find(enc.component))
            : std::string();
    for (const hl7v2::ShownField& f : s.fields) {
      if (hl7v2::findInvalidUtf8(f.value) != std::string::npos ||
          f.value.size() > limits.maxValueBytes) {
        fail("a shown value is not UTF-8 or too long", input);
      }
      if (hl7v2::fieldRule(s.id, f.number, valueType) != hl7v2::FieldRule::Mask ||
          (hl7v2::isHeaderSegment(s.id) && f.number <= 2)) {
        continue;
      }
      for (char c : f.value) {
        if (c != '*' && c != enc.component && c != enc.repetition) {
          fail("a masked field shows a value", input);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  hl7v2::Limits limits;
  limits.maxBytes = 1u << 20;
  limits.maxSegments = 2000;
  core::Issues batchIssues;
  const std::optional<hl7v2::Batch> batch = hl7v2::readBatch(input, batchIssues, limits);
  if (!batch) return 0;
  size_t n = 0;
  for (const hl7v2::Batch::Part& part : batch->messages) {
    if (++n > 20) break;
    core::Issues issues;
    std::optional<hl7v2::Message> m = hl7v2::parseMessage(part.text, issues, limits);
    if (!m) {
      (void)hl7v2::ackHeaderFromRaw(part.text);
      continue;
    }
    walk(*m, input);
    checkMasking(*m, input);
    std::optional<hl7v2::oru::Structure> oru = hl7v2::oru::readOru(*m, issues);
    (void)oru;
    checkAck(*m, issues, input);
  }
  return 0;
}
