#pragma once
// The process's log: one record per line on standard error, as a JSON object (for log collectors)
// or as readable text (for a person at a terminal), chosen by LogOptions. Every part of the
// service writes through this one unit, so the format, the level filter and the rules below hold
// everywhere.
//
// No personal data, by construction: a record's event name, message and field names must be
// string literals (LogText accepts nothing else, at compile time), so no text built from a
// resource, a message, a query string, a token or a client can become one. Data reaches a record
// only as a field value, and callers pass only figures and facts of the software there: counts,
// durations, status codes, route templates (ids replaced by ":id"), setting names, file names of
// the configuration, error reasons of the system (never of the data).
//
// A JSON record:  {"time":"2026-11-23T10:11:12.345Z","level":"info","event":"serve.started",
//                  "message":"serving","base":"http://127.0.0.1:8080/fhir"}
// A text record:  2026-11-23T10:11:12.345Z info    serving  base=http://127.0.0.1:8080/fhir
// Lines are written whole (one write(2) each, under a lock), so threads never interleave them.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace trialbridge::core {

enum class LogLevel : uint8_t { Debug, Info, Warning, Error };
enum class LogFormat : uint8_t { Auto, Json, Text };

std::string_view logLevelName(LogLevel level);
std::string_view logFormatName(LogFormat format);
// "debug", "info", "warning", "error" / "auto", "json", "text"; false for anything else.
bool parseLogLevel(std::string_view text, LogLevel& out);
bool parseLogFormat(std::string_view text, LogFormat& out);

struct LogOptions {
  // Auto: Text when standard error is a terminal, Json otherwise.
  LogFormat format = LogFormat::Auto;
  // Records below this level are dropped.
  LogLevel level = LogLevel::Info;
};

// A string literal, and only that: the constructor is consteval, so a string built at run time
// does not compile.
class LogText {
 public:
  template <size_t N>
  consteval LogText(const char (&text)[N]) : text_(text, N - 1) {}  // NOLINT: implicit on purpose
  std::string_view view() const { return text_; }

 private:
  std::string_view text_;
};

struct LogField {
  using Value = std::variant<std::string_view, int64_t, double, bool>;
  LogField(LogText k, std::string_view v) : key(k), value(v) {}
  LogField(LogText k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(LogText k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(LogText k, bool v) : key(k), value(v) {}
  LogField(LogText k, double v) : key(k), value(v) {}
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) LogField(LogText k, T v)
      : key(k), value(static_cast<int64_t>(v)) {}
  LogText key;
  Value value;
};

class Log {
 public:
  // Sets the format and level for the whole process. Auto is resolved here, against standard
  // error.
  static void configure(const LogOptions& options);
  // The format in force (never Auto after configure(); Text before it).
  static LogFormat format();
  static bool enabled(LogLevel level);

  static void write(LogLevel level, LogText event, LogText message,
                    std::initializer_list<LogField> fields = {});
  static void debug(LogText event, LogText message, std::initializer_list<LogField> f = {}) {
    write(LogLevel::Debug, event, message, f);
  }
  static void info(LogText event, LogText message, std::initializer_list<LogField> f = {}) {
    write(LogLevel::Info, event, message, f);
  }
  static void warning(LogText event, LogText message, std::initializer_list<LogField> f = {}) {
    write(LogLevel::Warning, event, message, f);
  }
  static void error(LogText event, LogText message, std::initializer_list<LogField> f = {}) {
    write(LogLevel::Error, event, message, f);
  }

  // Where lines go instead of standard error (each line with its '\n'); an empty function
  // restores standard error. For tests.
  static void setSink(std::function<void(std::string_view line)> sink);

  // One record as its line, for `format` Json or Text, at the given time (ms since the epoch).
  static std::string formatLine(LogFormat format, int64_t unixMillis, LogLevel level, LogText event,
                                LogText message, std::initializer_list<LogField> fields);
};

}  // namespace trialbridge::core
