// HL7 v2 messages through the pipeline: parse, map, the study context's decision, then one unit
// with the message's receipt (deduplication by MSH-3/MSH-4/MSH-10) and what the message leaves,
// or its quarantine entry. docs/mllp.md says what a sender sees.
#include "core/json.h"
#include "hl7v2/location.h"
#include "mapping/oru_mapping.h"
#include "pipeline/steps.h"

namespace trialbridge::pipeline::detail {

using core::IssueType;
using core::Severity;
using hl7v2::AckCode;
using hl7v2::ErrorCode;

namespace {

// Longer keys (a sender's names and a control id are short in practice) are replaced by their
// digest, so that the key column stays small whatever a sender writes.
constexpr size_t kMaxKeyBytes = 300;

bool isError(const core::Issue& i) { return i.severity <= Severity::Error; }

const core::Issue* firstError(const core::Issues& issues) {
  for (const core::Issue& i : issues.items()) {
    if (isError(i)) return &i;
  }
  return nullptr;
}

// AR for what the receiver does not support at all (a message type, event, processing id,
// version or character set: table 0357 codes 200 to 203) and for an unreadable header; AE for
// the rest of the errors; AA without errors.
AckCode codeFor(const core::Issues& issues, bool readable) {
  if (!readable) return AckCode::AR;
  AckCode code = AckCode::AA;
  for (const core::Issue& i : issues.items()) {
    if (!isError(i)) continue;
    const ErrorCode c = hl7v2::errorCodeFor(i);
    if (c >= ErrorCode::UnsupportedMessageType && c <= ErrorCode::UnsupportedVersionId) {
      return AckCode::AR;
    }
    code = AckCode::AE;
  }
  return code;
}

Status statusFor(AckCode code) {
  switch (code) {
    case AckCode::AA: return Status::Ok;
    case AckCode::AR: return Status::Invalid;
    default: return Status::Unprocessable;
  }
}

// The issue type that gives back a table 0357 code through hl7v2::errorCodeFor (the location
// tells the unsupported codes apart), for an answer rebuilt from a quarantine entry.
IssueType typeFor(int code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::SegmentSequence: return IssueType::Structure;
    case ErrorCode::RequiredFieldMissing: return IssueType::Required;
    case ErrorCode::DataType: return IssueType::Value;
    case ErrorCode::TableValueNotFound: return IssueType::CodeInvalid;
    case ErrorCode::ValueTooLong: return IssueType::TooLong;
    case ErrorCode::UnsupportedMessageType:
    case ErrorCode::UnsupportedEventCode:
    case ErrorCode::UnsupportedProcessingId:
    case ErrorCode::UnsupportedVersionId: return IssueType::NotSupported;
    case ErrorCode::DuplicateKeyIdentifier: return IssueType::Duplicate;
    default: return IssueType::Exception;
  }
}

// What a resend has in common with the first sending: the segments whatever their terminators
// (CR, LF, CR LF), without MSH-7 (the time of sending, which some engines stamp again).
std::string resendText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool first = true;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t end = raw.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view seg = raw.substr(pos, end - pos);
    pos = end + 1;
    if (seg.empty()) continue;
    if (first && seg.size() > 3 && seg.substr(0, 3) == "MSH") {
      // MSH-1 is the separator at offset 3; the 5th separator after it starts MSH-7.
      const char sep = seg[3];
      size_t at = 3;
      for (int n = 0; n < 5 && at != std::string_view::npos; ++n) at = seg.find(sep, at + 1);
      if (at != std::string_view::npos) {
        const size_t next = seg.find(sep, at + 1);
        out.append(seg.substr(0, at + 1));
        if (next != std::string_view::npos) out.append(seg.substr(next));
        seg = {};
      }
    }
    first = false;
    out.append(seg);
    out += '\r';
  }
  return out;
}

std::string receiptKey(const hl7v2::AckHeader& h, const std::string& fingerprint) {
  if (h.controlId.empty()) return "raw:" + fingerprint;
  std::string key = "hl7:" + h.sendingApplication + "|" + h.sendingFacility + "|" + h.controlId;
  if (key.size() > kMaxKeyBytes) key = "hl7:" + digest(key);
  return key;
}

