#include "pipeline/study_context.h"

#include <algorithm>
#include <optional>
#include <set>

#include "conformance/profiles.h"
#include "mapping/bundle_builder.h"
#include "mapping/lab_result_reader.h"
#include "study/ids.h"
#include "study/instant.h"
#include "study/lab.h"
#include "study/platelet_response.h"
#include "study/time_amount.h"
#include "study/toxicity.h"
#include "study/visit_plan.h"

namespace trialbridge::pipeline {

namespace {

namespace p = conformance::profiles;
using core::Element;
using study::LabResult;

constexpr std::string_view kMedDra = "http://terminology.hl7.org/CodeSystem/mdr";
constexpr std::string_view kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr std::string_view kDataOperation =
    "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
constexpr std::string_view kProvenanceRole =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
// The identifier system of a source that is not a resource (a v2 message's receipt key).
constexpr std::string_view kSourceSystem = "http://trialbridge.org/fhir/source";

std::string_view valueOf(const Element* e) {
  return e != nullptr ? e->value() : std::string_view{};
}
std::string_view childValue(const Element& e, std::string_view name) {
  return valueOf(e.child(name));
}

// A Duration for a distance in seconds: in days, hours or minutes when whole, else seconds.
void addDistance(mapping::ResourceBuilder& b, Element* ext, int64_t seconds) {
  struct Unit {
    int64_t seconds;
    std::string_view code;
  };
  static constexpr Unit kUnits[] = {{study::kSecondsPerDay, "d"}, {3600, "h"}, {60, "min"}};
  for (const Unit& u : kUnits) {
    if (seconds % u.seconds == 0) {
      b.quantity(ext, "valueDuration", std::to_string(seconds / u.seconds), u.code, u.code);
      return;
    }
  }
  b.quantity(ext, "valueDuration", std::to_string(seconds), "s", "s");
}

// One Patient of the mapped Bundle: the references its Observations use, and the subject.
struct PatientEntry {
  const Element* resource = nullptr;
  std::vector<std::string> keys;  // "Patient/{id}", its fullUrl
  const StudyTrial* trial = nullptr;
  std::optional<study::DirectoryEntry> subject;
};

// One incoming Observation of a subject.
struct Current {
  const Element* resource = nullptr;
  std::string id;
  LabResult result;
  bool void_ = false;  // entered-in-error or cancelled: no longer a result
  study::Placement placement;
};

// Writes what one subject's results become.
class SubjectWriter {
 public:
  SubjectWriter(const StudyTrial& trial, const study::DirectoryEntry& subject,
                const study::SubjectDirectory& directory, mapping::TransactionBuilder& tx,
                StudyOutcome& out, size_t resultsLimit)
      : trial_(*trial.trial),
        subject_(subject),
        directory_(directory),
        tx_(tx),
        out_(out),
        resultsLimit_(resultsLimit) {}

  // False (with an error issue) when the directory could not answer.
  bool prepare() {
    events_ = study::subjectEvents(subject_.record);
    auto doses = directory_.doses(trial_, subject_);
    if (!doses) return fail(doses.message());
    events_.doses = std::move(doses.value());
    plan_ = study::VisitPlan::compute(trial_, events_);
    if (events_.consent) {
      zone_ = events_.consent->zoneMinutes;
      int64_t cutoff = events_.consent->seconds;
      if (const auto& back = trial_.laboratory.lookBack) {
        cutoff = study::addTime(cutoff, -back->number, back->unit, zone_).value_or(cutoff);
      }
      cutoff_ = cutoff;
    }
    if (auto first = plan_.event("first-dose")) treatmentStart_ = first->seconds;
    return true;
  }

  void addObservation(const Element& obs, std::string_view fullUrl, std::string_view sourceKey) {
    Current c;
    c.resource = &obs;
    c.id = std::string(childValue(obs, "id"));
    if (c.id.empty()) c.id = mapping::deterministicId("tbobs", {sourceKey, fullUrl});
    std::string why;
    std::optional<LabResult> r = mapping::labResultOf(obs, &why, zone_);
    if (!r) {
      out_.issues.add(core::Severity::Warning, core::IssueType::Incomplete,
                      "a result is not stored: " + why, obs.path());
      return;
    }
    c.result = std::move(*r);
    c.result.source = "Observation/" + c.id;
    if (cutoff_ && c.result.effective.end() <= *cutoff_) {
      out_.beforeConsent++;
      return;
    }
    const std::string_view status = childValue(obs, "status");
    c.void_ = status == "entered-in-error" || status == "cancelled";
    c.placement = plan_.place(c.result.effective, c.result.system, c.result.code);
    writeObservation(c);
    current_.push_back(std::move(c));
  }

