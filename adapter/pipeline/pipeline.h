#pragma once
// The one write path, free of any transport (../shared/DESIGN.md, "pipeline"). Every way in
// (the REST API, `serve --trial` and enrolment, the MLLP listener, later bulk import) turns
// what it received into a Change, calls Pipeline::apply with its Options, and maps the Result's
// status to its own answer (HTTP status, ACK code, exit status). Nothing else writes resources.
//
// What apply() does, in order:
//   1. checks the change (ids, urls, methods, conditions; a Bundle's entries one by one) and asks
//      the caller's authorisation callback for every type and permission it will touch;
//   2. validates each resource it will write (policy Full: R4, meta.profile and the profile the
//      configuration requires for the type); the reader's errors count as validation errors;
//   3. runs ONE store unit of work (store::Store::write) per change, or per batch entry, that:
//      resolves conditional creates, updates and deletes; assigns ids and, in a transaction,
//      rewrites references to the entries' fullUrls (urn:uuid:..., {base}/{type}/{id}) and
//      conditional references (Type?criteria) to the ids; puts and removes; appends the audit
//      rows of the writes; and keeps the idempotency key with the result. The store adds the
//      outbox rows for the types configured in store::StoreOptions::outboxTopics in the same
//      unit (their topics are listed in each EntryResult). When apply() returns, the unit is
//      durable, or it failed and left nothing behind (no resource, audit, outbox or key row);
//   4. returns what happened, per entry, with issues located in the change
//      ("Bundle.entry[2].resource.code").
//
// Reads are not performed here: a GET entry of a batch or transaction comes back as
// Outcome::Read with its request, for the transport to perform after the commit.
//
// Thread-safety: a Pipeline is immutable after construction; apply() and validate() may run on
// many threads at once (the store serialises the units).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "pipeline/audit_record.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::validation {
class Validator;
}
namespace trialbridge::mapping {
class V2Mapper;
}

namespace trialbridge::pipeline {

// The pipeline's own verdict. Transports map it: HTTP 200/201, 400, 422, 404, 410, 409, 412,
// 403, 413, 503, 500; HL7 ACK AA, AR (Invalid, Unprocessable, Forbidden, TooLarge) or AE.
enum class Status : uint8_t {
  Ok,
  Invalid,             // the change itself is wrong: a bad id or url, a missing resource, no
                       // criteria, an unreadable entry
  Unprocessable,       // a resource fails validation (the issues say where)
  NotFound,            // the resource to update with If-Match, or to delete, does not exist
  Gone,                // it was deleted
  Conflict,            // an id taken by a create, a concurrent change, an idempotency key used
                       // before for another change
  PreconditionFailed,  // If-Match names another version; a condition matches several resources
  Forbidden,           // the authorisation callback refused a type and permission
  TooLarge,            // more Bundle entries than Config::maxBundleEntries
  Unavailable,         // not possible now, may be later: the database cannot be reached or has
                       // no room (store::Code::Unavailable; HTTP 503 with Retry-After); a kind
                       // of change not implemented yet; validate() without a validator
  Internal,            // the database failed
};
std::string_view statusName(Status status);  // "ok", "invalid", "unprocessable", ...

// What a change is. ImportLine is reserved for bulk import (issue 11); apply() answers
// Unavailable for it until that lands.
enum class ChangeKind : uint8_t {
  Create,             // POST Type (Options::ifNoneExist: conditional create)
  Update,             // PUT Type/id (Options::ifMatch), creates the resource when it is new
  ConditionalUpdate,  // PUT Type?criteria
  Delete,             // DELETE Type/id (Options::ifMatch)
  ConditionalDelete,  // DELETE Type?criteria
  Transaction,        // a Bundle of type transaction: all or nothing, one unit
  Batch,              // a Bundle of type batch: each entry on its own, one unit each
  V2Message,          // an HL7 v2 message (payload, as received; source: the sender's address)
  ImportLine,         // reserved: one NDJSON line of a bulk import (payload)
};

struct Change {
  ChangeKind kind = ChangeKind::Create;
  // The resource type (not for Transaction/Batch). create() takes it from the resource; a
  // transport that knows the type it expects sets it, and a resource of another type is Invalid.
  std::string type;
  std::string id;        // Update, Delete
  std::string criteria;  // ConditionalUpdate, ConditionalDelete: "identifier=urn:mrn|1&..."
  // The resource (Create, Update, ConditionalUpdate) or the Bundle (Transaction, Batch). The
  // pipeline takes it over: ids and references are set in it, and the Result hands it back.
  std::unique_ptr<core::Document> document;
  // What the reader said about `document`: errors make the change Unprocessable (a resource
  // with unknown elements is not stored without them), warnings are kept in the result.
  core::Issues readIssues;
  // V2Message, ImportLine: the bytes as received, and where they came from (for messages).
  std::string payload;
  std::string source;

