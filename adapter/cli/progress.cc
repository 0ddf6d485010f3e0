#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace trialbridge::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kFirstDraw = std::chrono::milliseconds(500);
constexpr auto kRedraw = std::chrono::milliseconds(100);

size_t terminalWidth() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void put(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDERR_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Progress::Progress(size_t total, std::string unit, bool enabled)
    : total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      start_(Clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

std::string Progress::duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

std::string Progress::render(size_t done, size_t total, double seconds, std::string_view unit,
                             size_t width) {
  if (done > total) done = total;
  std::string tail =
      "  " + std::to_string(done) + "/" + std::to_string(total) + " " + std::string(unit);
  if (done > 0 && seconds > 0) {
    const double rate = static_cast<double>(done) / seconds;
    char buf[32];
    std::snprintf(buf, sizeof buf, rate >= 10 ? "%.0f/s" : "%.1f/s", rate);
    tail += "  " + std::string(buf);
    tail += "  ETA " + duration(static_cast<double>(total - done) / rate);
  }
  // The bar takes what is left of the width, between 10 and 40 columns.
  const size_t room = width > tail.size() + 2 ? width - tail.size() - 2 : 0;
  const size_t bar = room < 10 ? 0 : std::min<size_t>(room, 40);
  if (bar == 0) return tail.substr(2, width > 0 ? width : tail.size());
  const size_t filled = total == 0 ? bar : bar * done / total;
  return "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "]" + tail;
}

void Progress::advance(size_t n) {
  done_ += n;
  if (enabled_) draw(false);
}

void Progress::draw(bool force) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is drawing
  const auto now = Clock::now();
  if (!force && (now - start_ < kFirstDraw || (drawn_ && now - last_ < kRedraw))) return;
  last_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  put("\r" + render(done_.load(), total_, seconds, unit_, terminalWidth() - 1) + "\033[K");
}

void Progress::finish() {
  if (!enabled_) return;
  const std::lock_guard lock(mutex_);
  if (drawn_) put("\r\033[K");
  drawn_ = false;
  enabled_ = false;
}

}  // namespace trialbridge::cli