  // The derived results of the subject's new results; false when the directory failed.
  bool derive() {
    if (current_.empty()) return true;
    return deriveResponse() && deriveDrafts();
  }

  // What the Provenance names.
  std::vector<std::string> targets;
  std::vector<std::string> derivationSources;

 private:
  bool fail(const std::string& message) {
    out_.issues.add(core::Severity::Error, core::IssueType::Exception,
                    "the subject directory cannot answer: " + message, "");
    out_.directoryFailed = true;
    return false;
  }

  void studyAndTimepoint(Element* r, const study::Placement& place) {
    mapping::ResourceBuilder& b = tx_.builder();
    b.reference(b.extension(r, p::kExtWorkflowResearchStudy), "valueReference",
                "ResearchStudy/" + study::ids::study(trial_));
    Element* ext = b.extension(r, p::kExtTimepoint);
    if (place.window != nullptr) {
      b.primitive(b.extension(ext, "timepoint"), "valueString", place.window->timepoint->id);
      b.primitive(b.extension(ext, "occurrence"), "valuePositiveInt",
                  std::to_string(place.window->occurrence));
    }
    b.primitive(b.extension(ext, "placement"), "valueCode", study::placementName(place.kind));
    if (place.distance != 0) addDistance(b, b.extension(ext, "distance"), place.distance);
  }

  void copy(Element* to, const Element& from, std::string_view name) {
    from.forEachChild(name, [&](const Element& c) { core::copyElement(tx_.document(), to, c); });
  }

  // The hospital's Observation with the subject's pseudonymous Patient, the study and its place
  // in the schedule; references to what is not stored (encounter, orders, specimen,
  // performers) are left out.
  void writeObservation(const Current& c) {
    Element* r = tx_.addResource("Observation", c.id, p::kObservation);
    const Element& o = *c.resource;
    copy(r, o, "extension");
    studyAndTimepoint(r, c.placement);
    for (std::string_view name : {"status", "category", "code"}) copy(r, o, name);
    tx_.builder().reference(r, "subject", subject_.patient);
    for (std::string_view name :
         {"effective", "issued", "value", "dataAbsentReason", "interpretation", "note", "method",
          "referenceRange", "component"}) {
      copy(r, o, name);
    }
    targets.push_back("Observation/" + c.id);
    out_.stored++;
  }

  bool deriveResponse() {
    const auto& settings = trial_.efficacy.plateletResponse;
    if (!settings || !treatmentStart_) return true;
    int64_t earliest = study::kNoUpperBound;
    std::set<std::string> replaced;
    for (const Current& c : current_) {
      if (!study::isPlateletCount(*settings, c.result)) continue;
      earliest = std::min(earliest, c.result.effective.seconds);
      replaced.insert(c.result.source);
    }
    if (replaced.empty()) return true;
    PlateletCourse pc;
    // The latest stored counts, in a window that grows until it decides every new count as the
    // whole history would (study::settledBefore), holds the whole history, or reaches
    // resultsLimit_ (then the course is the one of the latest resultsLimit_ counts).
    Stored stored;
    stored.tests = study::plateletCountCodes(*settings);
    stored.window =
        settings->baselineTimepoint.empty() ? nullptr : plan_.find(settings->baselineTimepoint);
    for (;;) {
      if (!grow(stored)) return false;
      auto results = withBaseline(stored);
      if (!results) return fail(results.message());
      plateletCourse(*settings, replaced, std::move(results.value()), pc);
      if (done(stored) || study::settledBefore(pc.course, earliest)) break;
    }
    for (std::string& why : pc.problems) {
      out_.issues.add(core::Severity::Warning, core::IssueType::Invalid,
                      "a platelet count cannot be evaluated: " + why, "");
    }
    for (const LabResult& count : pc.counts) {
      if (count.effective.seconds < earliest || !study::isPlateletCount(*settings, count)) continue;
      const study::CountResponse* at = pc.course.at(count.effective.seconds);
      if (at == nullptr) continue;
      const study::Placement place = plan_.place(count.effective, count.system, count.code);
      const std::string_view tp = place.kind == study::PlacementKind::InWindow
                                      ? std::string_view(place.window->timepoint->id)
                                      : std::string_view{};
      if (!study::reportsResponseAt(*settings, tp)) continue;
      writeResponse(count, *at, place, pc.course);
    }
    return true;
  }

