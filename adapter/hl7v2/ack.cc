#include "hl7v2/ack.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "hl7v2/escape.h"

namespace trialbridge::hl7v2 {

namespace {

bool conditionHolds(std::string_view condition, bool success) {
  if (condition == "AL") return true;
  if (condition == "ER") return !success;
  if (condition == "SU") return success;
  return false;  // NE, empty, unknown
}

std::string nowUtc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S+0000", &tm);
  return buf;
}

// UTF-8 as ISO 8859-1; code points above U+00FF become '?'.
std::string utf8ToLatin1(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += s[i];
    } else if ((b == 0xC2 || b == 0xC3) && i + 1 < s.size()) {
      out += static_cast<char>(((b & 0x03) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F));
      ++i;
    } else if (b >= 0xC0) {
      out += '?';
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    }
  }
  return out;
}

char errSeverity(core::Severity s) {
  switch (s) {
    case core::Severity::Fatal: return 'F';
    case core::Severity::Error: return 'E';
    case core::Severity::Warning: return 'W';
    case core::Severity::Information: return 'I';
  }
  return 'E';
}

// ERR-2 to ERR-12 came with v2.5; before it, ERR-1 alone.
bool atLeast25(std::string_view version) {
  return version.rfind("2.3", 0) != 0 && version.rfind("2.4", 0) != 0 &&
         version.rfind("2.2", 0) != 0 && version.rfind("2.1", 0) != 0;
}

class AckWriter {
 public:
  AckWriter(const AckHeader& h, const AckOptions& o) : h_(h), o_(o), e_(h.encoding) {}

  std::string write(AckCode code, const core::Issues& issues) {
    const char f = e_.field;
    const bool v25 = atLeast25(h_.version);
    out_ = "MSH";
    out_ += f;
    out_ += e_.encodingCharacters();
    for (const std::string& v :
         {esc(o_.application), esc(o_.facility), h_.sendingApplication, h_.sendingFacility,
          o_.timestamp.empty() ? nowUtc() : esc(o_.timestamp), std::string(), messageType(),
          esc(o_.controlId), h_.processingId, esc(h_.version)}) {
      out_ += f;
      out_ += v;
    }
    if (!h_.charset.empty()) {
      out_.append(6, f);  // MSH-13 to MSH-17 empty
      out_ += h_.charset;
    }
    out_ += '\r';
    const core::Issue* first = nullptr;
    for (const core::Issue& i : issues.items()) {
      if (i.severity <= core::Severity::Error) {
        first = &i;
        break;
      }
    }
    out_ += "MSA";
    out_ += f;
    out_ += ackCodeName(code);
    out_ += f;
    out_ += esc(h_.controlId);
    if (first != nullptr && (!v25 || code == AckCode::AE || code == AckCode::AR ||
                             code == AckCode::CE || code == AckCode::CR)) {
      out_ += f;
      out_ += esc(first->message.substr(0, 80));
    }
    out_ += '\r';
    size_t written = 0, left = 0;
    for (const core::Issue& i : issues.items()) {
      if (i.severity == core::Severity::Information) continue;
      if (written == o_.maxErrors) {
        ++left;
        continue;
      }
      ++written;
      v25 ? err25(i) : errOld(i);
    }
    if (left > 0) {
      core::Issue more{core::Severity::Warning,
                       core::IssueType::Informational,
                       std::to_string(left) + " more problems are not listed",
                       {},
                       0,
                       0};
      v25 ? err25(more) : errOld(more);
    }
    return e_.charset == Charset::Latin1 ? utf8ToLatin1(out_) : out_;
  }

 private:
  std::string esc(std::string_view s) const { return escape(s, e_); }

  std::string messageType() const {
    std::string t = "ACK";
    if (!h_.triggerEvent.empty()) t += e_.component + esc(h_.triggerEvent);
    if (h_.version != "2.3" && !h_.triggerEvent.empty()) t += e_.component + std::string("ACK");
    return t;
  }

