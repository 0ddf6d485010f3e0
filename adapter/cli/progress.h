#pragma once
// A progress bar for long runs (`validate` over many files; `import` later), on standard error:
//   [##########..........]  1234/5000 files  410/s  ETA 0:09
// Drawn only when enabled (pass interactive(STDERR_FILENO), cli/terminal.h: never in pipes, files
// or CI logs), only once half a second has passed (short runs show nothing), then at most ten
// times a second; finish() (or the destructor) erases it. advance() may be called from any thread.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace trialbridge::cli {

class Progress {
 public:
  // `unit`: what is counted, plural ("files").
  Progress(size_t total, std::string unit, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(size_t n = 1);
  void finish();

  // The line for `done` of `total` after `seconds`, at most `width` columns. The rate and the ETA
  // appear once something is done.
  static std::string render(size_t done, size_t total, double seconds, std::string_view unit,
                            size_t width);
  // "0:09", "12:34", "1:02:03".
  static std::string duration(double seconds);

 private:
  void draw(bool force);

  size_t total_;
  std::string unit_;
  std::atomic<bool> enabled_;
  bool drawn_ = false;
  std::atomic<size_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_;
  std::mutex mutex_;
};

}  // namespace trialbridge::cli
