#include "ratelimit/fallback_rate_limiter.hpp"

#include "observability/log.hpp"

namespace callgate::ratelimit {

FallbackRateLimiter::FallbackRateLimiter(RateLimiter& primary, RateLimiter& fallback,
                                         const Clock& clock, observability::Metrics& metrics,
                                         FallbackRateLimiterOptions options)
    : primary_(primary),
      fallback_(fallback),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)) {
  metrics_.Describe("callgate_ratelimit_backend_switches_total",
                    "Rate limiter backend switches, by the backend switched to.");
  metrics_.Describe("callgate_ratelimit_fallback_total",
                    "Rate limit decisions answered locally because the shared backend failed.");
}

const std::string& FallbackRateLimiter::ActiveBackend() const noexcept {
  return degraded_.load() ? options_.fallback_name : options_.primary_name;
}

Result<Decision> FallbackRateLimiter::Acquire(std::string_view key, const Limit& limit) {
  return Run(limit, [&](RateLimiter& limiter) { return limiter.Acquire(key, limit); });
}

Result<Decision> FallbackRateLimiter::Peek(std::string_view key, const Limit& limit) {
  return Run(limit, [&](RateLimiter& limiter) { return limiter.Peek(key, limit); });
}

template <typename Call>
Result<Decision> FallbackRateLimiter::Run(const Limit& limit, Call call) {
  if (!limit.IsValid()) return Fail(ErrorCode::kInvalidArgument, "rate limit must be positive");
  bool try_primary = true;
  if (degraded_.load()) {
    std::lock_guard lock(mutex_);
    try_primary = clock_.Steady() >= retry_at_;
  }
  if (try_primary) {
    auto decision = call(primary_);
    if (decision) {
      if (degraded_.load()) MarkRestored();
      return decision;
    }
    MarkDegraded(decision.error());
  }
  metrics_.Increment("callgate_ratelimit_fallback_total");
  return call(fallback_);
}

void FallbackRateLimiter::MarkDegraded(const Error& error) {
  bool switched = false;
  {
    std::lock_guard lock(mutex_);
    retry_at_ = clock_.Steady() + options_.retry_interval;
    switched = !degraded_.exchange(true);
  }
  if (!switched) return;
  metrics_.Increment("callgate_ratelimit_backend_switches_total",
                     {{"backend", options_.fallback_name}});
  observability::LogWarn("ratelimit_backend_degraded",
                         {{"from", options_.primary_name},
                          {"to", options_.fallback_name},
                          {"error", std::string(ErrorCodeName(error.code))},
                          {"message", error.message}});
}

void FallbackRateLimiter::MarkRestored() {
  if (!degraded_.exchange(false)) return;
  metrics_.Increment("callgate_ratelimit_backend_switches_total",
                     {{"backend", options_.primary_name}});
  observability::LogInfo("ratelimit_backend_restored",
                         {{"from", options_.fallback_name}, {"to", options_.primary_name}});
}

}  // namespace callgate::ratelimit