  static Change create(std::unique_ptr<core::Document> resource, core::Issues readIssues = {});
  static Change update(std::string type, std::string id, std::unique_ptr<core::Document> resource,
                       core::Issues readIssues = {});
  static Change conditionalUpdate(std::string type, std::string criteria,
                                  std::unique_ptr<core::Document> resource,
                                  core::Issues readIssues = {});
  static Change remove(std::string type, std::string id);
  static Change conditionalRemove(std::string type, std::string criteria);
  // A transaction or batch by Bundle.type; any other type gives a change that apply() refuses
  // as Invalid (with the type named).
  static Change bundle(std::unique_ptr<core::Document> bundle, core::Issues readIssues = {});
  // An HL7 v2 message as received (one frame's bytes).
  static Change v2Message(std::string bytes);
};

// The permissions of SMART scopes, as the authorisation callback sees them.
enum class Permission : char {
  Create = 'c',
  Read = 'r',
  Update = 'u',
  Delete = 'd',
  Search = 's',
};
// True when the actor may do `permission` on resources of `type`. Called before anything is
// written, once per entry and type; an empty callback allows everything.
using Authorize = std::function<bool(std::string_view type, Permission permission)>;

enum class ValidationPolicy : uint8_t {
  Full,  // R4, meta.profile and Config::requiredProfiles for the type (needs a validator)
  None,  // parsed only (the reader's errors still refuse the change)
};

// The identifier system of quarantined v2 messages in audit rows (AuditEvent.entity.what).
inline constexpr std::string_view kQuarantineSystem = "urn:trialbridge:quarantine";
// The longest Options::reason the quarantine's operations take (bytes).
inline constexpr size_t kMaxReasonBytes = 1000;

// Who made the change: goes into the audit rows.
struct Actor {
  std::string clientId;  // "" is recorded as "anonymous"
  std::string address;   // the client's network address, or "local"
};

struct Options {
  // A replay of a change with the same key returns the first result and writes nothing
  // (Result::replayed); the same key with a different change is a Conflict. Kept only for a
  // change that succeeded. In a batch, entry i uses "key#i". "" for none.
  std::string idempotencyKey;
  Actor actor;
  // Why the change is made: the quarantine's retry and discard record it in their audit row
  // (discard requires one).
  std::string reason;
  ValidationPolicy validation = ValidationPolicy::Full;
  // Conditional headers of a single change, as plain values (Bundle entries carry their own in
  // request.ifMatch / ifNoneExist).
  std::optional<int64_t> ifMatch;  // Update, Delete: the current version must be this one
  std::string ifNoneExist;         // Create: search criteria ("identifier=urn:mrn|1")
  // The server's base URL ("https://trials.example.org/fhir"): entry urls and fullUrls that
  // start with it are taken as local.
  std::string baseUrl;
  // Unknown search parameters in conditions are errors rather than ignored (Prefer:
  // handling=strict).
  bool strict = false;
  Authorize authorize;
};

// What happened to one resource.
enum class Outcome : uint8_t {
  None,     // nothing: the change (or this entry) failed
  Created,  // a new resource (version 1, or a new version after a deletion)
  Updated,  // a new version
  Deleted,  // a deletion version was written
  Matched,  // a conditional create found the resource: nothing written, `json` is the match
  NoOp,     // nothing to do: a conditional delete matched nothing, or the resource was
            // deleted already
  Read,     // a GET entry: `read` says what to read, after the commit
};
std::string_view outcomeName(Outcome outcome);

// A GET entry of a Bundle, for the transport to perform after the commit.
struct ReadRequest {
  std::string url;    // as given in request.url
  std::string type;   // "" for a system-level url
  std::string id;     // "" for a search or history
  std::string query;  // raw query string, without '?'
  std::string ifNoneMatch;
  std::string ifModifiedSince;
};

struct EntryResult {
  size_t index = 0;            // the entry's position in the Bundle (0 for a single change)
  Status status = Status::Ok;  // batch: this entry's own; otherwise the change's
  Outcome outcome = Outcome::None;
  std::string method;   // the entry's request.method (POST PUT DELETE GET), "" for single
  std::string fullUrl;  // the entry's fullUrl as given
  std::string type;
  std::string id;
  int64_t version = 0;
  std::string lastUpdated;  // FHIR instant
  // The stored version as compact JSON (Created, Updated; Matched: the current version).
  std::string json;
  // The same as a document (Created, Updated), ready to render in another format; null when
  // there is none (deletions, matches, replays).
  std::shared_ptr<const core::Document> document;
  // This entry's issues: validation warnings when it was written, the reasons when it failed.
  core::Issues issues;
  std::optional<ReadRequest> read;  // Outcome::Read
  // The outbox topics that got a row for this write, in the same unit.
  std::vector<std::string> outbox;
};

// What the ACK of an HL7 v2 message needs (ChangeKind::V2Message). The pipeline decides the
// code; the transport builds the ACK (hl7v2::buildAck) with Result::issues as its ERR segments.
//   AA  the message and what it produced are durable (status Ok; a resend: replayed);
//   AE  it was understood but cannot be used: it is in quarantine (status Unprocessable);
//   AR  rejected: an unsupported type, event, processing id or version, or an unreadable header;
//       in quarantine too (status Invalid);
//   AE  with status Internal: nothing could be stored (the database failed); the sender should
//       send it again, and then it is processed as new.
struct V2Answer {
  hl7v2::AckCode code = hl7v2::AckCode::AA;
  hl7v2::AckHeader header;   // from the message, or its best-effort reading of the bytes
  std::string key;           // the receipt's key: "hl7:MSH-3|MSH-4|MSH-10" (as written)
  std::string quarantineId;  // the message's quarantine entry, when it has one
};

struct Result {
  Status status = Status::Ok;
  // Why the change failed, located in it (Bundle.entry[2].resource.code); information issues
  // say what was done. A batch is Ok even when entries failed: see each entry's status.
  core::Issues issues;
  std::vector<EntryResult> entries;  // one for a single change; one per entry, in Bundle order
  // The idempotency key was known: the first result, nothing written (a batch: for some entry).
  bool replayed = false;
  std::optional<V2Answer> v2;  // ChangeKind::V2Message, retryQuarantined()
  bool ok() const { return status == Status::Ok; }
};

// What an HL7 v2 message leaves in the store besides its receipt: the study context's decision
// (issue 11: the subject matched by PID-3, the results pseudonymised and placed in the visit
// schedule, derived results). Called by apply() for each message that mapped without error,
// before its unit, on any thread.
struct V2Decision {
  // A transaction Bundle written in the message's unit, checked and validated as any
  // transaction; null: nothing but the receipt (a patient who is not a subject).
  std::unique_ptr<core::Document> writes;
  // An error puts the message in quarantine (AE) with the error's location; warnings go to the
  // ACK.
  core::Issues issues;
  // The subjects could not be read (the database failed): nothing is stored, not even the
  // receipt, and the message is answered AE with ERR-3 207, to be sent again.
  bool retryLater = false;
};
class V2StudyContext {
 public:
  virtual ~V2StudyContext() = default;
  // `mapped` is the plain mapping (mapping::V2Mapper: a transaction Bundle with the hospital's
  // identities), which is never stored as it is.
  virtual V2Decision decide(const hl7v2::Message& message, const core::Document& mapped) const = 0;
};

struct Config {
  // The profile every write of a type must conform to (besides its meta.profile), e.g.
  // {"Observation": "http://trialbridge.org/fhir/StructureDefinition/tb-observation"}.
  std::map<std::string, std::string> requiredProfiles;
  // For conditions and conditional references (values per parameter, ...).
  store::SearchLimits searchLimits;
  size_t maxBundleEntries = 1000;
  // Which types' writes get an audit row in their unit; null: no audit rows.
  const AuditPolicy* audit = nullptr;
  // Receives the audit record of a change that failed (its unit was rolled back, so the record
  // must be written apart, e.g. by an asynchronous audit log). Called only for audited types.
  std::function<void(AuditRecord)> recordFailure;
  // HL7 v2 messages: the mapping (null: V2Message changes are Unavailable), the study context
  // (null: a message leaves only its receipt) and the parser's limits. Must outlive the pipeline.
  const mapping::V2Mapper* v2Mapper = nullptr;
  const V2StudyContext* v2Study = nullptr;
  hl7v2::Limits v2Limits = {};
};

class Pipeline {
 public:
  // `validator` may be null: then ValidationPolicy::Full changes are only parsed, and validate()
  // answers Unavailable. `store` and `validator` must outlive the pipeline.
  Pipeline(store::Store& store, const validation::Validator* validator, Config config);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  Result apply(Change change, const Options& options) const;

