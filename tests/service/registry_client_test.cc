// The registry client's pure parts: backoff with full jitter, Retry-After, ETags, the token
// bucket, query escaping, what counts as a failure that may pass; and its set-up errors. The
// client over the network is tested with the publisher (publisher_test.cc).
#include "service/registry_client.h"

#include <gtest/gtest.h>

namespace trialbridge::service {
namespace {

TEST(RegistryClient, BackoffGrowsWithFullJitterUpToTheCeiling) {
  std::mt19937_64 random(42);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const int64_t ceiling = std::min<int64_t>(60000, int64_t{500} << (attempt - 1));
    int64_t highest = 0;
    for (int i = 0; i < 200; ++i) {
      const int64_t d = backoffDelay(attempt, 500, 60000, random);
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling);
      highest = std::max(highest, d);
    }
    EXPECT_GT(highest, ceiling / 2) << attempt;  // jitter spreads over the whole range
  }
  // Absurd attempts stay at the ceiling.
  EXPECT_LE(backoffDelay(1000, 500, 60000, random), 60000);
}

TEST(RegistryClient, RetryAfterInSecondsOrAsADate) {
  const int64_t now = 1767225600000;  // 2026-01-01T00:00:00Z
  EXPECT_EQ(parseRetryAfter("120", now), 120000);
  EXPECT_EQ(parseRetryAfter(" 0 ", now), 0);
  EXPECT_EQ(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now), 30000);
  EXPECT_EQ(parseRetryAfter("Thursday, 01-Jan-26 00:01:00 GMT", now), 60000);
  EXPECT_EQ(parseRetryAfter("Thu Jan  1 00:00:05 2026", now), 5000);
  EXPECT_EQ(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);  // past: now
  EXPECT_FALSE(parseRetryAfter("", now));
  EXPECT_FALSE(parseRetryAfter("soon", now));
  EXPECT_FALSE(parseRetryAfter("-5", now));
  EXPECT_FALSE(parseRetryAfter("99999999999999999999", now));
}

TEST(RegistryClient, EtagVersions) {
  EXPECT_EQ(etagVersion("W/\"3\""), "3");
  EXPECT_EQ(etagVersion("\"8f2c-1\""), "8f2c-1");
  EXPECT_EQ(etagVersion("3"), "");
  EXPECT_EQ(etagVersion("W/"), "");
  EXPECT_EQ(etagVersion(""), "");
}

TEST(RegistryClient, TokenBucketSpacesRequests) {
  RateLimiter limiter(600, 2);  // 10 a second, 2 at once
  const int64_t t0 = 1000000;
  EXPECT_EQ(limiter.reserve(t0), 0);
  EXPECT_EQ(limiter.reserve(t0), 0);
  EXPECT_EQ(limiter.reserve(t0), 100);  // the third waits for a token
  EXPECT_EQ(limiter.reserve(t0), 200);
  // Tokens come back with time, never more than the burst.
  RateLimiter later(600, 2);
  EXPECT_EQ(later.reserve(t0), 0);
  EXPECT_EQ(later.reserve(t0 + 60000), 0);
  EXPECT_EQ(later.reserve(t0 + 60000), 0);
  EXPECT_EQ(later.reserve(t0 + 60000), 100);
  // A clock that steps back does not mint tokens.
  RateLimiter back(60, 1);
  EXPECT_EQ(back.reserve(t0), 0);
  EXPECT_EQ(back.reserve(t0 - 5000), 1000);
}

TEST(RegistryClient, TransientFailures) {
  for (int status : {0, 408, 429, 500, 502, 503, 504}) {
    RegistryReply r;
    r.status = status;
    EXPECT_TRUE(r.transient()) << status;
  }
  for (int status : {200, 201, 400, 401, 403, 404, 409, 412, 422, 501}) {
    RegistryReply r;
    r.status = status;
    EXPECT_FALSE(r.transient()) << status;
  }
  RegistryReply r;
  r.status = 422;
  r.body = R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"bad phase"}]})";
  EXPECT_EQ(r.describe(), "HTTP 422 (bad phase)");
  r.status = 0;
  r.error = "cannot connect: Connection refused";
  EXPECT_EQ(r.describe(), "cannot connect: Connection refused");
}

TEST(RegistryClient, BadSettingsAreRefusedAtCreation) {
  RegistryTarget t;
  t.name = "hub";
  t.url = "ftp://registry.example.org/fhir";
  EXPECT_NE(RegistryClient::create(t).message().find("http:// or https://"), std::string::npos);
  t.url = "https://registry.example.org/fhir";
  t.caFile = "/nonexistent/ca.pem";
  EXPECT_NE(RegistryClient::create(t).message().find("caFile"), std::string::npos);
  t.caFile.clear();
  EXPECT_TRUE(RegistryClient::create(t));
}

TEST(RegistryClient, UnreachableAndTokenProblemsAreReplies) {
  RegistryTarget t;
  t.name = "hub";
  t.url = "http://127.0.0.1:1/fhir";
  t.timeoutSeconds = 2;
  auto client = RegistryClient::create(t);
  ASSERT_TRUE(client);
  RegistryReply r = client.value()->send("GET", "/metadata");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.sent);
  EXPECT_NE(r.error.find("cannot connect"), std::string::npos) << r.error;
  EXPECT_TRUE(r.transient());
  t.tokenFile = "/nonexistent/token";
  auto withToken = RegistryClient::create(t);
  ASSERT_TRUE(withToken);
  r = withToken.value()->send("GET", "/metadata");
  EXPECT_NE(r.error.find("bearer token"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace trialbridge::service
