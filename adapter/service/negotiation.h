#pragma once
// Internal to the service: what an HTTP request asks for, as a Call (the path below the base,
// the output format from _format then Accept, Prefer, the base URL, the client), and its body
// read as a resource in the format its Content-Type names.
#include <memory>
#include <string>
#include <string_view>

#include "service/call.h"
#include "service/fhir_api.h"
#include "service/http_types.h"

namespace trialbridge::service {

// The media type without parameters, lower case.
std::string mediaType(std::string_view contentType);
bool isJsonMedia(std::string_view media);
bool isXmlMedia(std::string_view media);

// Fills `call` from `request`; false, with the error in `reply`, for a path outside the base
// (404) or a _format that is neither JSON nor XML (406).
bool negotiate(const HttpRequest& request, const ApiOptions& options, Call& call, Reply& reply);

// The body as a resource: 413 over `maxBytes`, 415 for another Content-Type, 400 when it is
// empty or unreadable (then nullptr, with the reply set). `issues` gets the reader's issues.
std::unique_ptr<core::Document> readBody(const Call& call, size_t maxBytes,
                                         const core::TypeResolver& types, core::Issues& issues,
                                         Reply& reply);

}  // namespace trialbridge::service
