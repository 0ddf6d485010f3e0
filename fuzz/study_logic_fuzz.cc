// libFuzzer target: the protocol's logic (adapter/study) on laboratory results made from the
// input, against the reference trial and its subject ITP-0003 (five infusions given).
//
// Input: lines "TIME|CODE|VALUE|UNIT|COMPARATOR|LOW|HIGH" (LOINC codes; any field may be empty
// or anything). TIME goes through study::parseInstant, the parser of this target.
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; a parsed time writes
// back (formatInstant) as text that parses to the same instant; eligibility's overall verdict
// agrees with its criteria; a graded toxicity has a grade from 0 to 4; the platelet course has
// one assessment per count from the first dose on.
// Seed corpus: fuzz/corpus/study_logic/.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mapping_fuzz.h"
#include "study/eligibility.h"
#include "study/entity_reader.h"
#include "study/platelet_response.h"
#include "study/toxicity.h"
#include "study/trial_reader.h"
#include "study/visit_plan.h"

namespace {

using namespace trialbridge;

constexpr const char* kTarget = "study_logic_fuzz";

struct Fixture {
  study::Trial trial;
  study::SubjectEvents events;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    const std::string text = fuzz::sourceFile("samples/trials/NCT06813157.json");
    core::Issues issues;
    auto trial = study::readTrial(text, issues);
    if (!trial) fuzz::failFor(kTarget, "the sample trial does not read", text);
    x.trial = std::move(*trial);
    const std::string subject =
        fuzz::sourceFile("samples/entities/nct06813157-subject-itp-0003.json");
    auto entity = study::readEntity(subject, x.trial, issues);
    if (!entity) fuzz::failFor(kTarget, "the sample subject does not read", subject);
    x.events = study::subjectEvents(entity->subject);
    return x;
  }();
  return f;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::optional<double> number(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture& f = fixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 64 * 1024) return 0;
  std::vector<study::LabResult> results;
  for (std::string_view line : split(text, '\n')) {
    std::vector<std::string_view> field = split(line, '|');
    field.resize(7);
    std::optional<study::Instant> when = study::parseInstant(field[0], 480);
    if (!when) continue;
    std::optional<study::Instant> again =
        study::parseInstant(study::formatInstant(*when), when->zoneMinutes);
    if (!again || again->seconds != when->seconds || again->span != when->span) {
      fuzz::failFor(kTarget, "a parsed time does not read back as itself", line);
    }
    study::LabResult r;
    r.source = "Observation/" + std::to_string(results.size());
    r.system = "http://loinc.org";
    r.code = std::string(field[1]);
    r.value = number(field[2]);
    r.unit = std::string(field[3]);
    r.comparator = std::string(field[4]);
    r.low = number(field[5]);
    r.high = number(field[6]);
    r.effective = *when;
    results.push_back(std::move(r));
  }
  if (results.empty()) return 0;
  const study::Trial& trial = f.trial;
  const study::VisitPlan plan = study::VisitPlan::compute(trial, f.events);
  for (const study::LabResult& r : results) (void)plan.place(r.effective, r.system, r.code);

  study::EligibilityInput in;
  in.subject = {"female", "1988", true};
  in.consent = f.events.consent;
  in.evaluatedAt = results.back().effective;
  in.results = results;
  const study::EligibilityOutcome e = study::evaluateEligibility(trial, in);
  for (const study::CriterionOutcome& c : e.criteria) {
    if (c.verdict == study::Verdict::NotMet && e.overall != study::Verdict::NotMet) {
      fuzz::failFor(kTarget, "a criterion is not met but the overall verdict says otherwise", text);
    }
  }
  for (const study::LabResult& r : results) {
    const study::ToxicityTermSettings* term = study::gradedTermFor(trial, r);
    if (term == nullptr) continue;
    const study::ToxicityGrade g =
        study::gradeToxicity(trial, *term, r, &results.front(), in.subject);
    if (g.evaluated && (g.grade < 0 || g.grade > 4))
      fuzz::failFor(kTarget, "a grade out of range", text);
  }
  const study::PlateletResponseSettings& s = *trial.efficacy.plateletResponse;
  const std::vector<study::PlateletCount> counts = study::plateletCounts(s, results);
  const int64_t start = plan.event("first-dose")->seconds;
  const auto baseline = study::selectBaseline(s, plan, start, counts);
  const study::ResponseCourse course = study::evaluatePlateletResponse(
      s, baseline ? std::optional<double>(baseline->value) : std::nullopt, start, counts);
  size_t after = 0;
  for (const study::PlateletCount& c : counts) after += c.seconds >= start;
  if (course.counts.size() != after) fuzz::failFor(kTarget, "a count was lost or added", text);
  return 0;
}
