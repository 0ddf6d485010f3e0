// `trialbridge serve` as its own small program, so that serve_test.cc can run the command in a
// child process (and stop it with SIGTERM) whether or not commands.cc lists it yet.
#include <string>
#include <vector>

#include "cli/cmd_serve.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return trialbridge::cli::serveCommand().run(args);
}
