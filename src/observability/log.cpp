#include "observability/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/masking.hpp"
#include "core/text.hpp"
#include "core/time_zone.hpp"

namespace callgate::observability {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{true};
// Set by ScopedRequestId only; what it views is kept alive by the innermost guard.
thread_local std::string_view t_request_id;

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// JSON string escaping. Well-formed UTF-8 passes through; a byte that starts no well-formed
// character (a header or name cut inside one, bytes that are not text) is written as U+FFFD, so
// every line stays valid JSON for strict log shippers.
void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (c < 0x80) {
          out.push_back(static_cast<char>(c));
        } else if (const std::size_t n = Utf8CharLength(s, i); n > 0) {
          out.append(s.substr(i, n));
          i += n;
          continue;
        } else {
          out += "\\ufffd";
        }
    }
    ++i;
  }
  out.push_back('"');
}

void AppendValue(std::string& out, const LogField::Value& v) {
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, long long>) {
          out += std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(x)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", x);
            out += buf;
          } else {
            out += "null";
          }
        } else if constexpr (std::is_same_v<T, const char*>) {
          AppendJsonString(
              out, MaskPersonalData(x == nullptr ? std::string_view() : std::string_view(x)));
        } else {
          AppendJsonString(out, MaskPersonalData(x));
        }
      },
      v);
}

spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("callgate", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& out) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t == "debug")
    out = LogLevel::kDebug;
  else if (t == "info")
    out = LogLevel::kInfo;
  else if (t == "warn" || t == "warning")
    out = LogLevel::kWarn;
  else if (t == "error")
    out = LogLevel::kError;
  else
    return false;
  return true;
}

void ConfigureLogging(LogLevel min_level, bool json) {
  g_min_level = static_cast<int>(min_level);
  g_json = json;
}

std::string FormatLogLine(SystemTimePoint ts, LogLevel level, std::string_view event,
                          std::string_view request_id, std::span<const LogField> fields) {
  std::string out;
  out.reserve(128);
  out += "{\"ts\":";
  AppendJsonString(out, FormatIso8601Utc(ts));
  out += ",\"level\":";
  AppendJsonString(out, LevelName(level));
  out += ",\"event\":";
  AppendJsonString(out, event);
  if (!request_id.empty()) {
    out += ",\"request_id\":";
    AppendJsonString(out, request_id);
  }
  for (const auto& f : fields) {
    out.push_back(',');
    AppendJsonString(out, f.key);
    out.push_back(':');
    AppendValue(out, f.value);
  }
  out.push_back('}');
  return out;
}

void Log(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  const auto now = SystemClock().Now();
  if (g_json.load(std::memory_order_relaxed)) {
    Logger().info(FormatLogLine(now, level, event, t_request_id, fields));
    return;
  }
  std::string line =
      FormatIso8601Utc(now) + " " + std::string(LevelName(level)) + " " + std::string(event);
  if (!t_request_id.empty()) {
    line += " request_id=";
    line += t_request_id;
  }
  for (const auto& f : fields) {
    line += " ";
    line += f.key;
    line += "=";
    std::string v;
    AppendValue(v, f.value);
    line += v;
  }
  Logger().info(line);
}

ScopedRequestId::ScopedRequestId(std::string request_id)
    : own_(std::move(request_id)), previous_(std::exchange(t_request_id, own_)) {}

ScopedRequestId::ScopedRequestId(Borrowed borrowed) noexcept
    : previous_(std::exchange(t_request_id, borrowed.id)) {}

ScopedRequestId::~ScopedRequestId() { t_request_id = previous_; }

std::string_view CurrentRequestId() { return t_request_id; }

}  // namespace callgate::observability
