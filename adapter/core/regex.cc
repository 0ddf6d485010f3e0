#include "core/regex.h"

#include <pcre.h>

namespace trialbridge::core {

namespace {

// Backtracking steps for one match: far more than any sensible pattern needs on a FHIR value,
// few enough to stop a catastrophic one within a fraction of a second.
constexpr unsigned long kMatchLimit = 5'000'000;
// Interpreter recursion depth (a frame is at most a few hundred bytes; with sanitizers, more):
// a few megabytes of stack at most, inside the 8 MiB every thread here has.
constexpr unsigned long kRecursionLimit = 2'000;
// The JIT's own stack, one per thread, grown on demand up to this size.
constexpr int kJitStackStart = 32 * 1024;
constexpr int kJitStackMax = 4 * 1024 * 1024;

pcre_jit_stack* threadJitStack(void*) {
  struct Holder {
    pcre_jit_stack* stack = pcre_jit_stack_alloc(kJitStackStart, kJitStackMax);
    ~Holder() {
      if (stack != nullptr) pcre_jit_stack_free(stack);
    }
  };
  thread_local Holder holder;
  return holder.stack;  // nullptr: PCRE falls back to its 32 KiB machine-stack area
}

}  // namespace

std::unique_ptr<const Regex> Regex::compile(std::string_view pattern, bool whole,
                                            std::string& error) {
  if (pattern.find('\0') != std::string_view::npos) {
    error = "a pattern cannot contain NUL";
    return nullptr;
  }
  const std::string p = whole ? "^(?:" + std::string(pattern) + ")$" : std::string(pattern);
  const char* message = nullptr;
  int at = 0;
  int options = PCRE_UTF8 | PCRE_DOTALL;
  if (whole) options |= PCRE_DOLLAR_ENDONLY;
  pcre* code = pcre_compile(p.c_str(), options, &message, &at, nullptr);
  if (code == nullptr) {
    error = std::string(message != nullptr ? message : "invalid pattern") + " at offset " +
            std::to_string(whole ? std::max(0, at - 4) : at);
    return nullptr;
  }
  std::unique_ptr<Regex> re(new Regex());
  re->code_ = code;
  const char* studyError = nullptr;
  pcre_extra* extra =
      pcre_study(code, PCRE_STUDY_JIT_COMPILE | PCRE_STUDY_EXTRA_NEEDED, &studyError);
  if (extra == nullptr) {
    error = studyError != nullptr ? studyError : "the pattern could not be prepared";
    return nullptr;
  }
  extra->flags |= PCRE_EXTRA_MATCH_LIMIT | PCRE_EXTRA_MATCH_LIMIT_RECURSION;
  extra->match_limit = kMatchLimit;
  extra->match_limit_recursion = kRecursionLimit;
  pcre_assign_jit_stack(extra, threadJitStack, nullptr);
  re->extra_ = extra;
  pcre_fullinfo(code, extra, PCRE_INFO_CAPTURECOUNT, &re->groups_);
  return re;
}

Regex::~Regex() {
  if (extra_ != nullptr) pcre_free_study(static_cast<pcre_extra*>(extra_));
  if (code_ != nullptr) pcre_free(code_);
}

bool Regex::find(std::string_view subject, size_t offset, std::vector<Span>* groups) const {
  if (subject.size() > static_cast<size_t>(INT32_MAX)) throw RegexLimit("the value is too long");
  if (offset > subject.size()) return false;
  std::vector<int> ovector(static_cast<size_t>(groups_ + 1) * 3);
  const int rc =
      pcre_exec(static_cast<const pcre*>(code_), static_cast<const pcre_extra*>(extra_),
                subject.data(), static_cast<int>(subject.size()), static_cast<int>(offset), 0,
                ovector.data(), static_cast<int>(ovector.size()));
  if (rc == PCRE_ERROR_NOMATCH) return false;
  if (rc == PCRE_ERROR_MATCHLIMIT || rc == PCRE_ERROR_RECURSIONLIMIT ||
      rc == PCRE_ERROR_JIT_STACKLIMIT) {
    throw RegexLimit("the regular expression needs too much backtracking on a value of " +
                     std::to_string(subject.size()) + " bytes");
  }
  if (rc == PCRE_ERROR_BADUTF8 || rc == PCRE_ERROR_BADUTF8_OFFSET) {
    throw std::invalid_argument("the value is not valid UTF-8");
  }
  if (rc < 0) throw std::runtime_error("regular expression error " + std::to_string(rc));
  if (groups != nullptr) {
    groups->assign(static_cast<size_t>(groups_ + 1), Span{});
    for (size_t g = 0; g < groups->size(); ++g) {
      const int start = ovector[2 * g], end = ovector[2 * g + 1];
      if (start >= 0)
        (*groups)[g] = Span{static_cast<size_t>(start), static_cast<size_t>(end - start)};
    }
  }
  return true;
}

}  // namespace trialbridge::core
