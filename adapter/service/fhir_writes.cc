// Writes: every create, update and delete is a change for the pipeline, whose result becomes
// the reply (statuses mapped to HTTP); $validate runs the pipeline's validation step alone.
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "service/rendering.h"
#include "store/fhir_time.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;

namespace {

// Location, ETag and Last-Modified of a written version, and the body Prefer asks for.
void sendWritten(const Call& c, Reply& r, int status, const pipeline::EntryResult& e,
                 std::string_view outcomeText) {
  r.status = status;
  r.setHeader("ETag", "W/\"" + std::to_string(e.version) + "\"");
  store::TimeRange t;
  if (store::parseFhirTime(e.lastUpdated, t)) r.setHeader("Last-Modified", httpDate(t.low));
  r.setHeader("Location",
              c.base + "/" + e.type + "/" + e.id + "/_history/" + std::to_string(e.version));
  switch (c.prefer) {
    case Prefer::Minimal: break;
    case Prefer::OperationOutcome: {
      core::Issues issues;
      issues.add(Severity::Information, IssueType::Informational, std::string(outcomeText));
      r.payload = Payload::ofOutcome(std::move(issues));
      break;
    }
    case Prefer::Representation:
      r.payload =
          e.document != nullptr ? Payload::ofDocument(e.document, e.json) : Payload::ofJson(e.json);
      break;
  }
}

void sendDeleted(const Call& c, Reply& r, const pipeline::EntryResult& e, bool conditional) {
  std::string text;
  if (conditional) {
    text = e.outcome == pipeline::Outcome::NoOp ? "no " + e.type + " matched; nothing was deleted"
                                                : e.type + "/" + e.id + " deleted";
  } else {
    r.setHeader("ETag", "W/\"" + std::to_string(e.version) + "\"");
    text = e.type + "/" + e.id + " deleted (version " + std::to_string(e.version) + ")";
  }
  if (c.prefer == Prefer::Minimal) {
    r.status = 204;
    return;
  }
  core::Issues issues;
  issues.add(Severity::Information, IssueType::Informational, std::move(text));
  r.status = 200;
  r.payload = Payload::ofOutcome(std::move(issues));
}

}  // namespace

int statusOf(pipeline::Status status) {
  switch (status) {
    case pipeline::Status::Ok: return 200;
    case pipeline::Status::Invalid: return 400;
    case pipeline::Status::Unprocessable: return 422;
    case pipeline::Status::NotFound: return 404;
    case pipeline::Status::Gone: return 410;
    case pipeline::Status::Conflict: return 409;
    case pipeline::Status::PreconditionFailed: return 412;
    case pipeline::Status::Forbidden: return 403;
    case pipeline::Status::TooLarge: return 413;
    case pipeline::Status::Unavailable: return 503;
    case pipeline::Status::Internal: return 500;
  }
  return 500;
}

pipeline::Options FhirApi::Impl::writeOptions(const Call& c, std::string* denied) const {
  pipeline::Options o;
  o.actor = {c.agentId, c.address};
  o.validation =
      options.validateWrites ? pipeline::ValidationPolicy::Full : pipeline::ValidationPolicy::None;
  o.baseUrl = c.base;
  o.strict = c.strict;
  // Keys are the client's own: two clients never share one.
  if (!c.idempotencyKey.empty()) o.idempotencyKey = "http:" + c.agentId + ":" + c.idempotencyKey;
  if (const Principal* p = c.principal) {
    o.authorize = [p, denied](std::string_view type, pipeline::Permission perm) {
      if (p->scopes.allows(type, static_cast<char>(perm))) return true;
      if (denied != nullptr && denied->empty()) {
        *denied = std::string(1, static_cast<char>(perm)) + std::string(type);
      }
      return false;
    };
  }
  return o;
}

void FhirApi::Impl::failResult(Reply& r, const pipeline::Result& result) const {
  failIssues(r, statusOf(result.status), result.issues);
}

void FhirApi::Impl::writeReply(const Call& c, Reply& r, const pipeline::Result& result,
                               bool conditional) const {
  if (!result.ok() || result.entries.empty()) return failResult(r, result);
  const pipeline::EntryResult& e = result.entries[0];
  switch (e.outcome) {
    case pipeline::Outcome::Created: return sendWritten(c, r, 201, e, "created");
    case pipeline::Outcome::Updated: return sendWritten(c, r, 200, e, "updated");
    case pipeline::Outcome::Matched:
      auditRecord(c, "read", 'R', 200, e.type, e.id, e.version);
      return sendWritten(c, r, 200, e, "an existing resource matched If-None-Exist");
    case pipeline::Outcome::Deleted:
    case pipeline::Outcome::NoOp: return sendDeleted(c, r, e, conditional);
    default: return failResult(r, result);
  }
}