  // The platelet course over `stored` counts with the new ones in place of the versions they
  // replace.
  struct PlateletCourse {
    std::vector<LabResult> counts;  // in time order
    std::vector<std::string> problems;
    study::ResponseCourse course;
  };
  void plateletCourse(const study::PlateletResponseSettings& settings,
                      const std::set<std::string>& replaced, std::vector<LabResult> stored,
                      PlateletCourse& out) {
    out = PlateletCourse();
    for (LabResult& s : stored) {
      if (!replaced.contains(s.source)) out.counts.push_back(std::move(s));
    }
    for (const Current& c : current_) {
      if (!c.void_ && study::isPlateletCount(settings, c.result)) out.counts.push_back(c.result);
    }
    std::stable_sort(out.counts.begin(), out.counts.end(),
                     [](const LabResult& a, const LabResult& b) {
                       return a.effective.seconds < b.effective.seconds;
                     });
    const std::vector<study::PlateletCount> values =
        study::plateletCounts(settings, out.counts, &out.problems);
    const auto baseline = study::selectBaseline(settings, plan_, *treatmentStart_, values);
    out.course = study::evaluatePlateletResponse(
        settings, baseline ? std::optional<double>(baseline->value) : std::nullopt,
        *treatmentStart_, values);
  }

  void writeResponse(const LabResult& count, const study::CountResponse& at,
                     const study::Placement& place, const study::ResponseCourse& course) {
    mapping::ResourceBuilder& b = tx_.builder();
    const std::string id = mapping::deterministicId("tbresp", {count.source});
    Element* r = tx_.addResource("Observation", id, p::kObservation);
    const std::string_view code = study::responseCodeName(at.status);
    std::string text = "Platelet response " + std::string(code) + " (IWG 2009) at the count of " +
                       study::formatInstant(count.effective) + ": " +
                       study::decimalText(at.count.value) + " x10^9/L";
    if (course.baseline) text += ", baseline " + study::decimalText(*course.baseline);
    text += at.confirmed ? ", confirmed" : ", not confirmed yet";
    text += ". Provisional: from counts alone; absence of bleeding is the investigator's call.";
    b.narrative(r, text);
    studyAndTimepoint(r, place);
    b.primitive(r, "status", "preliminary");
    b.codeable(r, "category", std::string(kObservationCategory), "laboratory");
    Element* what = b.add(r, "code");
    b.primitive(what, "text", "Platelet response (ITP, IWG 2009)");
    b.reference(r, "subject", subject_.patient);
    b.primitive(r, "effectiveDateTime", study::formatInstant(count.effective));
    b.codeable(r, "valueCodeableConcept", p::codeSystem("tb-platelet-response"), code, {},
               text.substr(0, text.find(" at the count")));
    b.reference(r, "derivedFrom", count.source);
    targets.push_back("Observation/" + id);
    derivationSources.push_back(count.source);
    out_.derived++;
  }

  // A test's stored results as the rules read them (issue 15): backwards from the latest, in a
  // window that grows (64 results, then doubling, at most resultsLimit_ in all), each result
  // read once. The window holds every stored result later than `edge`: a read that was cut by
  // its limit may have left out results at the instant of its earliest, so those are left to the
  // next read (what the rules' windows need: settledBefore, the toxicity episode).
  struct Stored {
    std::vector<study::Coding> tests;
    const study::VisitWindow* window = nullptr;  // the baseline's, when there is one
    std::vector<LabResult> results;              // in time order
    int64_t edge = study::kNoUpperBound;         // seconds; results up to it are not read yet
    bool whole = false;                          // every stored result is in
    size_t read = 0;                             // results asked for so far
    std::optional<std::vector<LabResult>> baseline;
  };
  bool done(const Stored& s) const { return s.whole || s.read >= resultsLimit_; }