// Everything known about a message before its unit.
struct V2Work {
  std::string raw, peer;
  hl7v2::AckHeader header;
  std::string messageType;
  std::string key, fingerprint;
  core::Issues issues;
  AckCode code = AckCode::AA;
  std::vector<Step> steps;  // the study context's writes, planned and validated
  std::string retryLater;   // why nothing may be stored now (the subjects could not be read)
  std::string quarantineId = store::newId();  // the entry's id if it goes to quarantine
};

// The message type as written in MSH-9 (ORU^R01), for receipts and listings.
std::string messageTypeOf(const hl7v2::Message& m) {
  return std::string(m.header().field(9).raw());
}

// Parses and maps the message, and asks the study context what it leaves; `w.code` says how it
// is answered.
void prepare(V2Work& w, const Settings& s) {
  const Config& config = s.pipeline.config();
  std::optional<hl7v2::Message> message =
      hl7v2::parseMessage(std::string_view(w.raw), w.issues, config.v2Limits);
  w.header = message ? hl7v2::ackHeaderOf(*message) : hl7v2::ackHeaderFromRaw(w.raw);
  w.fingerprint = digest(resendText(w.raw));
  if (w.key.empty()) w.key = receiptKey(w.header, w.fingerprint);
  if (!message) {
    w.code = AckCode::AR;
    if (firstError(w.issues) == nullptr) {
      w.issues.add(Severity::Error, IssueType::Structure, "no message header (MSH) to read", "MSH");
    }
    return;
  }
  w.messageType = messageTypeOf(*message);
  if (firstError(w.issues) == nullptr) {
    std::unique_ptr<core::Document> mapped = config.v2Mapper->map(*message, w.issues);
    if (mapped != nullptr && config.v2Study != nullptr) {
      V2Decision decision = config.v2Study->decide(*message, *mapped);
      if (decision.retryLater) {
        const core::Issue* e = firstError(decision.issues);
        w.retryLater = e != nullptr ? e->message : "the subject directory cannot answer";
      }
      w.issues.append(decision.issues);
      if (decision.writes != nullptr && decision.writes->root() != nullptr &&
          firstError(w.issues) == nullptr) {
        const std::vector<core::Issues> none(decision.writes->root()->childCount("entry"));
        planTransaction(*decision.writes->root(), none, s, w.steps, w.issues);
      }
    }
  }
  w.code = codeFor(w.issues, true);
}

store::MessageReceipt receiptOf(const V2Work& w, AckCode code) {
  store::MessageReceipt r;
  r.key = w.key;
  r.senderApplication = w.header.sendingApplication;
  r.senderFacility = w.header.sendingFacility;
  r.controlId = w.header.controlId;
  r.messageType = w.messageType;
  r.ackCode = std::string(hl7v2::ackCodeName(code));
  r.fingerprint = w.fingerprint;
  return r;
}

// The quarantine entry of a message answered `code` for `issues`.
void describe(store::QuarantineEntry& e, AckCode code, const core::Issues& issues) {
  e.ackCode = std::string(hl7v2::ackCodeName(code));
  const core::Issue* error = firstError(issues);
  e.errorCode = static_cast<int>(error != nullptr ? hl7v2::errorCodeFor(*error)
                                                  : ErrorCode::ApplicationInternalError);
  e.location = error != nullptr ? error->location : std::string();
  e.reason = error != nullptr ? error->message : std::string("not processed");
}

store::QuarantineEntry entryOf(const V2Work& w, AckCode code, const core::Issues& issues) {
  store::QuarantineEntry e;
  e.id = w.quarantineId;
  e.key = w.key;
  e.peer = w.peer;
  e.senderApplication = w.header.sendingApplication;
  e.senderFacility = w.header.sendingFacility;
  e.controlId = w.header.controlId;
  e.messageType = w.messageType;
  e.raw = w.raw;
  describe(e, code, issues);
  return e;
}

// The answer after the unit, as the unit left it.
struct V2Outcome {
  AckCode code = AckCode::AA;
  core::Issues issues;
  std::string key, quarantineId;
  bool replayed = false;
};

