#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace trialbridge::testing {

Child spawn(const std::vector<std::string>& args, const std::string& cwd,
            const std::string& errPath, const Environment& env) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    const int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 2);
    ::close(pipefd[0]);
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  if (pid < 0) {
    ::close(pipefd[0]);
    return {};
  }
  return {pid, pipefd[0]};
}

std::string readUntil(int fd, const std::string& marker, int seconds) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.find(marker) != std::string::npos &&
          out.find('\n', out.find(marker)) != std::string::npos)
        break;
    } else if (n == 0) {
      break;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return out;
}

int stopChild(Child& child, int signal) {
  int status = 0;
  if (child.pid > 0) {
    ::kill(child.pid, signal);
    ::waitpid(child.pid, &status, 0);
    child.pid = -1;
  }
  if (child.out >= 0) ::close(child.out);
  child.out = -1;
  return status;
}

std::string slurpFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& cwd,
                           const std::string& errPath, const Environment& env) {
  const Child c = spawn(args, cwd, errPath, env);
  pid_ = c.pid;
  out_ = c.out;
  if (out_ >= 0) ::fcntl(out_, F_SETFL, O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
  Child c{pid_, out_};
  stopChild(c, SIGKILL);
}

std::string ChildProcess::readUntil(const std::string& marker, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const size_t at = buffer_.find(marker);
    if (at != std::string::npos && buffer_.find('\n', at) != std::string::npos) break;
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return buffer_;
}

int ChildProcess::terminate() {
  if (pid_ <= 0) return -1;
  Child c{pid_, out_};
  const int status = stopChild(c, SIGTERM);
  pid_ = -1;
  out_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool ChildProcess::exited(int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (pid_ > 0) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace trialbridge::testing
