#pragma once
// What the command line may do to a terminal: colour only when the stream is a terminal whose
// TERM is not "dumb" and NO_COLOR is not set (https://no-color.org: any non-empty value turns it
// off); interactive redrawing (the progress bar) only on a terminal and never under CI (the CI
// variable that CI systems set), so pipes, files and CI logs get plain text.
#include <string>
#include <string_view>

namespace trialbridge::cli {

// The process's view: the environment and whether `fd` is a terminal.
bool colourWanted(int fd);
bool interactive(int fd);

// The same rules as pure functions of their inputs (for tests). `noColor` and `ci` are the
// variables' values, or null when unset.
bool colourWanted(bool isTerminal, const char* term, const char* noColor);
bool interactive(bool isTerminal, const char* term, const char* ci);

enum class Style { Error, Warning, Information, Ok, Bold };

// Wraps text in the style's escape sequences when on, returns it as it is when off.
class Painter {
 public:
  explicit Painter(bool on) : on_(on) {}
  std::string operator()(Style style, std::string_view text) const;
  bool on() const { return on_; }

 private:
  bool on_;
};

}  // namespace trialbridge::cli