// Writes the study context's steps (if any) and returns their results for the receipt.
store::Status writeSteps(store::WriteContext& ctx, V2Work& w, const Settings& s, UnitState& state,
                         std::string& result) {
  if (w.steps.empty()) return store::Status::ok();
  std::vector<Step*> ptrs;
  for (Step& st : w.steps) ptrs.push_back(&st);
  Settings ws = s;
  ws.rewriteReferences = true;
  ws.key.clear();
  if (store::Status st = runSteps(ctx, ptrs, ws, state); !st) return st;
  result = encodeResults(ptrs);
  return store::Status::ok();
}

// A receipt found under the message's key: the first answer again, with the issues computed now
// when they still say the same (so the ERR segments are the same), else the quarantine's reason.
store::Status replay(store::WriteContext& ctx, const V2Work& w, const store::MessageReceipt& r,
                     V2Outcome& out) {
  out.replayed = true;
  out.issues = core::Issues();  // the first answer's issues, rebuilt below (not added twice)
  out.quarantineId = r.quarantineId;
  out.code = r.ackCode == "AR" ? AckCode::AR : (r.ackCode == "AE" ? AckCode::AE : AckCode::AA);
  for (const core::Issue& i : w.issues.items()) {
    if (out.code != AckCode::AA || !isError(i)) out.issues.add(i);
  }
  if (out.code == AckCode::AA || firstError(out.issues) != nullptr) return store::Status::ok();
  store::QuarantineEntry e;
  if (store::Status st = ctx.findQuarantine(r.quarantineId, e); !st) return st;
  out.issues.add(Severity::Error, typeFor(e.errorCode), e.reason, e.location);
  return store::Status::ok();
}

// The unit of a message received: its receipt, and either its writes or its quarantine entry. A
// resend (same key, same content) replays the first answer; the same key with other content
// after an accepted message is a duplicate control id (AE, code 205) kept under a key of its own.
store::Status receiveUnit(store::WriteContext& ctx, V2Work& w, const Settings& s, UnitState& state,
                          V2Outcome& out) {
  out = V2Outcome();
  state = UnitState();
  out.key = w.key;
  out.code = w.code;
  out.issues = w.issues;
  store::MessageReceipt found;
  bool replace = false;
  if (store::Status st = ctx.findReceipt(out.key, found); st) {
    if (found.fingerprint == w.fingerprint) return replay(ctx, w, found, out);
    if (found.ackCode == "AA") {
      out.key += "#" + w.fingerprint.substr(0, 16);
      if (store::Status again = ctx.findReceipt(out.key, found); again) {
        return replay(ctx, w, found, out);
      }
      out.issues.add(Severity::Error, IssueType::Duplicate,
                     "the control id '" + w.header.controlId +
                         "' was used before by this sender for another message, which was "
                         "accepted: a new message needs a new control id",
                     "MSH-10");
      if (out.code == AckCode::AA) out.code = AckCode::AE;
    } else {
      replace = true;  // a new message in place of one that was not accepted
    }
  } else if (st.code() != store::Code::NotFound) {
    return st;
  }
  store::MessageReceipt receipt = receiptOf(w, out.code);
  receipt.key = out.key;
  if (out.code == AckCode::AA) {
    if (store::Status st = writeSteps(ctx, w, s, state, receipt.result); !st) return st;
  } else {
    store::QuarantineEntry e = entryOf(w, out.code, out.issues);
    e.key = out.key;
    if (store::Status st = ctx.saveQuarantine(e); !st) return st;
    receipt.quarantineId = out.quarantineId = e.id;
  }
  store::Status saved = ctx.saveReceipt(receipt, replace);
  if (saved.code() == store::Code::Conflict) state.keyTaken = true;
  return saved;
}

// Runs `unit` in the store; when another unit took the key meanwhile, once more (which replays).
template <typename F>
store::Status writeOnce(const Settings& s, UnitState& state, F&& unit) {
  store::Store& store = s.pipeline.store();
  store::Status st = store.write([&](store::WriteContext& ctx) { return unit(ctx); });
  if (!st && state.keyTaken) {
    st = store.write([&](store::WriteContext& ctx) { return unit(ctx); });
  }
  return st;
}

