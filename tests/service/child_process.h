#pragma once
// Test helpers for programs run as child processes (`trialbridge serve`, the Node peers): start
// one with its standard output on a pipe and its standard error in a file, read its output
// until a marker, stop it with a signal.
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace trialbridge::testing {

struct Child {
  pid_t pid = -1;
  int out = -1;  // the read end of its standard output
};

using Environment = std::vector<std::pair<std::string, std::string>>;

// Runs argv[0] (a path; "node" and other bare names are looked up in PATH) in `cwd`, standard
// error to `errPath`, `env` added to its environment. pid -1 when it could not be started.
Child spawn(const std::vector<std::string>& args, const std::string& cwd,
            const std::string& errPath, const Environment& env = {});
// Reads the child's output until a whole line containing `marker` (or EOF, or `seconds`).
std::string readUntil(int fd, const std::string& marker, int seconds);
// Sends `signal` and waits for the child; returns its wait status. Closes its pipe.
int stopChild(Child& child, int signal);
// A file's contents ("" when it cannot be read).
std::string slurpFile(const std::string& path);
inline std::string slurp(const std::string& path) { return slurpFile(path); }

// The same, as an object that owns the child: killed (SIGKILL) when still running at the end.
class ChildProcess {
 public:
  // Starts args[0] with the arguments in `cwd`, standard error to `errPath`, `env` added to
  // its environment.
  ChildProcess(const std::vector<std::string>& args, const std::string& cwd,
               const std::string& errPath, const Environment& env = {});
  ~ChildProcess();  // SIGKILL when still running
  bool started() const { return pid_ > 0; }
  // Standard output until a line containing `marker` (or the end, or `seconds`).
  std::string readUntil(const std::string& marker, int seconds);
  // SIGTERM, then the exit status (-1 when it did not exit normally).
  int terminate();
  // SIGKILL (a crash), and waits for it.
  void kill();
  // Waits up to `ms` milliseconds for it to end by itself (a fault hook killed it); true when
  // it has ended (it is then reaped: kill() and terminate() do nothing).
  bool exited(int ms);

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace trialbridge::testing
