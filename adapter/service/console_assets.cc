#include "service/console_assets.h"

#include <string>

namespace trialbridge::service {

namespace {

constexpr std::string_view kPrefix = "/console";
constexpr std::string_view kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

void plain(HttpResponse& out, int status, std::string body) {
  out.status = status;
  out.contentType = "text/plain; charset=utf-8";
  out.body = std::move(body);
}

bool etagMatches(std::string_view header, std::string_view etag) {
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view one = header.substr(pos, end - pos);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.starts_with("W/")) one.remove_prefix(2);
    if (one == etag) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

bool isConsolePath(std::string_view path) {
  return path == kPrefix || (path.starts_with(kPrefix) && path[kPrefix.size()] == '/');
}

const ConsoleAsset* findConsoleAsset(std::string_view path) {
  std::string index;
  if (path == "/console/") {
    index = "/console/index.html";
    path = index;
  }
  for (const ConsoleAsset& a : consoleAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

void serveConsole(const HttpRequest& in, HttpResponse& out) {
  out.setHeader("Content-Security-Policy", std::string(kPolicy));
  out.setHeader("X-Content-Type-Options", "nosniff");
  out.setHeader("Referrer-Policy", "no-referrer");
  if (in.method != "GET" && in.method != "HEAD") {
    out.setHeader("Allow", "GET, HEAD");
    plain(out, 405, "the console's files are read with GET or HEAD\n");
    return;
  }
  if (in.path == kPrefix) {
    out.setHeader("Location", "/console/");
    plain(out, 301, "moved to /console/\n");
    return;
  }
  const ConsoleAsset* asset = findConsoleAsset(in.path);
  if (asset == nullptr) {
    plain(out, 404, "no such file in the console\n");
    return;
  }
  out.setHeader("ETag", std::string(asset->etag));
  // Revalidate every time (the ETag makes that a 304): a new binary must never run old scripts.
  out.setHeader("Cache-Control", "no-cache");
  if (etagMatches(in.header("if-none-match"), asset->etag)) {
    out.status = 304;
    return;
  }
  out.status = 200;
  out.contentType = std::string(asset->contentType);
  if (in.method == "HEAD") return;
  out.body.assign(reinterpret_cast<const char*>(asset->data), asset->size);
}

}  // namespace trialbridge::service
