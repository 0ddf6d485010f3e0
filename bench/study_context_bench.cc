// The study context's cost per HL7 v2 message, beside the plain mapping in the same run
// (docs/PERFORMANCE.md, "The study context").
//
// The messages: the golden subject course of tests/pipeline/golden/itp-0001-course.hl7 (ten
// ORU^R01 of the reference trial's subject ITP-0001: counts and ALT, a correction), held in
// memory. Over them, for at least --seconds each, on one thread:
//   parse + map            hl7v2::parseMessage, then mapping::V2Mapper::map (what the pipeline
//                          gets for a message without a study)
//   parse + map + study    and pipeline::StudyContext::apply with the subject in a
//                          MemorySubjectDirectory (the course starts again every round: the
//                          directory is made anew, then remembers each message's writes, so the
//                          later messages see the earlier counts as they would in a store)
// The store's own cost (the directory's searches on SQLite or PostgreSQL) is not in it: it is the
// pipeline's and the store's, measured with them.
//
// Usage: study_context_bench [--seconds S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "hl7v2/batch.h"
#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"
#include "pipeline/memory_subject_directory.h"
#include "pipeline/study_context.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"

#include "source_file.h"

namespace {

namespace tb = trialbridge;
using Clock = std::chrono::steady_clock;

using trialbridge::bench::readSourceFile;

struct Rate {
  double perSecond = 0;
  double microseconds = 0;
};

// Runs `round` (one pass over the course) until `seconds` have passed.
template <typename F>
Rate measure(double seconds, size_t messages, F&& round) {
  size_t done = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    round();
    done += messages;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return {static_cast<double>(done) / elapsed, elapsed * 1e6 / static_cast<double>(done)};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--seconds") seconds = std::atof(argv[i + 1]);
  }
  const tb::conformance::Context& context = tb::conformance::Context::r4();
  tb::core::Issues issues;
  const tb::study::Trial trial =
      *tb::study::readTrial(readSourceFile("samples/trials/NCT06813157.json"), issues);
  const auto entity = tb::study::readEntity(
      readSourceFile("tests/pipeline/golden/itp-0001-course-subject.json"), trial, issues);
  const tb::mapping::Pseudonymizer secret = *tb::mapping::Pseudonymizer::fromFile(
      std::string(TB_SOURCE_ROOT) + "/samples/entities/demo.secret");
  const std::string text = readSourceFile("tests/pipeline/golden/itp-0001-course.hl7");
  const auto batch = tb::hl7v2::readBatch(text, issues);
  if (!entity || !batch || issues.hasErrors()) {
    std::fprintf(stderr, "study_context_bench: the course does not read\n");
    return 2;
  }
  std::vector<std::string> messages;
  for (const auto& part : batch->messages) messages.emplace_back(part.text);
  const tb::mapping::V2Mapper mapper(context);

  size_t sink = 0;
  const Rate plain = measure(seconds, messages.size(), [&] {
    for (const std::string& m : messages) {
      tb::core::Issues is;
      auto message = tb::hl7v2::parseMessage(m, is);
      auto mapped = mapper.map(*message, is);
      sink += mapped != nullptr;
    }
  });
  size_t written = 0;
  const Rate study = measure(seconds, messages.size(), [&] {
    tb::pipeline::MemorySubjectDirectory directory(trial, {entity->subject}, secret);
    const tb::pipeline::StudyContext ctx({{&trial, &secret}}, directory, context);
    for (const std::string& m : messages) {
      tb::core::Issues is;
      auto message = tb::hl7v2::parseMessage(m, is);
      auto mapped = mapper.map(*message, is);
      tb::pipeline::StudyOutcome out =
          ctx.apply(*mapped->root(), tb::pipeline::v2SourceKey(*message),
                    tb::pipeline::mappedRecorded(*mapped->root()));
      if (out.writes) {
        directory.remember(*out.writes->root());
        written += out.stored + out.derived + out.drafts;
      }
    }
  });
  std::printf("%-24s %12s %14s\n", "", "messages/s", "us/message");
  std::printf("%-24s %12.0f %14.1f\n", "parse + map", plain.perSecond, plain.microseconds);
  std::printf("%-24s %12.0f %14.1f\n", "parse + map + study", study.perSecond, study.microseconds);
  std::printf("%-24s %12s %14.1f  (%.2fx the plain mapping's time)\n", "study context alone", "",
              study.microseconds - plain.microseconds, study.microseconds / plain.microseconds);
  return sink == 0 || written == 0 ? 1 : 0;
}
