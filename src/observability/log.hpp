#pragma once
// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-26T09:00:00.000Z","level":"info","event":"server_started","request_id":"…","port":8080}
// Events are snake_case names; details go into typed fields. There is deliberately no overload
// for callgate::Secret: secrets cannot be logged by accident.

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.hpp"

namespace callgate::observability {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Parses "debug", "info", "warn"/"warning", "error" (any case). Returns false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel& out);

struct LogField {
  using Value = std::variant<std::string, std::string_view, const char*, long long, double, bool>;
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(std::string_view k, Int v) : key(k), value(static_cast<long long>(v)) {}

  std::string_view key;
  Value value;
};

// Sets the minimum level and output format (JSON lines, or plain text for a terminal).
// Call once at startup before other threads log.
void ConfigureLogging(LogLevel min_level, bool json = true);

// Writes one log line if `level` passes the configured minimum. Thread-safe. Adds the request
// id of the current thread (see ScopedRequestId) when one is set.
void Log(LogLevel level, std::string_view event, std::span<const LogField> fields);
inline void Log(LogLevel level, std::string_view event,
                std::initializer_list<LogField> fields = {}) {
  Log(level, event, std::span<const LogField>(fields.begin(), fields.size()));
}

inline void LogInfo(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarn(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, event, fields);
}
inline void LogError(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, event, fields);
}

// Formats a log line (no trailing newline) without writing it; exposed for tests.
std::string FormatLogLine(SystemTimePoint ts, LogLevel level, std::string_view event,
                          std::string_view request_id, std::span<const LogField> fields);
inline std::string FormatLogLine(SystemTimePoint ts, LogLevel level, std::string_view event,
                                 std::string_view request_id,
                                 std::initializer_list<LogField> fields) {
  return FormatLogLine(ts, level, event, request_id,
                       std::span<const LogField>(fields.begin(), fields.size()));
}

// Sets the request id that log lines written by this thread carry, for the guard's lifetime.
// Jobs restore the id of the request that enqueued them the same way. Guards nest: each one
// restores the id that was set before it.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string request_id);
  // Sets an id kept elsewhere, which must outlive the guard; copies nothing and cannot throw
  // (for code that must not: a group commit's writer).
  struct Borrowed {
    std::string_view id;
  };
  explicit ScopedRequestId(Borrowed borrowed) noexcept;
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string own_;            // the id, unless borrowed
  std::string_view previous_;  // owned by the guard (or borrower) outside this one
};

// The request id set on this thread, or empty.
std::string_view CurrentRequestId();

}  // namespace callgate::observability
