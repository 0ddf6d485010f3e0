// The console's files as the binary carries them (service/console_assets.h): every file of
// console/src and the vendored uPlot, their types and ETags, and the HTTP answers.
#include "service/console_assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace trialbridge::service {
namespace {

HttpResponse get(const std::string& path, const std::string& ifNoneMatch = "",
                 const std::string& method = "GET") {
  HttpRequest in;
  in.method = method;
  in.path = path;
  if (!ifNoneMatch.empty()) in.headers.emplace_back("if-none-match", ifNoneMatch);
  HttpResponse out;
  serveConsole(in, out);
  return out;
}

TEST(ConsoleAssets, EveryFileOfTheSourceIsEmbeddedWithItsBytes) {
  const std::filesystem::path src = std::filesystem::path(TB_SOURCE_ROOT) / "console" / "src";
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(src)) {
    if (!e.is_regular_file()) continue;
    ++files;
    const std::string url = "/console/" + std::filesystem::relative(e.path(), src).generic_string();
    const ConsoleAsset* a = findConsoleAsset(url);
    ASSERT_NE(a, nullptr) << url;
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(a->data), a->size), bytes.str()) << url;
  }
  EXPECT_GT(files, 5u);
  EXPECT_EQ(consoleAssets().size(), files + 2);  // and uPlot's module and stylesheet
}

TEST(ConsoleAssets, TypesFromTheExtension) {
  EXPECT_EQ(findConsoleAsset("/console/")->contentType, "text/html; charset=utf-8");
  EXPECT_EQ(findConsoleAsset("/console/app.js")->contentType, "text/javascript; charset=utf-8");
  EXPECT_EQ(findConsoleAsset("/console/vendor/uPlot.esm.js")->contentType,
            "text/javascript; charset=utf-8");
  EXPECT_EQ(findConsoleAsset("/console/style.css")->contentType, "text/css; charset=utf-8");
  EXPECT_EQ(findConsoleAsset("/console/missing.js"), nullptr);
  EXPECT_EQ(findConsoleAsset("/console/../CMakeLists.txt"), nullptr);
}

TEST(ConsoleAssets, Paths) {
  EXPECT_TRUE(isConsolePath("/console"));
  EXPECT_TRUE(isConsolePath("/console/"));
  EXPECT_TRUE(isConsolePath("/console/app.js"));
  EXPECT_FALSE(isConsolePath("/consoles"));
  EXPECT_FALSE(isConsolePath("/fhir/console"));
}

TEST(ConsoleAssets, AnswersWithEtagAndPolicy) {
  HttpResponse ok = get("/console/app.js");
  EXPECT_EQ(ok.status, 200);
  const std::string etag(ok.header("ETag"));
  EXPECT_EQ(etag.size(), 18u);  // 16 hex digits, quoted
  EXPECT_EQ(ok.header("Cache-Control"), "no-cache");
  EXPECT_NE(ok.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_FALSE(ok.body.empty());

  EXPECT_EQ(get("/console/app.js", etag).status, 304);
  EXPECT_TRUE(get("/console/app.js", etag).body.empty());
  EXPECT_EQ(get("/console/app.js", "\"other\", W/" + etag).status, 304);
  EXPECT_EQ(get("/console/app.js", "\"other\"").status, 200);

  HttpResponse head = get("/console/app.js", "", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST(ConsoleAssets, RedirectNotFoundAndMethods) {
  HttpResponse r = get("/console");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/console/");
  EXPECT_EQ(get("/console/nothing-here.js").status, 404);
  HttpResponse post = get("/console/app.js", "", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace trialbridge::service
