#include "pipeline/store_subject_directory.h"

#include <algorithm>
#include <limits>

#include "conformance/profiles.h"
#include "core/json.h"
#include "mapping/lab_result_reader.h"
#include "study/ids.h"

namespace trialbridge::pipeline {

namespace p = conformance::profiles;
using core::Element;
using study::DirectoryEntry;

namespace {

std::string_view text(const Element* e, std::string_view name) {
  if (e == nullptr) return {};
  const Element* c = e->child(name);
  return c != nullptr && c->hasValue() ? c->value() : std::string_view();
}

// A search value with FHIR's escapes (\ , | $) for the parts of a token.
std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ',' || c == '|' || c == '$') out += '\\';
    out += c;
  }
  return out;
}

// UTC seconds as the store's milliseconds; the study's open bounds (and anything beyond the
// milliseconds' range) as the store's.
int64_t toMillis(int64_t seconds) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  if (seconds <= study::kNoLowerBound || seconds < -kMax)
    return std::numeric_limits<int64_t>::min();
  if (seconds >= study::kNoUpperBound || seconds > kMax) return std::numeric_limits<int64_t>::max();
  return seconds * 1000;
}

std::string armId(const study::Trial& t, std::string_view name) {
  for (const study::Arm& a : t.arms) {
    if (a.name == name) return a.id;
  }
  return {};
}

// The fields of a SubjectRecord that the ResearchSubject carries.
void readResearchSubject(const study::Trial& t, const Element& rs, study::SubjectRecord& s) {
  const std::string subjectSystem = study::ids::subjectIdSystem(t);
  const std::string screeningSystem = study::ids::screeningNumberSystem(t);
  rs.forEachChild("identifier", [&](const Element& id) {
    if (text(&id, "system") == subjectSystem) s.subjectId = std::string(text(&id, "value"));
    if (text(&id, "system") == screeningSystem) s.screeningNumber = std::string(text(&id, "value"));
  });
  s.status = std::string(text(&rs, "status"));
  s.statusAsGiven = s.status;
  s.arm = armId(t, text(&rs, "assignedArm"));
  s.actualArm = armId(t, text(&rs, "actualArm"));
  if (const Element* period = rs.child("period")) {
    s.enrollmentDate = std::string(text(period, "start"));
    s.endDate = std::string(text(period, "end"));
  }
  rs.forEachChild("extension", [&](const Element& x) {
    if (text(&x, "url") != p::kExtSubjectStatusHistory) return;
    study::StatusChange c;
    x.forEachChild("extension", [&](const Element& part) {
      const Element* v = part.child("value");
      const std::string value(v != nullptr && v->hasValue() ? v->value() : std::string_view());
      const std::string_view name = text(&part, "url");
      if (name == "status") c.status = value;
      if (name == "date") c.date = value;
      if (name == "reason") c.reason = value;
    });
    s.history.push_back(std::move(c));
  });
}

}  // namespace

core::Result<std::vector<store::ResourceVersion>> StoreSubjectDirectory::search(
    std::string_view type, const store::QueryParams& params, size_t count) const {
  store::SearchQuery q;
  core::Issues issues;
  store::SearchLimits limits;
  limits.maxCount = std::max<size_t>(count, limits.maxCount);
  limits.strict = true;
  store::parseSearch(store_.registry(), type, params, limits, q, issues);
  if (issues.hasErrors()) {
    return core::Result<std::vector<store::ResourceVersion>>::error(
        "subject directory: the search of " + std::string(type) +
        " is not supported: " + issues.items().front().message);
  }
  q.count = count;
  q.countTotal = false;  // the directory never reads the total
  store::SearchResult out;
  if (store::Status s = store_.search(q, out); !s) {
    return core::Result<std::vector<store::ResourceVersion>>::error(
        "subject directory: " + std::string(type) + " search failed: " + s.message());
  }
  return std::move(out.matches);
}

