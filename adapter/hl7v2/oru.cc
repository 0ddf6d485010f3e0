#include "hl7v2/oru.h"

#include <array>
#include <charconv>

namespace trialbridge::hl7v2::oru {

namespace {

// "2.5.1" as {2, 5, 1}; nullopt for text that is not a dotted version.
std::optional<std::array<int, 3>> versionParts(std::string_view v) {
  std::array<int, 3> parts{};
  size_t i = 0;
  while (!v.empty()) {
    if (i == parts.size()) return std::nullopt;
    int n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr == v.data()) return std::nullopt;
    parts[i++] = n;
    v.remove_prefix(static_cast<size_t>(ptr - v.data()));
    if (v.empty()) break;
    if (v.front() != '.' || v.size() == 1) return std::nullopt;
    v.remove_prefix(1);
  }
  if (i < 2) return std::nullopt;
  return parts;
}

constexpr std::array<int, 3> kOldest{2, 3, 0};
constexpr std::array<int, 3> kNewest{2, 8, 2};

class OruReader {
 public:
  OruReader(const Message& message, core::Issues& issues) : message_(message), issues_(issues) {}

  std::optional<Structure> read() {
    if (!checkHeader()) return std::nullopt;
    const size_t n = message_.segmentCount();
    for (size_t i = 1; i < n; ++i) place(message_.segment(i), i + 1 == n);
    if (pendingOrc_) sequenceError(*pendingOrc_, "an ORC must be followed by its OBR");
    bool anyOrder = false;
    for (const PatientResult& r : s_.results) anyOrder |= !r.orders.empty();
    if (!anyOrder) {
      issue(core::Severity::Error, core::IssueType::Structure,
            "an ORU^R01 message has at least one OBR (ORDER_OBSERVATION group); this one has none",
            message_.header().location());
    }
    return std::move(s_);
  }

 private:
  void issue(core::Severity severity, core::IssueType type, std::string text, const Location& at) {
    issues_.add(makeIssue(severity, type, std::move(text), at));
  }
  void sequenceError(const Segment& s, std::string why) {
    issue(core::Severity::Error, core::IssueType::Structure,
          std::string(s.id()) + " is not allowed here in ORU^R01: " + std::move(why), s.location());
  }

  bool checkHeader() {
    const Segment msh = message_.header();
    const Value type = msh.field(9);
    const std::string code = type.component(1).text();
    const std::string event = type.component(2).text();
    if (code != "ORU") {
      issue(core::Severity::Error, core::IssueType::NotSupported,
            "unsupported message type '" + code + "': trialbridge receives ORU^R01",
            type.component(1).location());
      return false;
    }
    if (event != "R01") {
      issue(core::Severity::Error, core::IssueType::NotSupported,
            "unsupported event 'ORU^" + event + "': trialbridge receives ORU^R01",
            type.component(2).location());
      return false;
    }
    const std::string structure = type.component(3).text();
    if (!structure.empty() && structure != "ORU_R01") {
      issue(core::Severity::Warning, core::IssueType::Value,
            "MSH-9.3 message structure '" + structure + "' is not ORU_R01; read as ORU_R01",
            type.component(3).location());
    }
    const Value processing = msh.field(11).component(1);
    const std::string pid = processing.text();
    if (pid.empty()) {
      issue(core::Severity::Error, core::IssueType::Required,
            "MSH-11 (processing id) is required: P, T or D", msh.location(11));
    } else if (pid != "P" && pid != "T" && pid != "D") {
      issue(core::Severity::Error, core::IssueType::NotSupported,
            "unsupported processing id '" + pid + "' (P production, T training, D debugging)",
            processing.location());
      return false;
    }
    const Value versionValue = msh.field(12).component(1);
    const std::string version = versionValue.text();
    if (version.empty()) {
      issue(core::Severity::Error, core::IssueType::Required, "MSH-12 (version id) is required",
            msh.location(12));
    } else if (!isSupportedVersion(version)) {
      issue(core::Severity::Error, core::IssueType::NotSupported,
            "unsupported version '" + version + "': trialbridge reads v2.3 to v2.8.2",
            versionValue.location());
      return false;
    } else if (versionParts(version) > kNewest) {
      issue(core::Severity::Warning, core::IssueType::Value,
            "version " + version + " is newer than 2.8.2; read as 2.8.2", versionValue.location());
    }
    if (!msh.field(10).hasValue()) {
      issue(core::Severity::Error, core::IssueType::Required,
            "MSH-10 (message control id) is required: the ACK answers it", msh.location(10));
    }
    return true;
  }

  // The current PATIENT_RESULT group; an order before any PID starts one without a patient.
  PatientResult& currentResult() {
    if (s_.results.empty()) s_.results.push_back(PatientResult{});
    return s_.results.back();
  }

