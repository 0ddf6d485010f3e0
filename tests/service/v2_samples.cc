#include "v2_samples.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>

#include "child_process.h"
#include "hl7v2/ack.h"
#include "hl7v2/batch.h"
#include "test_client.h"

namespace trialbridge::testing {

std::vector<V2Sample> v2Samples(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(TB_SOURCE_ROOT) + "/samples/hl7v2")) {
    if (e.path().extension() == ".hl7") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<V2Sample> out;
  for (const std::string& path : paths) {
    const std::string text = slurpFile(path);
    core::Issues issues;
    const auto batch = hl7v2::readBatch(text, issues);
    EXPECT_TRUE(batch.has_value()) << path;
    if (!batch) continue;
    for (size_t i = 0; i < batch->messages.size(); ++i) {
      V2Sample s;
      const std::string message(batch->messages[i].text);
      s.file = path;
      if (batch->messages.size() > 1 || batch->fileHeader) {
        s.file = dir + "/" + std::filesystem::path(path).stem().string() + "-" +
                 std::to_string(i + 1) + ".hl7";
        writeFile(s.file, message);
      }
      const hl7v2::AckHeader h = hl7v2::ackHeaderFromRaw(message);
      s.controlId = h.controlId;
      s.key = "hl7:" + h.sendingApplication + "|" + h.sendingFacility + "|" + h.controlId;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::string runCommand(const std::string& command, int& status) {
  status = -1;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return "cannot run " + command;
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  status = ::pclose(p);
  return out;
}

std::string runCommand(const std::string& command) {
  int rc = 0;
  std::string out = runCommand(command, rc);
  if (rc != 0) out += "\n(exit status " + std::to_string(rc) + ")";
  return out;
}

std::vector<std::pair<std::string, std::string>> msas(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t at = text.find("MSA"); at != std::string::npos; at = text.find("MSA", at + 3)) {
    if (at > 0 && text[at - 1] != '\r' && text[at - 1] != '\n') continue;
    const char sep = text[at + 3];
    const size_t codeEnd = text.find(sep, at + 4);
    const size_t idEnd = text.find_first_of(std::string(1, sep) + "\r\n", codeEnd + 1);
    out.emplace_back(text.substr(at + 4, codeEnd - at - 4),
                     text.substr(codeEnd + 1, idEnd - codeEnd - 1));
  }
  return out;
}

std::string plateletOru(const std::string& controlId, const std::string& type) {
  return "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||" + type + "|" + controlId +
         "|P|2.5.1\r"
         "PID|1||MRN123^^^HOSP^MR||Doe^Jane||19800101|F\r"
         "OBR|1||F1|26515-7^Platelets^LN|||20250301100000+0800|||||||||||||||"
         "20250301110000+0800|||F\r"
         "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||F|||20250301100000+0800\r";
}

}  // namespace trialbridge::testing
