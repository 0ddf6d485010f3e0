// Batch and transaction Bundles (POST to the base): the pipeline runs them; this file turns the
// result into the response Bundle, performing the GET entries after the commit as calls of
// their own (never as fake HTTP requests).
#include "service/auth.h"
#include "service/fhir_api_impl.h"
#include "service/rendering.h"
#include "store/fhir_time.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;
using pipeline::Outcome;

namespace {

std::string statusLine(int status) {
  switch (status) {
    case 200: return "200 OK";
    case 201: return "201 Created";
    case 204: return "204 No Content";
    case 304: return "304 Not Modified";
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 409: return "409 Conflict";
    case 410: return "410 Gone";
    case 412: return "412 Precondition Failed";
    case 413: return "413 Payload Too Large";
    case 415: return "415 Unsupported Media Type";
    case 422: return "422 Unprocessable Entity";
    case 500: return "500 Internal Server Error";
    case 501: return "501 Not Implemented";
    case 503: return "503 Service Unavailable";
    default: return std::to_string(status);
  }
}

// A reply as a Bundle entry: its body is the resource, or the outcome of a failure.
BundleEntry entryOf(Reply& reply) {
  BundleEntry en;
  en.hasResponse = true;
  en.status = statusLine(reply.status);
  en.location = std::string(reply.header("Location"));
  en.etag = std::string(reply.header("ETag"));
  (reply.status >= 400 ? en.outcome : en.resource) = std::move(reply.payload);
  return en;
}

}  // namespace

void FhirApi::Impl::bundle(Call& c, Reply& r) const {
  core::Issues issues;
  auto doc = readBody(c, r, issues);
  if (doc == nullptr) return;
  if (doc->root()->type().name != "Bundle") {
    return fail(r, 400, IssueType::Invalid,
                "the body is a " + std::string(doc->root()->type().name) + ", not a Bundle");
  }
  std::string denied;  // "c" + type: the first permission the token lacks
  pipeline::Change change = pipeline::Change::bundle(std::move(doc), std::move(issues));
  const bool batch = change.kind == pipeline::ChangeKind::Batch;
  pipeline::Result result = pipeline.apply(std::move(change), writeOptions(c, &denied));
  if (result.status == pipeline::Status::Forbidden && !denied.empty()) {
    return forbid(r, std::string_view(denied).substr(1), denied[0]);
  }
  if (!result.ok()) return failResult(r, result);
  bundleReply(c, r, result, batch);
}

void FhirApi::Impl::bundleReply(const Call& c, Reply& r, pipeline::Result& result,
                                bool batch) const {
  auto b = std::make_shared<BundleBody>();
  b->id = store::newId();
  b->type = batch ? "batch-response" : "transaction-response";
  for (pipeline::EntryResult& e : result.entries) {
    BundleEntry& en = b->entries.emplace_back();
    if (e.outcome == Outcome::Read) {
      en = performRead(c, *e.read);
    } else if (batch) {
      en = batchEntry(c, e);
    } else {
      en = transactionEntry(c, e);
    }
  }
  r.status = 200;
  r.payload = Payload::ofBundle(std::move(b));
}

BundleEntry FhirApi::Impl::performRead(const Call& c, const pipeline::ReadRequest& read) const {
  Call sub;
  sub.method = "GET";
  sub.path = read.type + (read.id.empty() ? "" : "/" + read.id);
  sub.query = read.query;
  sub.params = store::parseQueryString(read.query);
  sub.ifNoneMatch = read.ifNoneMatch;
  sub.principal = c.principal;
  sub.agentId = c.agentId;
  sub.address = c.address;
  sub.base = c.base;
  sub.strict = c.strict;
  sub.inBundle = true;
  Reply reply;
  answer(sub, reply);
  return entryOf(reply);
}

// A batch entry answers as the same interaction on its own would.
BundleEntry FhirApi::Impl::batchEntry(const Call& c, pipeline::EntryResult& e) const {
  Reply reply;
  if (e.status != pipeline::Status::Ok) {
    failIssues(reply, statusOf(e.status), std::move(e.issues));
  } else {
    pipeline::Result one;
    one.entries.push_back(std::move(e));
    writeReply(c, reply, one, one.entries[0].method == "DELETE" && one.entries[0].id.empty());
  }
  return entryOf(reply);
}

// A transaction entry: the written resource with its location, version and time.
BundleEntry FhirApi::Impl::transactionEntry(const Call& c, pipeline::EntryResult& e) const {
  BundleEntry en;
  en.hasResponse = true;
  const std::string url = c.base + "/" + e.type + "/" + e.id;
  if (e.outcome == Outcome::Created || e.outcome == Outcome::Updated) {
    if (c.prefer == Prefer::Representation) {
      en.fullUrl = url;
      en.resource = e.document != nullptr ? Payload::ofDocument(e.document, std::move(e.json))
                                          : Payload::ofJson(std::move(e.json));
    }
    en.status = statusLine(e.outcome == Outcome::Created ? 201 : 200);
    en.location = url + "/_history/" + std::to_string(e.version);
    en.etag = "W/\"" + std::to_string(e.version) + "\"";
    en.lastModified = e.lastUpdated;
  } else if (e.outcome == Outcome::Matched) {
    en.status = statusLine(200);
    en.location = url;
  } else {
    en.status = statusLine(e.method == "DELETE" ? 204 : 200);
  }
  return en;
}

}  // namespace trialbridge::service
