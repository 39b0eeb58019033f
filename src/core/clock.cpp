#include "core/clock.hpp"

namespace callgate {

SystemTimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

SteadyTimePoint SystemClock::Steady() const { return std::chrono::steady_clock::now(); }

}  // namespace callgate
