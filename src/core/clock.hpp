#pragma once
// Clock: the only source of "now" for anything time-based (signature windows, rate limits,
// breaker, cache TTLs, job backoff), so tests control time instead of sleeping.

#include <chrono>

namespace callgate {

using SystemTimePoint =
    std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
using SteadyTimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), millisecond resolution. Thread-safe.
  virtual SystemTimePoint Now() const = 0;
  // Monotonic time for measuring intervals. Thread-safe.
  virtual SteadyTimePoint Steady() const = 0;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  SystemTimePoint Now() const override;
  SteadyTimePoint Steady() const override;
};

// Milliseconds since the Unix epoch.
inline long long ToUnixMillis(SystemTimePoint t) { return t.time_since_epoch().count(); }
inline SystemTimePoint FromUnixMillis(long long ms) {
  return SystemTimePoint(std::chrono::milliseconds(ms));
}

}  // namespace callgate
