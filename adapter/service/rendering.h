#pragma once
// Internal to the service: a reply's payload written in the negotiated format. Everything is
// rendered from values and documents; compact JSON (the common case) splices stored resources'
// JSON into the Bundle envelope without parsing them, and XML, pretty JSON and _summary /
// _elements build documents (a Bundle is assembled as a document, never as JSON text parsed
// again).
#include <memory>
#include <string>
#include <string_view>

#include "service/call.h"
#include "service/http_types.h"

namespace trialbridge::service {

std::string_view contentTypeOf(core::Format format);  // application/fhir+json;charset=utf-8 ...

// The body text of `payload`. `render`'s _summary/_elements apply to a single resource;
// a Bundle's entries follow the Bundle's own.
std::string renderPayload(const Payload& payload, const Render& render,
                          const core::TypeResolver& types);

// A copy of a resource with only the top-level elements _summary / _elements keep (and id,
// meta), tagged SUBSETTED.
std::unique_ptr<core::Document> subsetOf(const core::Element& resource,
                                         const core::TypeResolver& types, Summary summary,
                                         const std::vector<std::string>& elements);

// The Retry-After (seconds) of a 503 whose cause is the database (unreachable, full disk).
inline constexpr int kRetryAfterSeconds = 5;
// An OperationOutcome reply: one issue (fatal for 5xx), or the issues given. A 503 gets a
// Retry-After of kRetryAfterSeconds unless it has one.
void fail(Reply& reply, int status, core::IssueType code, std::string message);
void failIssues(Reply& reply, int status, core::Issues issues);
// The same for the views beside the API (HttpResponse): an OperationOutcome in JSON, with the
// issues given or one issue (fatal for 5xx) at `location` (a parameter or a body member, e.g.
// "_count") when given.
void failResponse(HttpResponse& response, int status, const core::Issues& issues);
void failResponse(HttpResponse& response, int status, core::IssueType code, std::string message,
                  std::string location = {});

// "Wed, 21 Oct 2015 07:28:00 GMT" for epoch milliseconds.
std::string httpDate(int64_t epochMillis);

}  // namespace trialbridge::service
