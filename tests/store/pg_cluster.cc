#include "pg_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace trialbridge::testing {

namespace {

int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The parent pid of `pid` and its state letter from /proc (0 and 'X' when it is gone).
std::pair<int, char> procStat(int pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return {0, 'X'};
  std::istringstream in(stat.substr(close + 2));
  char state = 'X';
  int ppid = 0;
  in >> state >> ppid;
  return {ppid, state};
}

// The processes whose parent is `parent`.
std::vector<int> childrenOf(int parent) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (procStat(pid).first == parent) out.push_back(pid);
  }
  return out;
}

// Waits (up to 10 s) until every process of `pids` has exited (a zombie has: it holds no memory).
bool waitGone(const std::vector<int>& pids) {
  for (int i = 0; i < 1000; ++i) {
    bool any = false;
    for (int pid : pids) {
      const char state = procStat(pid).second;
      any = any || (state != 'X' && state != 'Z');
    }
    if (!any) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void registerConnector() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
}

}  // namespace

bool PgCluster::run(const std::string& command, const std::string& what) {
  const std::string log = dir_ + "/cmd.log";
  std::string full = command + " >" + log + " 2>&1";
  if (!user_.empty())
    full = "runuser -u " + user_ + " -- sh -c '" + command + "' >" + log + " 2>&1";
  const int rc = std::system(full.c_str());
  if (rc != 0) {
    error_ = what + " failed (" + full + "):\n" + slurp(log);
    return false;
  }
  return true;
}

bool PgCluster::start(bool fsync, int walSegmentMb, int walTmpfsMb) {
  if (running_) return true;
  fsync_ = fsync;
  const char* env = std::getenv("TB_PG_BIN");
  bin_ = env != nullptr ? env : "/usr/lib/postgresql/15/bin";
  if (!std::filesystem::exists(bin_ + "/initdb") || !std::filesystem::exists(bin_ + "/pg_ctl")) {
    error_ = "PostgreSQL 15 server binaries not found in " + bin_ +
             " (run deploy/install-deps.sh, which installs postgresql-15, or set TB_PG_BIN)";
    return false;
  }
  char tmpl[] = "/tmp/tb-pg.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    error_ = "cannot create a temporary directory";
    return false;
  }
  dir_ = tmpl;
  if (::geteuid() == 0) {
    // PostgreSQL refuses to run as root: run it as `nobody`, which owns the directory.
    const passwd* pw = ::getpwnam("nobody");
    if (pw == nullptr) {
      error_ = "running as root and there is no 'nobody' user to run PostgreSQL as";
      return false;
    }
    user_ = "nobody";
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "cannot chown " + dir_ + " to nobody";
      return false;
    }
    ::chmod(dir_.c_str(), 0755);
  }
  std::string waldir;
  if (walTmpfsMb > 0) {
    if (!mountTmpfs(dir_ + "/wal", walTmpfsMb)) return false;
    walMount_ = dir_ + "/wal";
    waldir = " --waldir=" + walMount_;
  }
  if (!run(bin_ + "/initdb -D " + dir_ +
               "/data -A trust -U postgres -E UTF8 --no-locale --no-sync" +
               " --wal-segsize=" + std::to_string(walSegmentMb) + waldir,
           "initdb")) {
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = freePort();
    if (launch()) {
      running_ = true;
      error_.clear();
      return true;
    }
    error_ += "\nserver log:\n" + slurp(dir_ + "/server.log");
  }
  return false;
}

bool PgCluster::launch() {
  const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_ +
                           " -c listen_addresses=127.0.0.1 -c max_connections=200" +
                           (fsync_ ? " -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
                                     " -c recovery_init_sync_method=syncfs"
                                   : " -c fsync=off -c synchronous_commit=off");
  // `ulimit -f` counts 512-byte blocks in sh (dash); pg_ctl's server inherits the limit.
  const std::string limit =
      fileLimitKb_ > 0 ? "ulimit -f " + std::to_string(fileLimitKb_ * 2) + " && " : "";
  // Under a limit, dynamic shared memory in System V segments: files in /dev/shm would count.
  const std::string dsm = fileLimitKb_ > 0 ? " -c dynamic_shared_memory_type=sysv" : "";
  return run(limit + bin_ + "/pg_ctl -D " + dir_ + "/data -o \"" + opts + dsm + "\" -l " + dir_ +
                 "/server.log -w -t 60 start",
             "pg_ctl start");
}

