#include "pipeline/audit_record.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"

namespace trialbridge::pipeline {
namespace {

TEST(AuditPolicy, ThePatientCompartmentAndExtraTypes) {
  AuditPolicy policy(&conformance::Context::r4(), {"ResearchStudy"});
  EXPECT_TRUE(policy.covers("Patient"));
  EXPECT_TRUE(policy.covers("Observation"));
  EXPECT_TRUE(policy.covers("ResearchSubject"));
  EXPECT_TRUE(policy.covers("ResearchStudy"));
  EXPECT_FALSE(policy.covers("Bundle"));
  EXPECT_FALSE(policy.covers("StructureDefinition"));
  EXPECT_FALSE(AuditPolicy().covers("Patient"));
  EXPECT_FALSE(AuditPolicy(&conformance::Context::r4(), {}, false).covers("Patient"));
}

TEST(AuditEntry, AnAuditEventWithoutContent) {
  AuditRecord r;
  r.interaction = "update";
  r.action = 'U';
  r.outcome = '4';
  r.agentId = "client-\"1\"";
  r.address = "10.0.0.7";
  r.entityType = "Patient";
  r.entityId = "p1";
  r.entityVersion = 3;
  const store::AuditEntry e = auditEntry(r);
  EXPECT_TRUE(store::isValidId(e.id));
  EXPECT_EQ(e.entity, "Patient/p1");
  EXPECT_EQ(e.agent, "client-\"1\"");
  EXPECT_EQ(e.subtype, "update");
  EXPECT_EQ(e.action, "U");
  EXPECT_EQ(e.outcome, "4");
  core::Issues issues;
  auto doc = core::readJson(e.json, conformance::Context::r4(), issues);
  ASSERT_NE(doc, nullptr) << e.json;
  EXPECT_FALSE(issues.hasErrors()) << e.json;
  EXPECT_NE(e.json.find(R"("reference":"Patient/p1/_history/3")"), std::string::npos);
  EXPECT_NE(e.json.find(R"("value":"client-\"1\"")"), std::string::npos);

  AuditRecord search;
  search.interaction = "search-type";
  search.action = 'E';
  search.entityType = "Observation";
  search.query = "code=x";
  const store::AuditEntry s = auditEntry(search);
  EXPECT_EQ(s.entity, "");
  EXPECT_EQ(s.agent, "anonymous");
  EXPECT_NE(s.json.find(R"("query":")"), std::string::npos);
  EXPECT_EQ(s.json.find("network"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::pipeline
