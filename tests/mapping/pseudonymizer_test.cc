#include "mapping/pseudonymizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace trialbridge::mapping {
namespace {

TEST(Pseudonymizer, IsHmacSha256OfSystemAndValue) {
  auto p = Pseudonymizer::fromSecret("0123456789abcdef0123");
  ASSERT_TRUE(p);
  // python3: hmac.new(b'0123456789abcdef0123', b'urn:x|42', hashlib.sha256).hexdigest()
  EXPECT_EQ(p->pseudonym("urn:x", "42"),
            "350fcb2a24bc7101f98540e49ab3d2a8126be867486a712de687517fb52891ae");
}

TEST(Pseudonymizer, DependsOnSecretSystemAndValue) {
  auto a = Pseudonymizer::fromSecret("secret-number-one-0123456789");
  auto b = Pseudonymizer::fromSecret("secret-number-two-0123456789");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->pseudonym("urn:h1", "1"), b->pseudonym("urn:h1", "1"));
  EXPECT_NE(a->pseudonym("urn:h1", "1"), a->pseudonym("urn:h2", "1"));
  EXPECT_NE(a->pseudonym("urn:h1", "1"), a->pseudonym("urn:h1", "2"));
  EXPECT_EQ(a->pseudonym("urn:h1", "1"), a->pseudonym("urn:h1", "1"));
  EXPECT_EQ(a->pseudonym("urn:h1", "1").size(), 64u);
}

TEST(Pseudonymizer, RefusesShortSecrets) {
  auto p = Pseudonymizer::fromSecret("short");
  ASSERT_FALSE(p);
  EXPECT_NE(p.message().find("at least 16"), std::string::npos);
}

TEST(Pseudonymizer, ReadsTheSecretFromAFile) {
  const std::string path = ::testing::TempDir() + "/tb-secret.txt";
  std::ofstream(path) << "0123456789abcdef0123\n";
  auto p = Pseudonymizer::fromFile(path);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pseudonym("urn:x", "42"),
            "350fcb2a24bc7101f98540e49ab3d2a8126be867486a712de687517fb52891ae");
  std::remove(path.c_str());
  auto missing = Pseudonymizer::fromFile(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find(path), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::mapping