  // ERL: segment ^ sequence ^ field ^ repetition ^ component ^ subcomponent.
  std::string erl(const Location& at, bool eld) const {
    std::string s = at.segment;
    const char c = e_.component;
    s += c + std::to_string(at.occurrence);
    if (at.field == 0) return s;
    s += c + std::to_string(at.field);
    if (eld) return s;
    s += c + std::to_string(at.repetition);
    if (at.component == 0) return s;
    s += c + std::to_string(at.component);
    if (at.subcomponent > 0) s += c + std::to_string(at.subcomponent);
    return s;
  }

  void err25(const core::Issue& i) {
    const char f = e_.field;
    const char c = e_.component;
    const ErrorCode code = errorCodeFor(i);
    out_ += "ERR";
    out_ += f;
    out_ += f;
    if (auto at = parseLocation(i.location)) out_ += erl(*at, false);
    out_ += f;
    out_ += std::to_string(static_cast<int>(code)) + c + esc(errorCodeText(code)) + c + "HL70357";
    out_ += f;
    out_ += errSeverity(i.severity);
    out_.append(4, f);  // ERR-5 to ERR-7 empty
    out_ += esc(i.message);
    out_ += '\r';
  }

  // ELD (before v2.5): segment ^ sequence ^ field ^ code&text&HL70357.
  void errOld(const core::Issue& i) {
    const char c = e_.component;
    const char s = e_.subcomponent;
    const ErrorCode code = errorCodeFor(i);
    out_ += "ERR";
    out_ += e_.field;
    const std::optional<Location> at = parseLocation(i.location);
    std::string eld = at ? erl(*at, true) : std::string(1, c);
    while (std::count(eld.begin(), eld.end(), c) < 2) eld += c;
    out_ += eld + c + std::to_string(static_cast<int>(code)) + s + esc(errorCodeText(code)) + s +
            "HL70357";
    out_ += '\r';
  }

  const AckHeader& h_;
  const AckOptions& o_;
  const Encoding& e_;
  std::string out_;
};

}  // namespace

std::string_view ackCodeName(AckCode code) {
  switch (code) {
    case AckCode::AA: return "AA";
    case AckCode::AE: return "AE";
    case AckCode::AR: return "AR";
    case AckCode::CA: return "CA";
    case AckCode::CE: return "CE";
    case AckCode::CR: return "CR";
  }
  return "AE";
}

AckPlan planAcks(std::string_view acceptType, std::string_view applicationType, bool success) {
  AckPlan plan;
  if (acceptType.empty() && applicationType.empty()) {
    plan.application = true;
    return plan;
  }
  plan.enhanced = true;
  plan.accept = conditionHolds(acceptType, success);
  plan.application = conditionHolds(applicationType, success);
  return plan;
}

AckHeader ackHeaderOf(const Message& message) {
  const Segment msh = message.header();
  AckHeader h;
  h.encoding = message.encoding();
  h.sendingApplication = std::string(msh.field(3).raw());
  h.sendingFacility = std::string(msh.field(4).raw());
  h.receivingApplication = std::string(msh.field(5).raw());
  h.receivingFacility = std::string(msh.field(6).raw());
  h.controlId = msh.field(10).text();
  h.processingId = std::string(msh.field(11).raw());
  h.version = msh.field(12).component(1).text();
  h.triggerEvent = msh.field(9).component(2).text();
  h.acceptAckType = msh.field(15).text();
  h.applicationAckType = msh.field(16).text();
  h.charset = std::string(msh.field(18).raw());
  return h;
}

AckHeader ackHeaderFromRaw(std::string_view bytes) {
  AckHeader h;
  const size_t start = bytes.find("MSH");
  if (start == std::string_view::npos || bytes.size() < start + 8) return h;
  std::string_view line = bytes.substr(start);
  line = line.substr(0, line.find_first_of("\r\n\x1c"));
  // Whatever parses: the first line on its own, with no limits that could matter.
  core::Issues ignored;
  std::optional<Message> m = parseMessage(line, ignored);
  if (m) return ackHeaderOf(*m);
  return h;
}

std::string buildAck(const AckHeader& original, AckCode code, const core::Issues& issues,
                     const AckOptions& options) {
  return AckWriter(original, options).write(code, issues);
}

}  // namespace trialbridge::hl7v2
