#pragma once
// A file of the source tree (samples, golden files) read whole, for the benches that build with
// TB_SOURCE_ROOT defined; "" when it cannot be read.
#include <fstream>
#include <sstream>
#include <string>

namespace trialbridge::bench {

inline std::string readSourceFile(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

}  // namespace trialbridge::bench