  // Reads the next, older part of the window (nothing when done): false when the directory
  // failed.
  bool grow(Stored& s) {
    if (done(s)) return true;
    const size_t more = s.read == 0 ? std::min<size_t>(64, resultsLimit_)
                                    : std::min(s.read, resultsLimit_ - s.read);
    const int64_t before = s.edge == study::kNoUpperBound ? study::kNoUpperBound : s.edge + 1;
    auto older = directory_.results(trial_, subject_, s.tests, study::kNoLowerBound, more, before);
    if (!older) return fail(older.message());
    s.read += more;
    s.whole = older->size() < more;
    if (!s.whole && !older->empty()) {
      s.edge = older->front().effective.seconds;
      std::erase_if(older.value(),
                    [&](const LabResult& r) { return r.effective.seconds == s.edge; });
    }
    older->insert(older->end(), std::make_move_iterator(s.results.begin()),
                  std::make_move_iterator(s.results.end()));
    s.results = std::move(older.value());
    return true;
  }

  // The window's results and, when it starts after the first dose, the baseline it cut off (the
  // last result before it, inside the baseline `window` when there is one), asked for alone
  // with a few before it in case the last ones do not convert (kBaselineCandidates).
  core::Result<std::vector<LabResult>> withBaseline(Stored& s) const {
    if (s.whole || !treatmentStart_) return s.results;
    if (!s.results.empty() && s.results.front().effective.seconds < *treatmentStart_)
      return s.results;
    if (!s.baseline) {
      constexpr size_t kBaselineCandidates = 16;
      const int64_t from = s.window != nullptr ? s.window->earliest : study::kNoLowerBound;
      const int64_t before =
          s.window != nullptr ? std::min(*treatmentStart_, s.window->latest) : *treatmentStart_;
      auto b = directory_.results(trial_, subject_, s.tests, from, kBaselineCandidates, before);
      if (!b) return b;
      s.baseline = std::move(b.value());
    }
    std::vector<LabResult> out;
    for (const LabResult& r : *s.baseline) {
      if (r.effective.seconds <= s.edge) out.push_back(r);  // not in the window
    }
    out.insert(out.end(), s.results.begin(), s.results.end());
    return out;
  }

  // The baseline value of a test: the last result before the first dose.
  static const LabResult* baselineOf(const std::vector<LabResult>& earlier, int64_t start) {
    const LabResult* best = nullptr;
    for (const LabResult& e : earlier) {
      if (e.effective.seconds < start &&
          (best == nullptr || e.effective.seconds >= best->effective.seconds)) {
        best = &e;
      }
    }
    return best;
  }

  bool deriveDrafts() {
    const study::SubjectFacts facts{subject_.record.sex, subject_.record.birthDate,
                                    subject_.record.childbearingPotential};
    for (const Current& c : current_) {
      if (c.void_) continue;
      const study::ToxicityTermSettings* term = study::gradedTermFor(trial_, c.result);
      if (term == nullptr) continue;
      study::Concept test;
      test.codes.push_back({c.result.system, c.result.code, {}, {}});
      const int threshold = term->draftFromGrade.value_or(trial_.safety.draftFromGrade);
      // The latest stored results of the test, in windows that grow until one holds the start
      // of the current episode (a result below the threshold: the highest grade since then
      // is the whole history's), holds the whole history, or reaches resultsLimit_.
      std::optional<study::ToxicityGrade> g;
      int highest = 0;
      Stored stored;
      stored.tests = study::testCodes(test);
      for (;;) {
        if (!grow(stored)) return false;
        auto earlier = withBaseline(stored);
        if (!earlier) return fail(earlier.message());
        const LabResult* baseline =
            treatmentStart_ ? baselineOf(earlier.value(), *treatmentStart_) : nullptr;
        g = study::gradeToxicity(trial_, *term, c.result, baseline, facts);
        if (!g->evaluated || !g->proposeAdverseEvent) break;
        bool opened = false;
        highest = highestInEpisode(*term, c, earlier.value(), baseline, facts, threshold, opened);
        if (opened || done(stored)) break;
      }
      if (!g->evaluated || !g->proposeAdverseEvent) continue;
      if (!study::proposeDraft(g->grade, threshold, highest)) continue;
      writeDraft(c, *g);
    }
    return true;
  }

