// `trialbridge serve` in a child process: default configuration (loopback, no authentication,
// SQLite in the working directory), the reference trial loaded, the base URL printed, a clean
// stop on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test_client.h"

namespace trialbridge::testing {
namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawn(const std::vector<std::string>& args, const std::string& cwd,
            const std::string& errPath) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    const int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 2);
    ::close(pipefd[0]);
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  return {pid, pipefd[0]};
}

// Reads stdout until a line containing `marker` (or EOF / timeout).
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

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ServeCommand, DefaultsTrialBaseUrlAndCleanStop) {
  const std::string dir = tempDir();
  const std::string trial = std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json";
  Child c = spawn({TB_SERVE_BINARY, "--port", "0", "--trial", trial}, dir, dir + "/stderr.log");
  ASSERT_GT(c.pid, 0);
  const std::string out = readUntil(c.out, "FHIR base ", 120);
  const size_t at = out.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out << slurp(dir + "/stderr.log");
  EXPECT_NE(out.find("loaded trial nct06813157"), std::string::npos) << out;
  const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  EXPECT_NE(slurp(dir + "/stderr.log").find("WITHOUT authentication"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/trialbridge.db"));

  Client client("127.0.0.1", port);
  Reply study = client.get("/fhir/ResearchStudy?_summary=count");
  EXPECT_EQ(study.status, 200);
  EXPECT_EQ(jsonAt(study.body, "total"), "1") << study.body;
  Reply found = client.get("/fhir/ResearchStudy?identifier=NCT06813157");
  EXPECT_EQ(jsonAt(found.body, "total"), "1") << found.body;

  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(slurp(dir + "/stderr.log").find("stopped"), std::string::npos);
  ::close(c.out);

  // Started again on the same file: the data is there.
  Child again = spawn({TB_SERVE_BINARY, "--port", "0"}, dir, dir + "/stderr2.log");
  const std::string out2 = readUntil(again.out, "FHIR base ", 60);
  const size_t at2 = out2.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at2, std::string::npos) << out2 << slurp(dir + "/stderr2.log");
  const std::string base2 = out2.substr(at2 + 10, out2.find('\n', at2) - at2 - 10);
  Client client2("127.0.0.1", std::stoi(base2.substr(base2.rfind(':') + 1)));
  EXPECT_EQ(jsonAt(client2.get("/fhir/ResearchStudy?_summary=count").body, "total"), "1");
  ::kill(again.pid, SIGTERM);
  ::waitpid(again.pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(again.out);
  std::filesystem::remove_all(dir);
}

TEST(ServeCommand, BadConfigurationStopsStartUp) {
  const std::string dir = tempDir();
  writeFile(dir + "/bad.json", R"({"http":{"port":"eighty"}})");
  Child c = spawn({TB_SERVE_BINARY, "--config", dir + "/bad.json"}, dir, dir + "/stderr.log");
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(slurp(dir + "/stderr.log").find("'http.port' must be a whole number"),
            std::string::npos)
      << slurp(dir + "/stderr.log");
  ::close(c.out);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
