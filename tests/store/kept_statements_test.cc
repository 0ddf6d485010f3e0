// store/kept_statements.h: statements prepared once on a connection and executed again with new
// binds, on both backends; runOnce(), a statement for one call.
#include "store/kept_statements.h"

#include <gtest/gtest.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <memory>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "store/sql_dialect.h"

namespace trialbridge::store::sql {
namespace kept_statements_test {

using Poco::Data::Session;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

class KeptStatementsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (postgres()) {
      auto& pg = testing::PgCluster::shared();
      ASSERT_TRUE(pg.running()) << pg.error();
      Poco::Data::PostgreSQL::Connector::registerConnector();
      session_ = std::make_unique<Session>("PostgreSQL", pg.createDatabase());
    } else {
      Poco::Data::SQLite::Connector::registerConnector();
      session_ = std::make_unique<Session>("SQLite", ":memory:");
    }
    *session_ << "CREATE TABLE t (k TEXT, n BIGINT)", now;
    *session_ << "INSERT INTO t (k, n) VALUES ('a', 1), ('a', 2), ('b', 3)", now;
  }
  bool postgres() const { return GetParam() == "postgresql"; }
  std::string sql(const std::string& text) const { return dialect_.sql(text); }
  // Prepared statements the server holds for this connection (PostgreSQL).
  int64_t prepared() {
    int64_t n = 0;
    *session_ << "SELECT COUNT(*) FROM pg_prepared_statements", into(n), now;
    return n;
  }

  std::unique_ptr<Session> session_;
  Dialect dialect_{GetParam() == "postgresql"};
};

using K = ColumnKind;

TEST_P(KeptStatementsTest, RunsAgainWithNewBindsAndOnlyTheNewRows) {
  KeptStatements kept(*session_, 4);
  const std::string select = sql("SELECT k, n FROM t WHERE k = ? AND n >= ? ORDER BY n");
  KeptRows& a = kept.run(select, {SqlValue("a"), SqlValue(int64_t{0})}, {K::Text, K::Integer});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.integer[0], (std::vector<Poco::Int64>{1, 2}));
  KeptRows& b = kept.run(select, {SqlValue("b"), SqlValue(int64_t{0})}, {K::Text, K::Integer});
  ASSERT_EQ(b.size(), 1u) << "the rows of the first run are not kept";
  EXPECT_EQ(b.text[0], (std::vector<std::string>{"b"}));
  EXPECT_EQ(b.integer[0], (std::vector<Poco::Int64>{3}));
  EXPECT_EQ(kept.run(select, {SqlValue("a"), SqlValue(int64_t{2})}, {K::Text, K::Integer}).size(),
            1u);
  EXPECT_EQ(kept.run(select, {SqlValue("c"), SqlValue(int64_t{0})}, {K::Text, K::Integer}).size(),
            0u);
  EXPECT_EQ(kept.made(), 1u) << "one statement for the four runs";
  EXPECT_EQ(kept.size(), 1u);
}

TEST_P(KeptStatementsTest, ATextWithOtherBindKindsIsAnotherStatement) {
  KeptStatements kept(*session_, 4);
  const std::string select = sql("SELECT k FROM t WHERE n = CAST(? AS DOUBLE PRECISION)");
  EXPECT_EQ(kept.run(select, {SqlValue(int64_t{3})}, {K::Text}).text[0],
            std::vector<std::string>{"b"});
  EXPECT_EQ(kept.run(select, {SqlValue(3.0)}, {K::Text}).text[0], std::vector<std::string>{"b"});
  EXPECT_EQ(kept.made(), 2u);
}

TEST_P(KeptStatementsTest, TheLeastRecentlyUsedIsDroppedPastTheCapacity) {
  KeptStatements kept(*session_, 2);
  const std::string one = sql("SELECT k FROM t WHERE n = ?");
  const std::string two = sql("SELECT k FROM t WHERE n > ?");
  const std::string three = sql("SELECT k FROM t WHERE n < ?");
  const int64_t before = postgres() ? prepared() : 0;
  kept.run(one, {SqlValue(int64_t{1})}, {K::Text});
  kept.run(two, {SqlValue(int64_t{1})}, {K::Text});
  kept.run(one, {SqlValue(int64_t{1})}, {K::Text});  // `two` is now the least recently used
  kept.run(three, {SqlValue(int64_t{3})}, {K::Text});
  EXPECT_EQ(kept.made(), 3u);
  EXPECT_EQ(kept.size(), 2u);
  if (postgres()) {
    EXPECT_EQ(prepared() - before, 2) << "the dropped one is deallocated";
  }
  EXPECT_EQ(kept.run(one, {SqlValue(int64_t{2})}, {K::Text}).text[0],
            std::vector<std::string>{"a"});
  EXPECT_EQ(kept.made(), 3u) << "`one` was kept";
  EXPECT_EQ(kept.run(two, {SqlValue(int64_t{2})}, {K::Text}).text[0],
            std::vector<std::string>{"b"});
  EXPECT_EQ(kept.made(), 4u) << "`two` was dropped and is made again";
}

