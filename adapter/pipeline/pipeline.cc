#include "pipeline/pipeline.h"

#include "pipeline/steps.h"
#include "validation/validator.h"

namespace trialbridge::pipeline {

using core::IssueType;
using core::Severity;
using detail::Settings;
using detail::Step;

namespace {

Change single(ChangeKind kind, std::string type, std::string id, std::string criteria,
              std::unique_ptr<core::Document> resource, core::Issues readIssues) {
  Change c;
  c.kind = kind;
  c.type = std::move(type);
  c.id = std::move(id);
  c.criteria = std::move(criteria);
  c.document = std::move(resource);
  c.readIssues = std::move(readIssues);
  return c;
}

Result failure(Status status, IssueType code, std::string message, std::string location = {}) {
  Result r;
  r.status = status;
  r.issues.add(Severity::Error, code, std::move(message), std::move(location));
  return r;
}

// The steps of a change that has one (Create ... ConditionalDelete).
Result applySingle(Change& change, const Settings& s) {
  Step step;
  core::Issues issues;
  detail::planSingle(change, s, step, issues);
  if (issues.hasErrors()) return detail::refuse(step, Status::Invalid, std::move(issues));
  if (!detail::authorizeStep(step, s, issues)) {
    return detail::refuse(step, Status::Forbidden, std::move(issues));
  }
  if (!detail::validateStep(step, change.readIssues, s, issues)) {
    return detail::refuse(step, Status::Unprocessable, std::move(issues));
  }
  detail::prepareStep(step, s);
  Result r;
  std::vector<Step*> steps{&step};
  detail::execute(s, steps, r, "");
  r.entries.push_back(std::move(step.result));
  return r;
}

}  // namespace

Change Change::create(std::unique_ptr<core::Document> resource, core::Issues readIssues) {
  std::string type = resource != nullptr && resource->root() != nullptr
                         ? std::string(resource->root()->type().name)
                         : std::string();
  return single(ChangeKind::Create, std::move(type), {}, {}, std::move(resource),
                std::move(readIssues));
}

Change Change::update(std::string type, std::string id, std::unique_ptr<core::Document> resource,
                      core::Issues readIssues) {
  return single(ChangeKind::Update, std::move(type), std::move(id), {}, std::move(resource),
                std::move(readIssues));
}

Change Change::conditionalUpdate(std::string type, std::string criteria,
                                 std::unique_ptr<core::Document> resource,
                                 core::Issues readIssues) {
  return single(ChangeKind::ConditionalUpdate, std::move(type), {}, std::move(criteria),
                std::move(resource), std::move(readIssues));
}

Change Change::remove(std::string type, std::string id) {
  return single(ChangeKind::Delete, std::move(type), std::move(id), {}, nullptr, {});
}

Change Change::conditionalRemove(std::string type, std::string criteria) {
  return single(ChangeKind::ConditionalDelete, std::move(type), {}, std::move(criteria), nullptr,
                {});
}

Change Change::bundle(std::unique_ptr<core::Document> bundle, core::Issues readIssues) {
  Change c;
  c.kind = ChangeKind::Transaction;
  if (bundle != nullptr && bundle->root() != nullptr) {
    c.type = std::string(bundle->root()->type().name);
    if (detail::childText(*bundle->root(), "type") == "batch") c.kind = ChangeKind::Batch;
  }
  c.document = std::move(bundle);
  c.readIssues = std::move(readIssues);
  return c;
}

Change Change::v2Message(std::string bytes) {
  Change c;
  c.kind = ChangeKind::V2Message;
  c.payload = std::move(bytes);
  return c;
}

std::string_view statusName(Status status) {
  switch (status) {
    case Status::Ok: return "ok";
    case Status::Invalid: return "invalid";
    case Status::Unprocessable: return "unprocessable";
    case Status::NotFound: return "not-found";
    case Status::Gone: return "gone";
    case Status::Conflict: return "conflict";
    case Status::PreconditionFailed: return "precondition-failed";
    case Status::Forbidden: return "forbidden";
    case Status::TooLarge: return "too-large";
    case Status::Unavailable: return "unavailable";
    case Status::Internal: return "internal";
  }
  return "internal";
}

std::string_view outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::None: return "none";
    case Outcome::Created: return "created";
    case Outcome::Updated: return "updated";
    case Outcome::Deleted: return "deleted";
    case Outcome::Matched: return "matched";
    case Outcome::NoOp: return "no-op";
    case Outcome::Read: return "read";
  }
  return "none";
}

std::optional<int64_t> parseETag(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.rfind("W/", 0) == 0) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

Pipeline::Pipeline(store::Store& store, const validation::Validator* validator, Config config)
    : store_(store), validator_(validator), config_(std::move(config)) {}

Pipeline::~Pipeline() = default;

Status Pipeline::validate(const core::Element& resource, const std::vector<std::string>& profiles,
                          core::Issues& issues) const {
  if (validator_ == nullptr) {
    issues.add(Severity::Error, IssueType::NotSupported,
               "validation is not available on this server");
    return Status::Unavailable;
  }
  std::vector<std::string> all = profiles;
  if (auto it = config_.requiredProfiles.find(std::string(resource.type().name));
      it != config_.requiredProfiles.end()) {
    all.push_back(it->second);
  }
  validator_->validate(resource, issues, all);
  return Status::Ok;
}

Result Pipeline::apply(Change change, const Options& options) const {
  Settings s{*this, options};
  s.key = options.idempotencyKey;
  // A batch's entries have their own digests.
  if (!s.key.empty() && change.kind != ChangeKind::Batch) {
    s.fingerprint = detail::fingerprintOf(change, options);
  }
  switch (change.kind) {
    case ChangeKind::Create:
    case ChangeKind::Update:
    case ChangeKind::ConditionalUpdate:
    case ChangeKind::Delete:
    case ChangeKind::ConditionalDelete: return applySingle(change, s);
    case ChangeKind::Transaction:
    case ChangeKind::Batch: return detail::applyBundle(change, s);
    case ChangeKind::V2Message: return detail::applyV2Message(change, s);
    case ChangeKind::ImportLine: break;
  }
  return failure(Status::Unavailable, IssueType::NotSupported,
                 "this kind of change is not implemented yet");
}

}  // namespace trialbridge::pipeline