  // The highest grade of the term's earlier results since the last one below the threshold
  // (the current episode), after the start of treatment; `opened` tells whether such a result
  // was among `earlier` (then the results before it do not matter).
  int highestInEpisode(const study::ToxicityTermSettings& term, const Current& c,
                       std::vector<LabResult>& earlier, const LabResult* baseline,
                       const study::SubjectFacts& facts, int threshold, bool& opened) const {
    std::stable_sort(earlier.begin(), earlier.end(), [](const LabResult& a, const LabResult& b) {
      return a.effective.seconds < b.effective.seconds;
    });
    int highest = 0;
    for (const LabResult& e : earlier) {
      if (e.source == c.result.source || e.effective.seconds >= c.result.effective.seconds)
        continue;
      if (treatmentStart_ && e.effective.seconds < *treatmentStart_) continue;
      const int grade = study::gradeToxicity(trial_, term, e, baseline, facts).grade;
      opened = opened || grade < threshold;
      highest = grade < threshold ? 0 : std::max(highest, grade);
    }
    return highest;
  }

  void writeDraft(const Current& c, const study::ToxicityGrade& g) {
    mapping::ResourceBuilder& b = tx_.builder();
    const std::string id = mapping::deterministicId("tbdraft", {c.result.source, g.term->id});
    Element* r = tx_.addResource("AdverseEvent", id, p::kAdverseEvent);
    const std::string gradeText =
        "CTCAE v5.0 grade " + std::to_string(g.grade) + " (" + std::string(g.term->ctcae) + ")";
    b.narrative(r, "Draft adverse event proposed from a laboratory result (" + c.result.source +
                       "): " + gradeText + "; " + g.reason +
                       ". For the investigator to confirm or reject.");
    Element* grade = b.add(b.extension(r, p::kExtCtcaeGrade), "valueCodeableConcept");
    b.coding(grade, "coding", p::codeSystem("tb-ctcae-grade"), std::to_string(g.grade));
    b.primitive(grade, "text", gradeText);
    // tb-adverse-event requires a number and a severity of every event: the draft's own id, and
    // the severity of its CTCAE grade (1 mild, 2 moderate, 3 and above severe).
    Element* number = b.add(r, "identifier");
    b.primitive(number, "system", study::ids::adverseEventIdSystem(trial_));
    b.primitive(number, "value", id);
    b.primitive(r, "actuality", "potential");
    b.codeable(r, "event", std::string(kMedDra), g.term->meddra, g.term->ctcae, g.term->ctcae);
    b.reference(r, "subject", subject_.patient);
    b.primitive(r, "date", study::formatInstant(c.result.effective));
    b.codeable(r, "severity", std::string(p::kAeSeverity),
               g.grade <= 1   ? "mild"
               : g.grade == 2 ? "moderate"
                              : "severe");
    b.reference(r, "study", "ResearchStudy/" + study::ids::study(trial_));
    targets.push_back("AdverseEvent/" + id);
    derivationSources.push_back(c.result.source);
    out_.drafts++;
  }

