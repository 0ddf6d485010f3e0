#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace trialbridge::core {

namespace {

struct State {
  std::mutex mutex;
  std::function<void(std::string_view)> sink;
};

State& state() {
  static State s;
  return s;
}

std::atomic<LogFormat> gFormat{LogFormat::Text};
std::atomic<LogLevel> gLevel{LogLevel::Info};

constexpr std::string_view kLevels[] = {"debug", "info", "warning", "error"};
constexpr std::string_view kFormats[] = {"auto", "json", "text"};

// 2026-11-23T10:11:12.345Z
std::string isoTime(int64_t unixMillis) {
  const std::time_t secs = static_cast<std::time_t>(unixMillis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unixMillis % 1000));
  return buf;
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          out += esc;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// A text value: as it is when it has no space, quote or control character; else JSON-quoted.
void appendTextValue(std::string& out, std::string_view s) {
  bool plain = !s.empty();
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    plain = plain && c > 0x20 && c != '"' && c != 0x7f;
  }
  if (plain) {
    out += s;
  } else {
    appendJsonString(out, s);
  }
}

void appendValue(std::string& out, const LogField::Value& v, bool json) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    json ? appendJsonString(out, *s) : appendTextValue(out, *s);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) {
      out += json ? "null" : "nan";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", *d);
      out += buf;
    }
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

}  // namespace

std::string_view logLevelName(LogLevel level) { return kLevels[static_cast<size_t>(level)]; }
std::string_view logFormatName(LogFormat format) { return kFormats[static_cast<size_t>(format)]; }

bool parseLogLevel(std::string_view text, LogLevel& out) {
  for (size_t i = 0; i < std::size(kLevels); ++i) {
    if (kLevels[i] == text) {
      out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool parseLogFormat(std::string_view text, LogFormat& out) {
  for (size_t i = 0; i < std::size(kFormats); ++i) {
    if (kFormats[i] == text) {
      out = static_cast<LogFormat>(i);
      return true;
    }
  }
  return false;
}

void Log::configure(const LogOptions& options) {
  LogFormat f = options.format;
  if (f == LogFormat::Auto) f = isatty(STDERR_FILENO) != 0 ? LogFormat::Text : LogFormat::Json;
  gFormat = f;
  gLevel = options.level;
}

LogFormat Log::format() { return gFormat.load(); }

bool Log::enabled(LogLevel level) { return level >= gLevel.load(); }

std::string Log::formatLine(LogFormat format, int64_t unixMillis, LogLevel level, LogText event,
                            LogText message, std::initializer_list<LogField> fields) {
  std::string out;
  out.reserve(128);
  if (format == LogFormat::Json) {
    out += "{\"time\":\"" + isoTime(unixMillis) + "\",\"level\":\"";
    out += logLevelName(level);
    out += "\",\"event\":";
    appendJsonString(out, event.view());
    out += ",\"message\":";
    appendJsonString(out, message.view());
    for (const LogField& f : fields) {
      out += ',';
      appendJsonString(out, f.key.view());
      out += ':';
      appendValue(out, f.value, true);
    }
    out += "}\n";
    return out;
  }
  out += isoTime(unixMillis);
  out += ' ';
  std::string lvl(logLevelName(level));
  lvl.resize(8, ' ');
  out += lvl;
  out += message.view();
  for (const LogField& f : fields) {
    out += "  ";
    out += f.key.view();
    out += '=';
    appendValue(out, f.value, false);
  }
  out += '\n';
  return out;
}

void Log::write(LogLevel level, LogText event, LogText message,
                std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string line = formatLine(gFormat.load(), now, level, event, message, fields);
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (s.sink) {
    s.sink(line);
    return;
  }
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // standard error closed: nothing sensible to do
    done += static_cast<size_t>(n);
  }
}

void Log::setSink(std::function<void(std::string_view line)> sink) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.sink = std::move(sink);
}

}  // namespace trialbridge::core
