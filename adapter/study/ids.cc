#include "study/ids.h"

#include "study/detail/read_common.h"

namespace trialbridge::study::ids {

namespace {
std::string join(const Trial& t, std::string_view kind, std::string_view key) {
  return t.id + "-" + std::string(kind) + "-" + detail::idPart(key);
}
}  // namespace

std::string study(const Trial& t) { return t.id; }
std::string eligibilityGroup(const Trial& t) { return t.id + "-eligibility"; }
std::string organization(const Trial& t, std::string_view id) { return join(t, "org", id); }
std::string location(const Trial& t, std::string_view id) { return join(t, "site", id); }
std::string contact(const Trial& t, std::string_view id) { return join(t, "contact", id); }
std::string medication(const Trial& t, std::string_view id) { return join(t, "med", id); }
std::string activity(const Trial& t, std::string_view id, std::string_view arm) {
  std::string out = join(t, "act", id);
  if (!arm.empty()) out += "-" + detail::idPart(arm);
  return out;
}
std::string schedule(const Trial& t, std::string_view id) { return join(t, "soa", id); }
std::string patient(const Trial& t, std::string_view s) { return join(t, "pt", s); }
std::string researchSubject(const Trial& t, std::string_view s) { return join(t, "rs", s); }
std::string consent(const Trial& t, std::string_view s) { return join(t, "consent", s); }
std::string adverseEvent(const Trial& t, std::string_view r) { return join(t, "ae", r); }
std::string dose(const Trial& t, std::string_view s, std::string_view timepoint, int occurrence) {
  std::string out = join(t, "dose", s) + "-" + detail::idPart(timepoint);
  if (occurrence > 1) out += "-" + std::to_string(occurrence);
  return out;
}

std::string canonical(const Trial& t, std::string_view type, std::string_view id) {
  return t.canonicalBase + "/" + std::string(type) + "/" + std::string(id);
}

std::string subjectIdSystem(const Trial& t) { return t.canonicalBase + "/subject-id"; }
std::string screeningNumberSystem(const Trial& t) { return t.canonicalBase + "/screening-number"; }
std::string pseudonymSystem(const Trial& t) { return t.canonicalBase + "/pseudonym"; }
std::string adverseEventIdSystem(const Trial& t) { return t.canonicalBase + "/adverse-event-id"; }
std::string sponsorProtocolSystem(const Trial& t) { return t.canonicalBase + "/sponsor-protocol"; }
std::string doseIdSystem(const Trial& t) { return t.canonicalBase + "/dose"; }

}  // namespace trialbridge::study::ids
