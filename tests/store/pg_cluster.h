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
  // (durability is not what they check); benchmarks keep it on. `walSegmentMb`: initdb's WAL
  // segment size (a power of two, 1 to 1024; limitFileSize() needs segments under its limit).
  // `walTmpfsMb` > 0: the WAL (initdb --waldir) on a tmpfs of that size mounted for it at
  // walDir() (needs root or CAP_SYS_ADMIN; false with error() when refused), for a WAL disk that
  // fills up. With `fsync`, synchronous_commit and full_page_writes are on too: a commit is
  // answered only once its WAL is on disk, so it survives a SIGKILL of the server.
  bool start(bool fsync = false, int walSegmentMb = 16, int walTmpfsMb = 0);
  void stop();
  // Stops the server (fast shutdown: sessions are ended) but keeps its data; resume() starts it
  // again on the same port. For tests of a database that goes away and comes back.
  bool pause();
  bool resume();
  bool running() const { return running_; }

  // Crashes. killServer: SIGKILL to the postmaster and every process of the server at once (it
  // is frozen with SIGSTOP first so that it starts no new one), waiting until they are gone;
  // resume() then starts it again, which recovers from the WAL. killBackend: SIGKILL to one
  // client backend (chosen by `pick` among them), after which the postmaster itself ends every
  // other session and recovers; false when there was none. postmasterAlive: whether the
  // postmaster runs (it exits by itself when recovery fails, e.g. for want of WAL space);
  // restartIfExited: resume() when it has exited (what a supervisor such as systemd does).
  bool killServer();
  bool killBackend(unsigned pick);
  bool postmasterAlive() const;
  bool restartIfExited(bool& restarted);
  const std::string& walDir() const { return walMount_; }
  // The server's log (its PANICs and recoveries).
  std::string serverLog() const;
  const std::string& error() const { return error_; }
  int port() const { return port_; }

  // A libpq connection string for a new, empty database (created on each call), in `tablespace`
  // when one is named.
  std::string createDatabase(const std::string& tablespace = "");

  // Disks that fail writes. smallTablespace: a tablespace `name` on a tmpfs of `megabytes`
  // mounted for it at tablespaceDir() (unmounted by stop()); false with error() when mounting is
  // refused (it needs root or CAP_SYS_ADMIN). limitFileSize, the fallback: the server started
  // again with every file it writes limited to `kilobytes` (RLIMIT_FSIZE; PostgreSQL ignores
  // SIGXFSZ, so a write past it fails with EFBIG as one on a full disk fails with ENOSPC); 0
  // starts it again without the limit (also when the server had exited by itself).
  bool smallTablespace(const std::string& name, int megabytes);
  const std::string& tablespaceDir() const { return mount_; }
  // The tmpfs made `megabytes` large (more room, as when a disk is extended).
  bool resizeTablespace(int megabytes);
  bool limitFileSize(int kilobytes);
  // The data directory (for the size of its files).
  std::string dataDir() const { return dir_ + "/data"; }
  // The connection string of the `postgres` database.
  std::string adminConnection() const;

  // The cluster shared by a test binary, started on first use.
  static PgCluster& shared();

 private:
  bool run(const std::string& command, const std::string& what);
  bool launch();  // pg_ctl start on port_
  bool mountTmpfs(const std::string& dir, int megabytes);
  int postmasterPid() const;  // from postmaster.pid; 0 when there is none
  std::string dir_, bin_, user_, error_, mount_, walMount_;
  int fileLimitKb_ = 0;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
  bool fsync_ = false;
};

}  // namespace trialbridge::testing