Result resultOf(V2Work& w, const V2Outcome& out, const store::Status& st, const UnitState& state) {
  Result r;
  V2Answer answer;
  answer.header = std::move(w.header);
  answer.key = out.key;
  if (!st) {
    // Nothing was stored: AE, and the sender sends it again.
    r.status = statusOf(st.code()) == Status::Conflict ? Status::Conflict : Status::Internal;
    r.issues.add(Severity::Error, IssueType::Exception,
                 "the message could not be stored (" + st.message() + "): send it again",
                 state.failed != nullptr ? state.failed->location : std::string());
    answer.code = AckCode::AE;
    r.v2 = std::move(answer);
    return r;
  }
  answer.code = out.code;
  answer.quarantineId = out.quarantineId;
  r.status = statusFor(out.code);
  r.replayed = out.replayed;
  r.issues = out.issues;
  if (out.code == AckCode::AA && !out.replayed) {
    for (Step& step : w.steps) {
      step.result.status = Status::Ok;
      r.entries.push_back(std::move(step.result));
    }
  }
  r.v2 = std::move(answer);
  return r;
}

Result unavailable() {
  Result r;
  r.status = Status::Unavailable;
  r.issues.add(Severity::Error, IssueType::NotSupported,
               "HL7 v2 messages are not taken here (no v2 mapping configured)");
  return r;
}

}  // namespace

Result applyV2Message(Change& change, const Settings& s) {
  if (s.pipeline.config().v2Mapper == nullptr) return unavailable();
  V2Work w;
  w.raw = std::move(change.payload);
  w.peer = std::move(change.source);
  prepare(w, s);
  V2Outcome out;
  UnitState state;
  if (!w.retryLater.empty()) {
    // A failure of the database, not of the message: no receipt, no quarantine; AE 207.
    return resultOf(w, out, store::Status::error(store::Code::Unavailable, w.retryLater), state);
  }
  const auto unit = [&](store::WriteContext& ctx) { return receiveUnit(ctx, w, s, state, out); };
  store::Status st = writeOnce(s, state, unit);
  if (!st && !store::isDatabaseFailure(st.code()) && state.failed != nullptr) {
    // What the study context decided cannot be written (a version conflict, say): the message
    // goes to quarantine with the reason rather than failing at every resend.
    w.issues.add(Severity::Error, IssueType::Conflict,
                 "what the message produced cannot be stored: " + st.message(),
                 state.failed->location);
    w.code = AckCode::AE;
    w.steps.clear();
    st = writeOnce(s, state, unit);
  }
  return resultOf(w, out, st, state);
}

}  // namespace trialbridge::pipeline::detail