bool PgCluster::pause() {
  if (!running_) return false;
  if (!run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop", "pg_ctl stop")) return false;
  running_ = false;
  return true;
}

bool PgCluster::resume() {
  if (running_ || dir_.empty()) return running_;
  if (!launch()) {
    const std::string log = slurp(dir_ + "/server.log");
    error_ += "\nserver log (end):\n" + log.substr(log.size() > 2000 ? log.size() - 2000 : 0);
    return false;
  }
  running_ = true;
  return true;
}

bool PgCluster::mountTmpfs(const std::string& dir, int megabytes) {
  std::filesystem::create_directories(dir);
  std::string owner;
  if (const passwd* pw = user_.empty() ? nullptr : ::getpwnam(user_.c_str())) {
    owner = ",uid=" + std::to_string(pw->pw_uid) + ",gid=" + std::to_string(pw->pw_gid);
  }
  const std::string mount = "mount -t tmpfs -o size=" + std::to_string(megabytes) + "m,mode=0700" +
                            owner + " tmpfs " + dir;
  if (std::system((mount + " >" + dir_ + "/mount.log 2>&1").c_str()) != 0) {
    error_ = "cannot mount a tmpfs (" + mount + "): " + slurp(dir_ + "/mount.log");
    return false;
  }
  return true;
}

bool PgCluster::smallTablespace(const std::string& name, int megabytes) {
  if (!running_) return false;
  const std::string dir = dir_ + "/" + name;
  if (!mountTmpfs(dir, megabytes)) return false;
  mount_ = dir;
  registerConnector();
  try {
    Poco::Data::Session admin("PostgreSQL", adminConnection());
    admin << "CREATE TABLESPACE " + name + " LOCATION '" + dir + "'", Poco::Data::Keywords::now;
  } catch (const Poco::Exception& e) {
    error_ = "CREATE TABLESPACE failed: " + e.displayText();
    return false;
  }
  return true;
}

bool PgCluster::resizeTablespace(int megabytes) {
  if (mount_.empty()) return false;
  const std::string cmd =
      "mount -o remount,size=" + std::to_string(megabytes) + "m " + mount_ + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    error_ = "cannot resize the tmpfs (" + cmd + ")";
    return false;
  }
  return true;
}

bool PgCluster::limitFileSize(int kilobytes) {
  if (running_ && postmasterAlive() && !pause()) return false;
  running_ = false;  // stopped, or it had exited by itself
  fileLimitKb_ = kilobytes;
  return resume();
}

int PgCluster::postmasterPid() const {
  std::ifstream in(dataDir() + "/postmaster.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

bool PgCluster::postmasterAlive() const {
  const int pid = postmasterPid();
  const char state = pid > 0 ? procStat(pid).second : 'X';
  return state != 'X' && state != 'Z';
}

bool PgCluster::killServer() {
  const int pid = postmasterPid();
  if (!running_ || pid <= 0) {
    error_ = "killServer: the server does not run";
    return false;
  }
  ::kill(pid, SIGSTOP);
  std::vector<int> all = childrenOf(pid);
  for (int child : all) ::kill(child, SIGKILL);
  ::kill(pid, SIGKILL);
  all.push_back(pid);
  running_ = false;
  if (!waitGone(all)) {
    error_ = "killServer: the server's processes did not end";
    return false;
  }
  // A postmaster left a zombie (its parent has not reaped it yet) still "runs" for the lock
  // files' check, and the new one would refuse to start: the files are stale, as after a crash.
  std::filesystem::remove(dataDir() + "/postmaster.pid");
  std::filesystem::remove(dir_ + "/.s.PGSQL." + std::to_string(port_) + ".lock");
  return true;
}

bool PgCluster::killBackend(unsigned pick) {
  const int pid = postmasterPid();
  std::vector<int> backends;
  for (int child : childrenOf(pid)) {
    // A client backend's title: "postgres: USER DATABASE HOST(PORT) STATE".
    const std::string cmdline = slurp("/proc/" + std::to_string(child) + "/cmdline");
    if (cmdline.rfind("postgres: postgres tb_test", 0) == 0) backends.push_back(child);
  }
  if (backends.empty()) {
    error_ = "killBackend: no client backend";
    return false;
  }
  const int victim = backends[pick % backends.size()];
  ::kill(victim, SIGKILL);
  return waitGone({victim});
}

bool PgCluster::restartIfExited(bool& restarted) {
  restarted = false;
  if (postmasterAlive()) return true;
  running_ = false;
  restarted = true;
  return resume();
}

std::string PgCluster::serverLog() const { return slurp(dir_ + "/server.log"); }

void PgCluster::stop() {
  if (dir_.empty()) return;
  if (running_) pause();
  for (std::string* mount : {&mount_, &walMount_}) {
    if (mount->empty()) continue;
    if (std::system(("umount " + *mount + " >/dev/null 2>&1").c_str()) != 0) {
      // Left mounted (busy): the directory stays; nothing else to do in a destructor.
    }
    mount->clear();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

std::string PgCluster::adminConnection() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

std::string PgCluster::createDatabase(const std::string& tablespace) {
  registerConnector();
  const std::string name =
      "tb_test_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  Poco::Data::Session admin("PostgreSQL", adminConnection());
  admin << "CREATE DATABASE " + name + (tablespace.empty() ? "" : " TABLESPACE " + tablespace),
      Poco::Data::Keywords::now;
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + name;
}

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  static std::once_flag once;
  std::call_once(once, [] {
    cluster.start();
    std::atexit([] { cluster.stop(); });
  });
  return cluster;
}

}  // namespace trialbridge::testing
