#pragma once
// FakeClock: a Clock that moves only when a test says so. Wall and steady time advance
// together. Thread-safe.

#include <atomic>

#include "core/clock.hpp"

namespace callgate::testing {

class FakeClock final : public Clock {
 public:
  // Starts at the given wall time (default 2026-11-26T09:00:00Z).
  explicit FakeClock(SystemTimePoint start = FromUnixMillis(1795683600000LL))
      : wall_ms_(ToUnixMillis(start)) {}

  SystemTimePoint Now() const override { return FromUnixMillis(wall_ms_.load()); }
  SteadyTimePoint Steady() const override {
    return SteadyTimePoint(std::chrono::milliseconds(steady_ms_.load()));
  }

  void Advance(std::chrono::milliseconds d) {
    wall_ms_ += d.count();
    steady_ms_ += d.count();
  }
  void SetNow(SystemTimePoint t) { wall_ms_ = ToUnixMillis(t); }

 private:
  std::atomic<long long> wall_ms_;
  std::atomic<long long> steady_ms_{1'000'000};
};

}  // namespace callgate::testing
