#pragma once
// A throwaway PostgreSQL 15 cluster for tests: initdb and pg_ctl in a temporary directory, on a
// free loopback port, as an unprivileged user (when the tests run as root: the `nobody` user),
// stopped and removed at the end. The server binaries are looked up in $TB_PG_BIN, then
// /usr/lib/postgresql/15/bin (deploy/install-deps.sh installs postgresql-15).
//
// Tests never skip silently: if the cluster cannot start, start() says why and the tests that
// need it fail with that message.
#include <string>

namespace trialbridge::testing {

class PgCluster {
 public:
  PgCluster() = default;
  ~PgCluster() { stop(); }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Starts the cluster; false with error() set when it cannot. `fsync` off makes tests faster
  // (durability is not what they check); benchmarks keep it on.
  bool start(bool fsync = false);
  void stop();
  // Stops the server (fast shutdown: sessions are ended) but keeps its data; resume() starts it
  // again on the same port. For tests of a database that goes away and comes back.
  bool pause();
  bool resume();
  bool running() const { return running_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

  // A libpq connection string for a new, empty database (created on each call).
  std::string createDatabase();
  // The connection string of the `postgres` database.
  std::string adminConnection() const;

  // The cluster shared by a test binary, started on first use.
  static PgCluster& shared();

 private:
  bool run(const std::string& command, const std::string& what);
  bool launch();  // pg_ctl start on port_
  std::string dir_, bin_, user_, error_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
  bool fsync_ = false;
};

}  // namespace trialbridge::testing
