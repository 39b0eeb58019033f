#include "ratelimit/rate_limiter.hpp"

#include <algorithm>

namespace callgate::ratelimit {

std::int64_t EmissionIntervalMicros(const Limit& limit) noexcept {
  const std::int64_t period_us =
      std::chrono::duration_cast<std::chrono::microseconds>(limit.period).count();
  // Rounding up keeps the long-run rate at or below count per period; the burst is honoured
  // exactly anyway because the tolerance is a multiple of the interval.
  return std::max<std::int64_t>(1, (period_us + limit.count - 1) / limit.count);
}

std::int64_t BurstToleranceMicros(const Limit& limit) noexcept {
  return limit.EffectiveBurst() * EmissionIntervalMicros(limit);
}

GcraStep ComputeGcra(std::optional<std::int64_t> tat_us, std::int64_t now_us, const Limit& limit,
                     bool consume) noexcept {
  GcraStep step;
  const std::int64_t interval = EmissionIntervalMicros(limit);
  const std::int64_t tat = std::max(tat_us.value_or(now_us), now_us);
  const std::int64_t new_tat = tat + interval;
  const std::int64_t allow_at = new_tat - BurstToleranceMicros(limit);
  if (now_us < allow_at) {
    const std::int64_t wait_us = allow_at - now_us;
    step.decision.allowed = false;
    step.decision.remaining = 0;
    step.decision.retry_after = std::chrono::milliseconds((wait_us + 999) / 1000);
    return step;
  }
  step.decision.allowed = true;
  step.decision.remaining = (now_us - allow_at) / interval;
  if (consume) {
    step.store = true;
    step.new_tat_us = new_tat;
    step.ttl_us = new_tat - now_us;
  }
  return step;
}

}  // namespace callgate::ratelimit