  // The current order, or nullptr.
  Order* order() {
    if (s_.results.empty() || s_.results.back().orders.empty()) return nullptr;
    return &s_.results.back().orders.back();
  }

  void place(const Segment& s, bool last) {
    const std::string_view id = s.id();
    if (id[0] == 'Z') {
      s_.zSegments.push_back(s);
      return;
    }
    Order* o = order();
    const bool inPatient = !s_.results.empty() && o == nullptr && !pendingOrc_;
    if (id == "PID") {
      if (pendingOrc_) sequenceError(*pendingOrc_, "an ORC must be followed by its OBR");
      pendingOrc_.reset();
      s_.results.push_back(PatientResult{s, std::nullopt, {}, {}, {}});
      observation_ = nullptr;
    } else if (id == "PD1" || id == "NK1" || id == "ARV") {
      if (!inPatient || !s_.results.back().pid) sequenceError(s, "it belongs after PID");
    } else if (id == "PV1") {
      if (!inPatient || !s_.results.back().pid) {
        sequenceError(s, "it belongs after PID, before the first ORC or OBR");
      } else if (s_.results.back().pv1) {
        sequenceError(s, "a patient has one PV1");
      } else {
        s_.results.back().pv1 = s;
        observation_ = nullptr;
      }
    } else if (id == "PV2") {
      if (!inPatient || !s_.results.back().pv1) sequenceError(s, "it belongs after PV1");
    } else if (id == "NTE") {
      placeNote(s, o, inPatient);
    } else if (id == "ORC") {
      if (pendingOrc_) sequenceError(*pendingOrc_, "an ORC must be followed by its OBR");
      pendingOrc_ = s;
      observation_ = nullptr;
    } else if (id == "OBR") {
      currentResult().orders.push_back(Order{pendingOrc_, s, {}, {}, {}, {}});
      pendingOrc_.reset();
      observation_ = nullptr;
    } else if (id == "OBX") {
      placeObservation(s, o, inPatient);
    } else if (id == "SPM") {
      if (o == nullptr || pendingOrc_) {
        sequenceError(s, "it belongs to an order (after OBR)");
      } else {
        o->specimens.push_back(Specimen{s, {}});
        observation_ = nullptr;
      }
    } else if (id == "TQ1" || id == "TQ2" || id == "CTD" || id == "FT1" || id == "CTI") {
      if (o == nullptr || pendingOrc_) {
        sequenceError(s, "it belongs to an order (after OBR)");
      } else if (id == "TQ1") {
        o->timings.push_back(s);
      }
    } else if (id == "PRT") {
      // Participations: allowed after PID, PV1, ORC, OBR and OBX; not mapped.
    } else if (id == "SFT" || id == "UAC") {
      if (!s_.results.empty() || pendingOrc_) sequenceError(s, "it belongs right after MSH");
    } else if (id == "DSC") {
      if (!last) sequenceError(s, "DSC ends the message");
    } else {
      issue(core::Severity::Warning, core::IssueType::Structure,
            "segment " + std::string(id) + " is not part of ORU^R01; left out", s.location());
    }
  }

  void placeNote(const Segment& s, Order* o, bool inPatient) {
    if (observation_ != nullptr) {
      observation_->notes.push_back(s);
    } else if (o != nullptr && !pendingOrc_ && o->observations.empty() && o->specimens.empty()) {
      o->notes.push_back(s);
    } else if (inPatient && s_.results.back().pid) {
      s_.results.back().notes.push_back(s);
    } else {
      sequenceError(s, "a note follows the PID, OBR or OBX it is about");
    }
  }

  void placeObservation(const Segment& s, Order* o, bool inPatient) {
    if (pendingOrc_) {
      sequenceError(s, "the ORC before it has no OBR");
    } else if (o != nullptr) {
      auto& list = o->specimens.empty() ? o->observations : o->specimens.back().observations;
      list.push_back(Observation{s, {}});
      observation_ = &list.back();
    } else if (inPatient && s_.results.back().pid) {
      s_.results.back().observations.push_back(Observation{s, {}});
      observation_ = &s_.results.back().observations.back();
    } else {
      sequenceError(s, "an OBX follows a PID or an OBR");
    }
  }

  const Message& message_;
  core::Issues& issues_;
  Structure s_;
  std::optional<Segment> pendingOrc_;
  Observation* observation_ = nullptr;  // the last OBX group, for the NTE after it
};

}  // namespace

bool isSupportedVersion(std::string_view version) {
  const auto parts = versionParts(version);
  return parts && *parts >= kOldest;
}

std::optional<Structure> readOru(const Message& message, core::Issues& issues) {
  return OruReader(message, issues).read();
}

}  // namespace trialbridge::hl7v2::oru