core::Result<std::optional<DirectoryEntry>> StoreSubjectDirectory::findByPseudonym(
    const study::Trial& trial, std::string_view pseudonym) const {
  using R = core::Result<std::optional<DirectoryEntry>>;
  auto patients = search(
      "Patient",
      {{"identifier", escaped(study::ids::pseudonymSystem(trial)) + "|" + escaped(pseudonym)}}, 10);
  if (!patients) return patients.status();
  const std::string studyRef = "ResearchStudy/" + study::ids::study(trial);
  std::vector<std::pair<store::ResourceVersion, store::ResourceVersion>> found;
  for (store::ResourceVersion& patient : *patients) {
    auto subjects = search("ResearchSubject",
                           {{"individual", "Patient/" + patient.id}, {"study", studyRef}}, 10);
    if (!subjects) return subjects.status();
    for (store::ResourceVersion& rs : *subjects) found.emplace_back(patient, std::move(rs));
  }
  if (found.empty()) return std::optional<DirectoryEntry>();
  if (found.size() > 1) {
    std::string which;
    for (const auto& [patient, rs] : found) which += (which.empty() ? "" : ", ") + rs.id;
    return R::error("subject directory: " + std::to_string(found.size()) + " subjects of " +
                    trial.id + " share one pseudonym (ResearchSubject " + which + ")");
  }
  core::Issues issues;
  auto rs = core::readJson(found[0].second.json, store_.types(), issues);
  auto patient = core::readJson(found[0].first.json, store_.types(), issues);
  if (!rs || !patient) {
    return R::error("subject directory: a stored resource does not read: ResearchSubject/" +
                    found[0].second.id);
  }
  DirectoryEntry e;
  e.patient = "Patient/" + found[0].first.id;
  e.researchSubject = "ResearchSubject/" + found[0].second.id;
  readResearchSubject(trial, *rs->root(), e.record);
  e.record.sex = std::string(text(patient->root(), "gender"));
  e.record.birthDate = std::string(text(patient->root(), "birthDate"));
  // The consent, when the ResearchSubject points at one.
  const std::string_view consentRef = text(rs->root()->child("consent"), "reference");
  if (consentRef.rfind("Consent/", 0) == 0) {
    store::ResourceVersion consent;
    store::Status st = store_.read("Consent", consentRef.substr(8), consent);
    if (st) {
      auto doc = core::readJson(consent.json, store_.types(), issues);
      if (doc) {
        study::SubjectRecord::Consent c;
        c.date = std::string(text(doc->root(), "dateTime"));
        if (const Element* provision = doc->root()->child("provision"))
          c.withdrawnDate = std::string(text(provision->child("period"), "end"));
        e.record.consent = std::move(c);
      }
    } else if (st.code() != store::Code::NotFound && st.code() != store::Code::Gone) {
      return R::error("subject directory: reading the consent failed: " + st.message());
    }
  }
  return std::optional<DirectoryEntry>(std::move(e));
}

core::Result<std::vector<study::DoseGiven>> StoreSubjectDirectory::doses(
    const study::Trial&, const DirectoryEntry& subject) const {
  auto found = search("MedicationAdministration", {{"subject", subject.patient}}, 1000);
  if (!found) return found.status();
  std::vector<study::DoseGiven> out;
  core::Issues issues;
  for (const store::ResourceVersion& v : *found) {
    auto doc = core::readJson(v.json, store_.types(), issues);
    if (!doc) continue;
    if (auto d = mapping::doseOf(*doc->root(), nullptr)) out.push_back(std::move(*d));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const study::DoseGiven& a, const study::DoseGiven& b) {
                     return a.time.seconds < b.time.seconds;
                   });
  return out;
}

core::Result<std::vector<study::LabResult>> StoreSubjectDirectory::results(
    const study::Trial&, const DirectoryEntry& subject, std::span<const study::Coding> tests,
    int64_t from, size_t limit, int64_t before) const {
  std::vector<study::LabResult> out;
  if (tests.empty() || limit == 0) return out;
  // The store's series of the subject and these codes (issue 15): its index holds each
  // Observation under (subject, code, start of the effective time), so the answer costs what it
  // returns, not the subject's other results.
  store::SeriesQuery q;
  q.type = "Observation";
  if (!store::splitReference(subject.patient, q.subjectType, q.subjectId)) {
    return core::Result<std::vector<study::LabResult>>::error(
        "subject directory: not a reference to a stored Patient: " + subject.patient);
  }
  for (const study::Coding& c : tests) q.codes.emplace_back(c.system, c.code);
  q.fromMs = toMillis(from);
  q.beforeMs = toMillis(before);
  q.limit = limit;
  // The latest `limit` that are results: when some of a full answer are not (entered in error,
  // cancelled, an effective time that is not a date, an instant or a period), ask for more, so
  // that a short answer always means there are no others (the study context's windows rely on
  // it). The statuses are checked here rather than as the query's filter: on PostgreSQL most of
  // a call's time was planning the statement, which the filter's two anti-joins a code made
  // heavier, for results that are rarely there.
  for (q.limit = limit;; q.limit += std::max(q.limit, limit - out.size())) {
    std::vector<store::ResourceVersion> found;
    if (store::Status s = store_.series(q, found); !s) {
      return core::Result<std::vector<study::LabResult>>::error(
          "subject directory: Observation series failed: " + s.message());
    }
    out.clear();
    // Latest first, equal starts by id descending: earliest first with equal times by id
    // ascending once reversed, the order the stable sort below keeps.
    std::reverse(found.begin(), found.end());
    core::Issues issues;
    for (const store::ResourceVersion& v : found) {
      auto doc = core::readJson(v.json, store_.types(), issues);
      if (!doc) continue;
      const std::string_view status = text(doc->root(), "status");
      if (status == "entered-in-error" || status == "cancelled") continue;
      auto r = mapping::labResultOf(*doc->root(), nullptr);
      // The index bounds the start of the effective time in UTC; the result's own reading of it
      // decides, as documented.
      if (r && r->effective.seconds >= from && r->effective.seconds < before)
        out.push_back(std::move(*r));
    }
    if (found.size() < q.limit || out.size() >= limit) break;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const study::LabResult& a, const study::LabResult& b) {
                     return a.effective.seconds < b.effective.seconds;
                   });
  if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(limit));
  return out;
}

}  // namespace trialbridge::pipeline