namespace trialbridge::pipeline {

using core::IssueType;
using core::Severity;
using detail::Settings;
using detail::UnitState;

namespace {

Result refused(Status status, IssueType type, std::string message) {
  Result r;
  r.status = status;
  r.issues.add(Severity::Error, type, std::move(message));
  return r;
}

std::optional<Result> tooLong(const std::string& reason) {
  if (reason.size() <= kMaxReasonBytes) return std::nullopt;
  return refused(Status::Invalid, IssueType::TooLong,
                 "the reason is longer than " + std::to_string(kMaxReasonBytes) + " bytes");
}

// The entry with `id`, which must be open, into `e`; else the refusal.
std::optional<Result> openEntry(store::Store& store, std::string_view id,
                                store::QuarantineEntry& e) {
  const store::Status st = store.readQuarantine(id, e);
  if (st.code() == store::Code::NotFound) {
    return refused(Status::NotFound, IssueType::NotFound,
                   "no quarantined message '" + std::string(id) + "'");
  }
  if (!st) return refused(Status::Internal, IssueType::Exception, st.message());
  if (e.status != "open") {
    return refused(Status::Conflict, IssueType::Conflict,
                   "the quarantined message '" + std::string(id) + "' is " + e.status +
                       "; only open ones can be retried or discarded");
  }
  return std::nullopt;
}

// In a unit: the entry again, still open (another retry may have run meanwhile).
store::Status stillOpen(store::WriteContext& ctx, std::string_view id, store::QuarantineEntry& e) {
  if (store::Status st = ctx.findQuarantine(id, e); !st) return st;
  if (e.status != "open") {
    return store::Status::error(store::Code::Conflict,
                                "the quarantined message is " + e.status + " already");
  }
  return store::Status::ok();
}

// The audit row of an operator's decision on a quarantined message, in the decision's unit.
store::Status auditDecision(store::WriteContext& ctx, const Pipeline& pipeline,
                            const Options& options, const std::string& id,
                            const std::string& operation, char action, bool succeeded) {
  const AuditPolicy* policy = pipeline.config().audit;
  if (policy == nullptr || !policy->enabled()) return store::Status::ok();
  AuditRecord r;
  r.interaction = "operation";
  r.action = action;
  r.outcome = succeeded ? '0' : '4';
  r.agentId = options.actor.clientId;
  r.address = options.actor.address;
  r.entityType = "Quarantine";
  r.entityId = id;
  r.entitySystem = std::string(kQuarantineSystem);
  r.details.emplace_back("operation", operation);
  if (!options.reason.empty()) r.details.emplace_back("reason", options.reason);
  return ctx.audit({auditEntry(r)});
}

}  // namespace

Result Pipeline::retryQuarantined(std::string_view id, const Options& options) const {
  if (config_.v2Mapper == nullptr) return detail::unavailable();
  if (auto refusal = tooLong(options.reason)) return std::move(*refusal);
  store::QuarantineEntry entry;
  if (auto refusal = openEntry(store_, id, entry)) return std::move(*refusal);
  Settings s{*this, options};
  detail::V2Work w;
  w.raw = entry.raw;
  w.peer = entry.peer;
  w.key = entry.key;
  w.quarantineId = entry.id;
  detail::prepare(w, s);
  detail::V2Outcome out;
  UnitState state;
  const store::Status st = detail::writeOnce(s, state, [&](store::WriteContext& ctx) {
    out = detail::V2Outcome();
    out.key = w.key;
    out.code = w.code;
    out.issues = w.issues;
    out.quarantineId = entry.id;
    store::QuarantineEntry e;
    if (store::Status open = stillOpen(ctx, entry.id, e); !open) return open;
    store::MessageReceipt receipt = detail::receiptOf(w, out.code);
    receipt.quarantineId = e.id;
    if (out.code == hl7v2::AckCode::AA) {
      if (store::Status wrote = detail::writeSteps(ctx, w, s, state, receipt.result); !wrote) {
        return wrote;
      }
      e.status = "retried";
    } else {
      detail::describe(e, out.code, out.issues);
    }
    e.attempts += 1;
    if (store::Status saved = ctx.saveQuarantine(e); !saved) return saved;
    const bool accepted = out.code == hl7v2::AckCode::AA;
    if (store::Status a = auditDecision(ctx, *this, options, e.id, "retry", 'E', accepted); !a) {
      return a;
    }
    return ctx.saveReceipt(receipt, true);
  });
  return detail::resultOf(w, out, st, state);
}

Result Pipeline::discardQuarantined(std::string_view id, const Options& options) const {
  if (options.reason.empty()) {
    return refused(Status::Invalid, IssueType::Required, "a discard needs a reason");
  }
  if (auto refusal = tooLong(options.reason)) return std::move(*refusal);
  store::QuarantineEntry entry;
  if (auto refusal = openEntry(store_, id, entry)) return std::move(*refusal);
  const store::Status st = store_.write([&](store::WriteContext& ctx) {
    store::QuarantineEntry e;
    if (store::Status open = stillOpen(ctx, entry.id, e); !open) return open;
    e.status = "discarded";
    if (store::Status saved = ctx.saveQuarantine(e); !saved) return saved;
    return auditDecision(ctx, *this, options, e.id, "discard", 'D', true);
  });
  if (!st) {
    return refused(detail::statusOf(st.code()), IssueType::Conflict, st.message());
  }
  Result r;
  r.issues.add(Severity::Information, IssueType::Informational,
               "the quarantined message '" + entry.id + "' is discarded");
  return r;
}

}  // namespace trialbridge::pipeline
