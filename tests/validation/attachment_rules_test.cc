// validation/attachment_rules.cc: Attachment size and hash against the data, attachments that
// say nothing of what they are, white space in base64, and the maxSize extension of profiles.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

// A DocumentReference with one attachment whose JSON members are `att`.
std::string document(const std::string& att) {
  return R"({"resourceType":"DocumentReference","status":"current","content":[{"attachment":{)" +
         att + "}}]}";
}

// "hello" is aGVsbG8= (5 bytes); its SHA-1, in base64, is qvTGHdzF6KLavt4PO0gs2a6pQ00=.
TEST(AttachmentRules, SizeAndHashAgreeWithTheData) {
  auto issues = validate(document(R"("contentType":"text/plain","data":"aGVsbG8=","size":5,
    "hash":"qvTGHdzF6KLavt4PO0gs2a6pQ00=")"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(document(R"("contentType":"text/plain","data":"aGVsbG8=","size":6)"));
  const auto size = findAll(issues, "The attachment's size is 6, but its data is 5 bytes");
  ASSERT_EQ(size.size(), 1u) << dump(issues);
  EXPECT_EQ(size[0]->location, "DocumentReference.content[0].attachment.size");
  issues = validate(document(R"("contentType":"text/plain","data":"aGVsbG8=",
    "hash":"2jmj7l5rSw0yVb/vlWAYkK/YBwk=")"));
  EXPECT_EQ(findAll(issues, "is not the SHA-1 of its data").size(), 1u) << dump(issues);
}

TEST(AttachmentRules, AnAttachmentSaysWhatItIs) {
  auto issues = validate(document(R"("title":"scan")"));
  const core::Issue* i = findIssue(issues, "should say what it is");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
  issues = validate(document(R"("url":"http://a.org/scan.png")"));
  EXPECT_EQ(findIssue(issues, "should say what it is"), nullptr) << dump(issues);
}

TEST(AttachmentRules, Base64WithWhiteSpaceIsAWarning) {
  const auto issues = validate(document(R"("contentType":"text/plain","data":"aGVs bG8=")"));
  const core::Issue* i = findIssue(issues, "should not contain any white space");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(AttachmentRules, TheMaxSizeOfAProfile) {
  const auto context = withResources({{"p.json", R"({"resourceType":"StructureDefinition",
    "url":"http://a.org/sd/doc","name":"Doc","status":"draft","kind":"resource","abstract":false,
    "type":"DocumentReference","derivation":"constraint",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/DocumentReference",
    "differential":{"element":[{"id":"DocumentReference.content.attachment",
      "path":"DocumentReference.content.attachment","extension":[
      {"url":"http://hl7.org/fhir/StructureDefinition/maxSize","valueDecimal":4}]}]}})"}});
  const Validator v(*context);
  const std::string profiled = R"({"resourceType":"DocumentReference","status":"current",
    "meta":{"profile":["http://a.org/sd/doc"]},"content":[{"attachment":{"contentType":"text/plain",
    "data":")";
  auto issues = validate(profiled + R"(aGVsbG8="}}]})", v);  // 5 bytes
  EXPECT_EQ(findAll(issues, "5 bytes, which exceeds the limit of 4 bytes").size(), 1u)
      << dump(issues);
  issues = validate(profiled + R"(aGVs"}}]})", v);  // 3 bytes
  EXPECT_TRUE(findAll(issues, "exceeds the limit").empty()) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