void FhirApi::Impl::create(Call& c, Reply& r, const std::string& type) const {
  if (!allowed(c, r, type, 'c')) return;
  core::Issues issues;
  auto doc = readBody(c, r, issues);
  if (doc == nullptr) return;
  pipeline::Change change = pipeline::Change::create(std::move(doc), std::move(issues));
  change.type = type;
  pipeline::Options o = writeOptions(c);
  o.ifNoneExist = c.ifNoneExist;
  writeReply(c, r, pipeline.apply(std::move(change), o));
}

void FhirApi::Impl::update(Call& c, Reply& r, const std::string& type,
                           const std::string& id) const {
  if (!allowed(c, r, type, 'u')) return;
  core::Issues issues;
  auto doc = readBody(c, r, issues);
  if (doc == nullptr) return;
  pipeline::Options o = writeOptions(c);
  if (!c.ifMatch.empty()) {
    o.ifMatch = pipeline::parseETag(c.ifMatch);
    if (!o.ifMatch) return fail(r, 400, IssueType::Invalid, "If-Match must be an ETag W/\"n\"");
  }
  writeReply(
      c, r,
      pipeline.apply(pipeline::Change::update(type, id, std::move(doc), std::move(issues)), o));
}

void FhirApi::Impl::conditionalUpdate(Call& c, Reply& r, const std::string& type) const {
  if (!allowed(c, r, type, 'u')) return;
  core::Issues issues;
  auto doc = readBody(c, r, issues);
  if (doc == nullptr) return;
  writeReply(c, r,
             pipeline.apply(pipeline::Change::conditionalUpdate(type, c.query, std::move(doc),
                                                                std::move(issues)),
                            writeOptions(c)));
}

void FhirApi::Impl::remove(Call& c, Reply& r, const std::string& type,
                           const std::string& id) const {
  if (!allowed(c, r, type, 'd')) return;
  pipeline::Options o = writeOptions(c);
  if (!c.ifMatch.empty()) {
    o.ifMatch = pipeline::parseETag(c.ifMatch);
    if (!o.ifMatch) return fail(r, 400, IssueType::Invalid, "If-Match must be an ETag W/\"n\"");
  }
  writeReply(c, r, pipeline.apply(pipeline::Change::remove(type, id), o));
}

void FhirApi::Impl::conditionalRemove(Call& c, Reply& r, const std::string& type) const {
  if (!allowed(c, r, type, 'd')) return;
  writeReply(c, r,
             pipeline.apply(pipeline::Change::conditionalRemove(type, c.query), writeOptions(c)),
             true);
}

void FhirApi::Impl::validate(Call& c, Reply& r, const std::string& type,
                             const std::string& id) const {
  if (!allowed(c, r, type, 'r')) return;
  if (!pipeline.canValidate()) {
    return fail(r, 501, IssueType::NotSupported, "validation is not available on this server");
  }
  std::vector<std::string> profiles;
  for (const auto& [n, v] : c.params) {
    if (n == "profile") profiles.push_back(v);
  }
  core::Issues issues;
  std::unique_ptr<core::Document> doc;
  const core::Element* target = nullptr;
  if (c.method == "GET" || c.body.empty()) {
    if (id.empty()) return fail(r, 400, IssueType::Required, "$validate needs a resource");
    store::ResourceVersion v;
    if (store::Status st = store.read(type, id, v); !st) return failStore(r, st);
    auditRecord(c, "read", 'R', 200, type, id, v.version);
    doc = core::readJson(v.json, types, issues);
    if (doc == nullptr) {
      return fail(r, 500, IssueType::Exception, "the stored resource is unreadable");
    }
    target = doc->root();
  } else {
    doc = readBody(c, r, issues);
    if (doc == nullptr) return;
    target = doc->root();
    if (target->type().name == "Parameters" && type != "Parameters") {
      const core::Element* found = nullptr;
      target->forEachChild("parameter", [&](const core::Element& p) {
        const std::string name = childText(p, "name");
        if (name == "resource" && p.child("resource") != nullptr) found = p.child("resource");
        if (name != "profile") return;
        if (const core::Element* vu = p.child("value"); vu != nullptr && vu->hasValue()) {
          profiles.emplace_back(vu->value());
        }
      });
      if (found == nullptr) {
        return fail(r, 400, IssueType::Required, "the Parameters have no 'resource' parameter");
      }
      target = found;
    }
    if (target->type().name != type) {
      return fail(r, 400, IssueType::Invalid,
                  "the resource is a " + std::string(target->type().name) + ", not a " + type);
    }
  }
  pipeline.validate(*target, profiles, issues);
  r.status = 200;
  r.payload = Payload::ofOutcome(std::move(issues));
}

}  // namespace trialbridge::service