TEST_P(KeptStatementsTest, AFailedStatementIsDroppedAndMadeAgain) {
  KeptStatements kept(*session_, 4);
  const std::string select = sql("SELECT v FROM later WHERE v = ?");
  EXPECT_THROW(kept.run(select, {SqlValue("x")}, {K::Text}), Poco::Exception);
  EXPECT_EQ(kept.size(), 0u);
  *session_ << "CREATE TABLE later (v TEXT)", now;
  *session_ << "INSERT INTO later (v) VALUES ('x')", now;
  EXPECT_EQ(kept.run(select, {SqlValue("x")}, {K::Text}).size(), 1u);
  EXPECT_EQ(kept.size(), 1u);
  // A kept statement whose execution fails (a value the column refuses) is dropped too, and the
  // next run works.
  const std::string cast = sql("SELECT k FROM t WHERE n = CAST(? AS BIGINT)");
  EXPECT_EQ(kept.run(cast, {SqlValue("3")}, {K::Text}).size(), 1u);
  if (postgres()) {
    EXPECT_THROW(kept.run(cast, {SqlValue("three")}, {K::Text}), Poco::Exception);
    EXPECT_EQ(kept.size(), 1u);
  }
  EXPECT_EQ(kept.run(cast, {SqlValue("1")}, {K::Text}).text[0], std::vector<std::string>{"a"});
}

TEST_P(KeptStatementsTest, RunOnceLeavesNoStatementBehind) {
  const int64_t before = postgres() ? prepared() : 0;
  KeptRows rows = runOnce(*session_, sql("SELECT k, n FROM t WHERE k = ? ORDER BY n"),
                          {SqlValue("a")}, {K::Text, K::Integer});
  EXPECT_EQ(rows.text[0], (std::vector<std::string>{"a", "a"}));
  EXPECT_EQ(rows.integer[0], (std::vector<Poco::Int64>{1, 2}));
  if (postgres()) {
    EXPECT_EQ(prepared(), before);
  }
  EXPECT_THROW(runOnce(*session_, sql("SELECT nothing FROM t"), {}, {K::Text}), Poco::Exception);
}

TEST(KeptStatementsPostgres, AStatementDiesWithItsConnectionAndANewConnectionMakesItAgain) {
  auto& pg = testing::PgCluster::shared();
  ASSERT_TRUE(pg.running()) << pg.error();
  Poco::Data::PostgreSQL::Connector::registerConnector();
  const std::string database = pg.createDatabase();
  const Dialect dialect(true);
  const std::string select = dialect.sql("SELECT n FROM t WHERE k = ?");
  {
    Session setup("PostgreSQL", database);
    setup << "CREATE TABLE t (k TEXT, n BIGINT)", now;
    setup << "INSERT INTO t (k, n) VALUES ('a', 1)", now;
  }
  auto session = std::make_unique<Session>("PostgreSQL", database);
  auto kept = std::make_unique<KeptStatements>(*session, 4);
  ASSERT_EQ(kept->run(select, {SqlValue("a")}, {K::Integer}).size(), 1u);
  ASSERT_TRUE(pg.pause());
  ASSERT_TRUE(pg.resume());
  // The server forgot the statement with the connection: running it fails, and drops it.
  EXPECT_THROW(kept->run(select, {SqlValue("a")}, {K::Integer}), Poco::Exception);
  EXPECT_EQ(kept->size(), 0u);
  // What the store does with a connection that failed: the statements first, then the session.
  kept.reset();
  session = std::make_unique<Session>("PostgreSQL", database);
  kept = std::make_unique<KeptStatements>(*session, 4);
  EXPECT_EQ(kept->run(select, {SqlValue("a")}, {K::Integer}).integer[0],
            std::vector<Poco::Int64>{1});
  EXPECT_EQ(kept->run(select, {SqlValue("b")}, {K::Integer}).size(), 0u);
  EXPECT_EQ(kept->made(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, KeptStatementsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace kept_statements_test
}  // namespace trialbridge::store::sql