  // The quarantine (docs/mllp.md): retry runs an open entry's message through the pipeline again
  // (after a mapping or enrolment fix), in one unit that also marks the entry retried when the
  // message is now accepted (its receipt then says AA), or records the new reason when it is
  // not. Discard marks an open entry discarded (its receipt stays: a resend gets the same
  // answer). NotFound for no such entry, Conflict for one that is not open; discard without
  // options.reason, or a reason over kMaxReasonBytes, is Invalid. Each writes, in its unit, an
  // audit row (when the audit policy is enabled): who (options.actor), when, the operation, the
  // outcome and the reason, with the entity Quarantine/{id} (identifier system kQuarantineSystem).
  Result retryQuarantined(std::string_view id, const Options& options) const;
  Result discardQuarantined(std::string_view id, const Options& options) const;

  // The validation step alone ($validate): R4, meta.profile, the type's required profile and
  // `profiles`. Unavailable without a validator.
  Status validate(const core::Element& resource, const std::vector<std::string>& profiles,
                  core::Issues& issues) const;
  bool canValidate() const { return validator_ != nullptr; }
  const validation::Validator* validator() const { return validator_; }

  const Config& config() const { return config_; }
  store::Store& store() const { return store_; }

 private:
  store::Store& store_;
  const validation::Validator* validator_;
  Config config_;
};

// The version in an ETag or If-Match value (W/"3", "3", 3); nullopt when it is not one.
std::optional<int64_t> parseETag(std::string_view value);

}  // namespace trialbridge::pipeline
