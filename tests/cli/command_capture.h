#pragma once
// Runs a CLI command inside the test process with what it prints captured and `stdinText` as its
// standard input: the tests of the commands (tests/cli, tests/mapping) check the exit status and
// both streams.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace trialbridge::cli {

// The path of a file of the source tree (the samples the commands are run on).
inline std::string repoPath(const std::string& relative) {
  return std::string(TB_SOURCE_ROOT) + "/" + relative;
}

struct Outcome {
  int status = -1;
  std::string out, err;
};

inline Outcome runCommand(const Command& command, std::vector<std::string> args,
                          const std::string& stdinText = {}) {
  std::ostringstream out, err;
  std::istringstream in(stdinText);
  std::streambuf* oldOut = std::cout.rdbuf(out.rdbuf());
  std::streambuf* oldErr = std::cerr.rdbuf(err.rdbuf());
  std::streambuf* oldIn = std::cin.rdbuf(in.rdbuf());
  Outcome r;
  r.status = command.run(args);
  std::cout.rdbuf(oldOut);
  std::cerr.rdbuf(oldErr);
  std::cin.rdbuf(oldIn);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace trialbridge::cli
