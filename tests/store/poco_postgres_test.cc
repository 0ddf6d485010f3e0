// store/poco_postgres.h: executeAgain() / releasePostgresResult(), a kept statement on PostgreSQL
// may fail and run again; postgresConnectionClosed(). Without the release, Poco 1.11 frees the
// failed execution's predecessor result a second time; under ASan (build with -DTB_SANITIZE=ON)
// these tests abort.
#include "store/poco_postgres.h"

#include <gtest/gtest.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pg_cluster.h"

namespace trialbridge::store {
namespace {

using Poco::Data::Session;
using Poco::Data::Statement;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

std::unique_ptr<Session> pgSession() {
  auto& pg = testing::PgCluster::shared();
  EXPECT_TRUE(pg.running()) << pg.error();
  if (!pg.running()) return nullptr;
  Poco::Data::PostgreSQL::Connector::registerConnector();
  return std::make_unique<Session>("PostgreSQL", pg.createDatabase());
}

TEST(PocoPostgres, AKeptInsertFailsAndRunsAgain) {
  auto session = pgSession();
  ASSERT_NE(session, nullptr);
  *session << "CREATE TABLE t (k TEXT PRIMARY KEY)", now;
  std::string key;
  {
    Statement insert(*session);
    insert << "INSERT INTO t (k) VALUES ($1)", use(key);
    for (int i = 0; i < 5; ++i) {
      key = "k" + std::to_string(i);
      EXPECT_EQ(executeAgain(insert), 1u);
      EXPECT_THROW(executeAgain(insert), Poco::Exception) << "a duplicate key";
    }
  }  // the statement's destructor: it must not free a result a second time
  int count = 0;
  *session << "SELECT COUNT(*) FROM t", into(count), now;
  EXPECT_EQ(count, 5);
}

// With vectors bound, Poco runs the statement once per row: a later row fails after an earlier
// row's result was freed.
TEST(PocoPostgres, AKeptVectorInsertFailsOnALaterRow) {
  auto session = pgSession();
  ASSERT_NE(session, nullptr);
  *session << "CREATE TABLE t (k TEXT PRIMARY KEY)", now;
  std::vector<std::string> keys = {"a", "b"};  // Poco refuses to bind an empty vector
  {
    Statement insert(*session);
    insert << "INSERT INTO t (k) VALUES ($1)", use(keys);
    EXPECT_NO_THROW(executeAgain(insert));  // Poco returns the count of the last row only
    keys = {"c", "a"};                      // row 2 is a duplicate
    EXPECT_THROW(executeAgain(insert), Poco::Exception);
    keys = {"d", "e", "d"};
    EXPECT_THROW(executeAgain(insert), Poco::Exception);
    keys = {"f"};
    EXPECT_NO_THROW(executeAgain(insert));
  }
  int count = 0;
  *session << "SELECT COUNT(*) FROM t", into(count), now;
  EXPECT_EQ(count, 6) << "autocommit: the rows before a failing row stay";
}

TEST(PocoPostgres, AKeptSelectExtractsItsRowsAfterAFailure) {
  auto session = pgSession();
  ASSERT_NE(session, nullptr);
  *session << "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)", now;
  *session << "INSERT INTO t VALUES ('a', 0), ('b', 2), ('c', 5)", now;
  std::string key;
  std::vector<int> values;
  Statement select(*session);
  select << "SELECT 10 / n FROM t WHERE k >= $1 ORDER BY k", use(key), into(values);
  key = "b";
  EXPECT_EQ(executeAgain(select), 2u);
  EXPECT_EQ(values, (std::vector<int>{5, 2}));
  values.clear();
  key = "a";  // row a divides by zero: the server refuses the execution
  EXPECT_THROW(executeAgain(select), Poco::Exception);
  values.clear();
  key = "c";
  EXPECT_EQ(executeAgain(select), 1u);
  EXPECT_EQ(values, (std::vector<int>{2}));
}

TEST(PocoPostgres, ReleaseDoesNothingOnSqliteOrBeforeTheFirstRun) {
  Poco::Data::SQLite::Connector::registerConnector();
  Session session("SQLite", ":memory:");
  session << "CREATE TABLE t (k TEXT PRIMARY KEY)", now;
  std::string key = "x";
  Statement insert(session);
  insert << "INSERT INTO t (k) VALUES (?)", use(key);
  releasePostgresResult(insert);
  EXPECT_EQ(executeAgain(insert), 1u);
  EXPECT_THROW(executeAgain(insert), Poco::Exception);
  key = "y";
  EXPECT_EQ(executeAgain(insert), 1u);
}

TEST(PocoPostgres, AConnectionTheServerClosedIsNoticed) {
  auto& pg = testing::PgCluster::shared();
  ASSERT_TRUE(pg.running()) << pg.error();
  Poco::Data::PostgreSQL::Connector::registerConnector();
  const std::string database = pg.createDatabase();
  Session victim("PostgreSQL", database), admin("PostgreSQL", database);
  int pid = 0;
  victim << "SELECT pg_backend_pid()", into(pid), now;
  EXPECT_FALSE(postgresConnectionClosed(victim)) << "an idle, healthy connection";
  EXPECT_FALSE(postgresConnectionClosed(admin));
  bool terminated = false;
  admin << "SELECT pg_terminate_backend($1)", use(pid), into(terminated), now;
  ASSERT_TRUE(terminated);
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {  // the goodbye arrives within milliseconds
    closed = postgresConnectionClosed(victim);
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed);
  EXPECT_THROW((victim << "SELECT 1", now), Poco::Exception) << "the check agrees with a command";
  EXPECT_FALSE(postgresConnectionClosed(admin));
  Poco::Data::SQLite::Connector::registerConnector();
  Session sqlite("SQLite", ":memory:");
  EXPECT_FALSE(postgresConnectionClosed(sqlite));
}

}  // namespace
}  // namespace trialbridge::store
