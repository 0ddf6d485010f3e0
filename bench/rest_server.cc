// The server the REST benchmarks (bench/rest_wrk.sh) run: `trialbridge serve` as its own
// program, so that the benchmark does not depend on the command list of the main binary.
#include <string>
#include <vector>

#include "cli/cmd_serve.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return trialbridge::cli::serveCommand().run(args);
}