  const study::Trial& trial_;
  const study::DirectoryEntry& subject_;
  const study::SubjectDirectory& directory_;
  mapping::TransactionBuilder& tx_;
  StudyOutcome& out_;
  study::SubjectEvents events_;
  study::VisitPlan plan_;
  int32_t zone_ = 0;
  std::optional<int64_t> cutoff_;
  std::optional<int64_t> treatmentStart_;
  size_t resultsLimit_;
  std::vector<Current> current_;
};

}  // namespace

StudyContext::StudyContext(std::vector<StudyTrial> trials, const study::SubjectDirectory& directory,
                           const core::TypeResolver& types, StudyContextOptions options)
    : trials_(std::move(trials)),
      directory_(directory),
      types_(types),
      options_(std::move(options)) {}

StudyOutcome StudyContext::apply(const Element& mapped, std::string_view source,
                                 std::string_view recorded) const {
  StudyOutcome out;
  std::vector<PatientEntry> patients;
  std::vector<std::pair<const Element*, std::string_view>> observations;  // and fullUrl
  mapped.forEachChild("entry", [&](const Element& e) {
    const Element* r = e.child("resource");
    if (r == nullptr) return;
    const std::string_view fullUrl = childValue(e, "fullUrl");
    if (r->type().name == "Patient") {
      PatientEntry pe;
      pe.resource = r;
      if (const std::string_view id = childValue(*r, "id"); !id.empty())
        pe.keys.push_back("Patient/" + std::string(id));
      if (!fullUrl.empty()) pe.keys.emplace_back(fullUrl);
      patients.push_back(std::move(pe));
    } else if (r->type().name == "Observation") {
      observations.emplace_back(r, fullUrl);
    }
  });

  // Matching: the first identifier of the Patient that is a subject's pseudonym in a trial.
  for (PatientEntry& pe : patients) {
    pe.resource->forEachChild("identifier", [&](const Element& identifier) {
      if (pe.subject || out.issues.hasErrors()) return;
      std::string system(childValue(identifier, "system"));
      const std::string_view value = childValue(identifier, "value");
      if (system.empty()) {
        const Element* assigner = identifier.child("assigner");
        const std::string_view ns = assigner ? childValue(*assigner, "display") : "";
        if (auto it = options_.identifierSystems.find(ns); it != options_.identifierSystems.end())
          system = it->second;
      }
      if (system.empty() || value.empty()) return;
      for (const StudyTrial& t : trials_) {
        auto found = directory_.findByPseudonym(*t.trial, t.secret->pseudonym(system, value));
        if (!found) {
          out.issues.add(core::Severity::Error, core::IssueType::Exception,
                         "the subject directory cannot answer: " + found.message(), "");
          out.directoryFailed = true;
          return;
        }
        if (*found) {
          pe.trial = &t;
          pe.subject = std::move(*found.value());
          return;
        }
      }
    });
    if (out.issues.hasErrors()) return out;
    ++(pe.subject ? out.subjects : out.notSubjects);
  }

  mapping::TransactionBuilder tx(types_, options_.fullUrlBase);
  std::vector<std::string> targets, derivationSources;
  for (PatientEntry& pe : patients) {
    const auto mine = [&](const Element& obs) {
      const Element* subject = obs.child("subject");
      const std::string_view ref = subject ? childValue(*subject, "reference") : "";
      return std::find(pe.keys.begin(), pe.keys.end(), ref) != pe.keys.end();
    };
    if (!pe.subject) {
      for (const auto& [obs, url] : observations) out.notSubjectResults += mine(*obs) ? 1 : 0;
      continue;
    }
    SubjectWriter w(*pe.trial, *pe.subject, directory_, tx, out, options_.resultsLimit);
    if (!w.prepare()) return out;
    for (const auto& [obs, url] : observations) {
      if (mine(*obs)) w.addObservation(*obs, url, source);
    }
    if (!w.derive()) return out;
    targets.insert(targets.end(), w.targets.begin(), w.targets.end());
    derivationSources.insert(derivationSources.end(), w.derivationSources.begin(),
                             w.derivationSources.end());
  }
  if (targets.empty()) return out;

  // One Provenance: what was written from this source, and the results it was derived from.
  mapping::ResourceBuilder& b = tx.builder();
  Element* prov = tx.addResource("Provenance", mapping::deterministicId("tbprov", {source}), {});
  for (const std::string& t : targets) b.reference(prov, "target", t);
  b.primitive(prov, "recorded", recorded);
  b.codeable(prov, "activity", std::string(kDataOperation), "CREATE", {}, "study context");
  Element* agent = b.add(prov, "agent");
  b.codeable(agent, "type", std::string(kProvenanceRole), "assembler");
  b.reference(agent, "who", {}, "trialbridge study context");
  Element* entity = b.add(prov, "entity");
  b.primitive(entity, "role", "source");
  Element* what = b.add(entity, "what");
  Element* id = b.add(what, "identifier");
  b.primitive(id, "system", kSourceSystem);
  b.primitive(id, "value", source);
  std::sort(derivationSources.begin(), derivationSources.end());
  derivationSources.erase(std::unique(derivationSources.begin(), derivationSources.end()),
                          derivationSources.end());
  for (const std::string& s : derivationSources) {
    Element* e = b.add(prov, "entity");
    b.primitive(e, "role", "derivation");
    b.reference(e, "what", s);
  }
  out.writes = tx.release();
  return out;
}

std::string v2SourceKey(const hl7v2::Message& message) {
  const hl7v2::Segment msh = message.header();
  return "hl7:" + std::string(msh.field(3).component(1).text()) + "|" +
         std::string(msh.field(4).component(1).text()) + "|" +
         std::string(msh.field(10).component(1).text());
}

std::string mappedRecorded(const Element& mapped) {
  std::string out;
  mapped.forEachChild("entry", [&](const Element& e) {
    const Element* r = e.child("resource");
    if (out.empty() && r != nullptr && r->type().name == "Provenance")
      out = std::string(childValue(*r, "recorded"));
  });
  return out;
}

}  // namespace trialbridge::pipeline
