#pragma once
// A program run as a child process by a test, its standard output on a pipe and its standard
// error in a file: `trialbridge serve` for the end-to-end tests.
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace trialbridge::testing {

class ChildProcess {
 public:
  // Starts args[0] with the arguments in `cwd`, standard error to `errPath`, `env` added to
  // its environment.
  ChildProcess(const std::vector<std::string>& args, const std::string& cwd,
               const std::string& errPath,
               const std::vector<std::pair<std::string, std::string>>& env = {});
  ~ChildProcess();  // SIGKILL when still running
  bool started() const { return pid_ > 0; }
  // Standard output until a line containing `marker` (or the end, or `seconds`).
  std::string readUntil(const std::string& marker, int seconds);
  // SIGTERM, then the exit status (-1 when it did not exit normally).
  int terminate();
  // SIGKILL (a crash), and waits for it.
  void kill();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

// The whole file.
std::string slurpFile(const std::string& path);

}  // namespace trialbridge::testing
