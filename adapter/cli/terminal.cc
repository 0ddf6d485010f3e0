#include "cli/terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace trialbridge::cli {

namespace {

bool dumb(const char* term) { return term == nullptr || std::strcmp(term, "dumb") == 0; }
bool set(const char* value) { return value != nullptr && value[0] != '\0'; }

}  // namespace

bool colourWanted(bool isTerminal, const char* term, const char* noColor) {
  return isTerminal && !dumb(term) && !set(noColor);
}

bool interactive(bool isTerminal, const char* term, const char* ci) {
  return isTerminal && !dumb(term) && !set(ci);
}

bool colourWanted(int fd) {
  return colourWanted(isatty(fd) != 0, std::getenv("TERM"), std::getenv("NO_COLOR"));
}

bool interactive(int fd) {
  return interactive(isatty(fd) != 0, std::getenv("TERM"), std::getenv("CI"));
}

std::string Painter::operator()(Style style, std::string_view text) const {
  if (!on_) return std::string(text);
  const char* code = "";
  switch (style) {
    case Style::Error: code = "\033[1;31m"; break;
    case Style::Warning: code = "\033[33m"; break;
    case Style::Information: code = "\033[36m"; break;
    case Style::Ok: code = "\033[32m"; break;
    case Style::Bold: code = "\033[1m"; break;
  }
  return code + std::string(text) + "\033[0m";
}

}  // namespace trialbridge::cli
