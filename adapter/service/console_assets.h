#pragma once
// The operator's web console (docs/console.md): static files built into the binary by
// cmake/EmbedConsole.cmake and served at /console/ on the FHIR port. The console is a FHIR client
// like any other: these files hold no data, so they are served without a token; every request the
// console makes for data goes through the FHIR API with the user's bearer token.
#include <cstddef>
#include <span>
#include <string_view>

#include "service/http_types.h"

namespace trialbridge::service {

struct ConsoleAsset {
  std::string_view path;         // "/console/index.html"
  std::string_view contentType;  // "text/html; charset=utf-8"
  std::string_view etag;         // strong, quoted: "\"0123456789abcdef\""
  const unsigned char* data;
  size_t size;
};

// Every file of the console (generated source).
std::span<const ConsoleAsset> consoleAssets();

// The asset served at `path`: "/console/" is index.html; null when there is none.
const ConsoleAsset* findConsoleAsset(std::string_view path);

// True when `path` is the console's ("/console" or under "/console/").
bool isConsolePath(std::string_view path);

// Answers a request for a console path: GET/HEAD of an asset 200 (304 when If-None-Match names
// its ETag), "/console" 301 to "/console/", an unknown file 404, other methods 405. Every answer
// carries a Content-Security-Policy that allows only the console's own files and connections to
// its own origin, so nothing can be loaded from elsewhere at run time.
void serveConsole(const HttpRequest& in, HttpResponse& out);

}  // namespace trialbridge::service
