#pragma once
// Internal to the pipeline: a change becomes Steps (one per resource it writes or reads), which
// are checked, authorised and validated before the store unit, and then run inside it by one
// function whatever the change was (a single create is a one-step transaction without
// reference rewriting).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "pipeline/pipeline.h"
#include "store/index.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::pipeline::detail {

// One entry of a change.
struct Step {
  size_t index = 0;
  std::string location;  // "Bundle.entry[2]", or "" for a single change
  std::string method;    // POST PUT DELETE GET
  std::string url;       // request.url as given
  std::string fullUrl;
  std::string type;
  std::string id;     // from the url (PUT, DELETE, GET), then the id written
  std::string query;  // from the url: a conditional PUT/DELETE's criteria, a GET's parameters
  std::string ifMatchText, ifNoneExist, ifNoneMatch, ifModifiedSince;
  std::optional<int64_t> ifMatch;
  std::optional<store::SearchQuery> condition;  // If-None-Exist of a POST, criteria of PUT/DELETE
  std::string tooMany;                  // the message when the condition matches several resources
  std::unique_ptr<core::Document> doc;  // POST, PUT: the entry's own document
  // Prepared before the unit when the id is known (a single create, update): the index rows,
  // and for a create with a new id its JSON and version stamp, and its audit row.
  bool indexed = false;
  store::IndexRows indexRows;
  std::optional<store::PreparedCreate> prepared;
  std::vector<store::AuditEntry> presetAudit;
  EntryResult result;
  bool wrote = false;
};

// What every step of a change shares.
struct Settings {
  const Pipeline& pipeline;
  const Options& options;
  bool rewriteReferences = false;  // a transaction
  // Idempotency: the key ("" none) and the change's digest.
  std::string key = {};
  std::string fingerprint = {};
};

// Checks and fills a step from a Bundle entry; problems go to `issues` located at the entry.
void planEntry(const core::Element& entry, size_t index, const Settings& s, Step& step,
               core::Issues& issues);
// Checks and fills the step of a single change (Create ... ConditionalDelete).
void planSingle(Change& change, const Settings& s, Step& step, core::Issues& issues);
// Parses `criteria` ("a=b&c=d", a leading "Type?" allowed) into step.condition; false (with an
// issue) when it is not a search or has no criteria.
bool planCondition(std::string_view criteria, std::string_view what, const Settings& s, Step& step,
                   core::Issues& issues);
// The permission the step needs, and whether the actor has it (Forbidden issue when not).
bool authorizeStep(const Step& step, const Settings& s, core::Issues& issues);
// Validates the step's document under the change's policy: errors (the reader's and the
// validator's) go to `issues` located in the change, warnings to the step's result.
bool validateStep(Step& step, const core::Issues& readIssues, const Settings& s,
                  core::Issues& issues);
// Before the unit, for a step whose id is known: the index rows, and for a create the JSON
// stamped with version 1.
void prepareStep(Step& step, const Settings& s);

// What a unit reports besides its status.
struct UnitState {
  Step* failed = nullptr;  // the step that failed, if one did
  bool replayed = false;   // the key was known: nothing written, the results are the first ones
  bool keyTaken = false;   // the key was saved by another unit while this one ran
};

// The body of the store unit for `steps`: DELETE, then POST, then PUT (the order of FHIR
// transactions), conditions resolved, references rewritten (Settings::rewriteReferences), audit
// rows and the idempotency key written. After a replay the results are the first ones, without
// JSON.
store::Status runUnit(store::WriteContext& ctx, std::vector<Step*>& steps, const Settings& s,
                      UnitState& state);
// The same without looking the key up first (the caller did): the writes, audit rows and, when
// Settings::key is set, the key.
store::Status runSteps(store::WriteContext& ctx, std::vector<Step*>& steps, const Settings& s,
                       UnitState& state);

// A conditional write's criteria in one canonical text (WriteContext::lockCriteria's key): the
// same for criteria that differ only in the order of their parameters or of a parameter's OR
// values (or repeat one), different whenever a parameter, modifier, prefix or value differs.
std::string criteriaKey(const store::SearchQuery& query);
// The pipeline's status for a store status.
Status statusOf(store::Code code);

// Runs the unit for `steps`, then sets `result`'s status and issues (a failure's message is
// `failurePrefix` + the store's, located at the failed step) and the steps' results: their
// documents handed over, or after a replay the stored versions' JSON read back. A failure's
// audit record goes to Config::recordFailure.
void execute(const Settings& s, std::vector<Step*>& steps, Result& result,
             std::string_view failurePrefix);
// A change refused before its unit: `status` with `issues`, the step's result as its entry.
Result refuse(Step& step, Status status, core::Issues issues);
// Transactions and batches (bundle.cc).
Result applyBundle(Change& change, const Settings& s);
// A transaction's steps (one per entry of `bundle`, `readIssues` holding the reader's issues of
// each), checked, authorised and validated under `s` (rewriteReferences set by the caller): Ok,
// or Invalid, Forbidden or Unprocessable with the reasons in `issues`.
Status planTransaction(const core::Element& bundle, const std::vector<core::Issues>& readIssues,
                       const Settings& s, std::vector<Step>& steps, core::Issues& issues);
// HL7 v2 messages (v2_message.cc).
Result applyV2Message(Change& change, const Settings& s);

std::string childText(const core::Element& e, std::string_view name);
void setId(core::Document& doc, std::string_view id);

// Idempotency: the digest (SHA-256, hex) of text and of a change, and the results kept with its
// key.
std::string digest(std::string_view text);
std::string fingerprintOf(const Change& change, const Options& options);
std::string encodeResults(const std::vector<Step*>& steps);
bool decodeResults(std::string_view text, std::vector<Step*>& steps);

}  // namespace trialbridge::pipeline::detail
