// Transactions and batches. A transaction is all or nothing: its entries are checked,
// authorised and validated first, then run in one unit in the order FHIR gives (DELETE, POST,
// PUT; GET after the commit, by the transport). A batch runs each entry on its own, in its own
// unit, and reports each entry's status.
#include <set>

#include "core/json.h"
#include "pipeline/steps.h"

namespace trialbridge::pipeline::detail {

using core::IssueType;
using core::Severity;

namespace {

// The Bundle reader's issues by entry ("Bundle.entry[3].resource.x" is entry 3's); those
// outside every entry go to `envelope`.
std::vector<core::Issues> issuesByEntry(const core::Issues& issues, size_t entries,
                                        core::Issues& envelope) {
  std::vector<core::Issues> out(entries);
  static constexpr std::string_view kPrefix = "Bundle.entry[";
  for (const core::Issue& i : issues.items()) {
    const std::string_view loc = i.location;
    size_t index = entries;
    if (loc.rfind(kPrefix, 0) == 0) {
      const size_t close = loc.find(']', kPrefix.size());
      const std::string digits(loc.substr(kPrefix.size(), close - kPrefix.size()));
      if (close != std::string_view::npos && !digits.empty() && digits.size() < 9 &&
          digits.find_first_not_of("0123456789") == std::string::npos) {
        index = std::stoul(digits);
      }
    }
    (index < entries ? out[index] : envelope).add(i);
  }
  return out;
}

// The reader's errors explain a planning error when they made it drop part of an entry (a
// resource whose every element was wrong).
void appendErrors(const core::Issues& from, core::Issues& to) {
  for (const core::Issue& i : from.items()) {
    if (i.severity == Severity::Error || i.severity == Severity::Fatal) to.add(i);
  }
}

Result refuseAll(std::vector<Step>& steps, Status status, core::Issues issues) {
  Result r;
  r.status = status;
  r.issues = std::move(issues);
  for (Step& st : steps) {
    st.result.status = status;
    st.result.outcome = Outcome::None;  // nothing written, nothing to read
    r.entries.push_back(std::move(st.result));
  }
  return r;
}

// Checks that need every entry: no resource is the target of two entries.
void checkTargets(const std::vector<Step>& steps, core::Issues& issues) {
  std::set<std::string> targets;
  for (const Step& st : steps) {
    if (st.id.empty() || st.method == "GET") continue;
    if (!targets.insert(st.type + "/" + st.id).second) {
      issues.add(Severity::Error, IssueType::Duplicate,
                 st.type + "/" + st.id + " appears more than once in the transaction", st.location);
    }
  }
}

Result transaction(const core::Element& bundle, const std::vector<core::Issues>& readIssues,
                   const Settings& base) {
  Settings s = base;
  s.rewriteReferences = true;
  std::vector<Step> steps;
  core::Issues issues;
  if (const Status st = planTransaction(bundle, readIssues, s, steps, issues); st != Status::Ok) {
    return refuseAll(steps, st, std::move(issues));
  }
  Result r;
  std::vector<Step*> writes;
  for (Step& st : steps) {
    if (st.method != "GET") writes.push_back(&st);
  }
  if (!writes.empty()) execute(s, writes, r, "the transaction failed and nothing was written: ");
  for (Step& st : steps) {
    st.result.status = r.status;
    if (!r.ok()) st.result.outcome = Outcome::None;  // nothing to read after a failure
    r.entries.push_back(std::move(st.result));
  }
  return r;
}

}  // namespace

Status planTransaction(const core::Element& bundle, const std::vector<core::Issues>& readIssues,
                       const Settings& s, std::vector<Step>& steps, core::Issues& issues) {
  steps.resize(readIssues.size());
  size_t i = 0;
  bundle.forEachChild("entry", [&](const core::Element& e) {
    if (i < steps.size()) planEntry(e, i, s, steps[i], issues);
    ++i;
  });
  if (!issues.hasErrors()) checkTargets(steps, issues);
  if (issues.hasErrors()) {
    for (const core::Issues& read : readIssues) appendErrors(read, issues);
    return Status::Invalid;
  }
  for (const Step& st : steps) {
    if (!authorizeStep(st, s, issues)) return Status::Forbidden;
  }
  for (i = 0; i < steps.size(); ++i) validateStep(steps[i], readIssues[i], s, issues);
  return issues.hasErrors() ? Status::Unprocessable : Status::Ok;
}

namespace {

// One entry of a batch, in its own unit; its result carries its own status and issues.
EntryResult batchEntry(const core::Element& entry, size_t index, const core::Issues& readIssues,
                       const Settings& base, bool& replayed) {
  Step st;
  core::Issues issues;
  Status status = Status::Ok;
  planEntry(entry, index, base, st, issues);
  if (issues.hasErrors()) {
    status = Status::Invalid;
    appendErrors(readIssues, issues);
  } else if (!authorizeStep(st, base, issues)) {
    status = Status::Forbidden;
  } else if (!validateStep(st, readIssues, base, issues)) {
    status = Status::Unprocessable;
  } else if (st.method != "GET") {
    Settings s = base;
    if (!s.key.empty()) {
      s.key += "#" + std::to_string(index);
      s.fingerprint = digest(core::writeJson(entry));
    }
    prepareStep(st, s);
    Result one;
    std::vector<Step*> steps{&st};
    execute(s, steps, one, "");
    status = one.status;
    issues.append(one.issues);
    replayed |= one.replayed;
  }
  st.result.status = status;
  if (status != Status::Ok) {
    // Why it failed; its warnings do not matter then.
    st.result.outcome = Outcome::None;
    st.result.issues = std::move(issues);
  }
  return std::move(st.result);
}

}  // namespace

Result applyBundle(Change& change, const Settings& s) {
  const core::Element* root = change.document != nullptr ? change.document->root() : nullptr;
  Result r;
  if (root == nullptr || root->type().name != "Bundle") {
    r.status = Status::Invalid;
    r.issues.add(Severity::Error, IssueType::Invalid, "a Bundle is expected");
    return r;
  }
  const std::string type = childText(*root, "type");
  const size_t entries = root->childCount("entry");
  if (type != "transaction" && type != "batch") {
    r.status = Status::Invalid;
    r.issues.add(Severity::Error, IssueType::Invalid,
                 "a Bundle of type transaction or batch is expected, not '" + type + "'",
                 "Bundle.type");
    return r;
  }
  if (entries > s.pipeline.config().maxBundleEntries) {
    r.status = Status::TooLarge;
    r.issues.add(Severity::Error, IssueType::TooCostly,
                 "the Bundle has more than " +
                     std::to_string(s.pipeline.config().maxBundleEntries) + " entries");
    return r;
  }
  core::Issues envelope;
  const std::vector<core::Issues> readIssues = issuesByEntry(change.readIssues, entries, envelope);
  if (envelope.hasErrors()) {
    r.status = Status::Invalid;
    appendErrors(envelope, r.issues);
    return r;
  }
  if (type == "transaction") return transaction(*root, readIssues, s);
  size_t i = 0;
  root->forEachChild("entry", [&](const core::Element& e) {
    r.entries.push_back(batchEntry(e, i, readIssues[i], s, r.replayed));
    ++i;
  });
  return r;
}

}  // namespace trialbridge::pipeline::detail
