#pragma once
// Regular expressions that arrive with the data: FHIRPath's matches() and replaceMatches(),
// invariants of profiles, ValueSet `regex` filters, registry identifier patterns. PCRE (the
// syntax FHIRPath's regexes are written in), compiled once and shared between threads.
//
// std::regex and PCRE's interpreter recurse once per repetition, so a long enough value (a few
// hundred kilobytes) overflowed the stack and killed the process. Here matching runs on PCRE's
// JIT with its own bounded stack (the interpreter, when the JIT cannot take a pattern, with a
// bounded recursion depth), and a step limit stops catastrophic backtracking: a value that
// needs more is a RegexLimit error, never a crash or a hang.
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::core {

// A match would need more stack or steps than a Regex allows.
class RegexLimit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Regex {
 public:
  struct Span {
    size_t offset = std::string::npos;  // npos: the group took no part in the match
    size_t length = 0;
  };

  // Compiles `pattern` (UTF-8; '.' matches line ends too). `whole`: a match must cover the whole
  // subject, as in FHIRPath's matchesFull() and FHIR's invariants. nullptr when the pattern does
  // not compile, with the reason in `error`.
  static std::unique_ptr<const Regex> compile(std::string_view pattern, bool whole,
                                              std::string& error);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // The first match at or after byte `offset` of `subject`; with `groups`, the whole match and
  // each capture group in turn. Throws RegexLimit (see above) and std::invalid_argument when
  // `subject` is not UTF-8.
  bool find(std::string_view subject, size_t offset = 0, std::vector<Span>* groups = nullptr) const;

 private:
  Regex() = default;
  void* code_ = nullptr;   // pcre*
  void* extra_ = nullptr;  // pcre_extra*
  int groups_ = 0;
};

}  // namespace trialbridge::core
