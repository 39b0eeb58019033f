#pragma once
// FallbackRateLimiter: asks the shared limiter (Redis) and, when it fails, answers from a local
// one instead, so a Redis outage never fails or blocks requests; limits then hold per instance.
// After a failure Redis is left alone for `retry_interval` (no per-request connect attempts),
// then tried again; the first success switches back.
//
// Observability: one log line per switch ("ratelimit_backend_degraded" warn with the error,
// "ratelimit_backend_restored" info) and the counters
//   callgate_ratelimit_backend_switches_total{backend}  switches to `backend` (redis | local)
//   callgate_ratelimit_fallback_total                    decisions answered by the local limiter
//                                                        because the shared one failed or rests

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace callgate::ratelimit {

struct FallbackRateLimiterOptions {
  // How long to answer locally after the shared limiter failed before trying it again.
  std::chrono::milliseconds retry_interval{1000};
  // Backend names for logs and the `backend` label.
  std::string primary_name = "redis";
  std::string fallback_name = "local";
};

class FallbackRateLimiter final : public RateLimiter {
 public:
  // Every reference must outlive this object. `fallback` should not fail (LocalRateLimiter).
  FallbackRateLimiter(RateLimiter& primary, RateLimiter& fallback, const Clock& clock,
                      observability::Metrics& metrics, FallbackRateLimiterOptions options = {});

  // Fails only with kInvalidArgument for an invalid limit (or when the fallback itself fails).
  // Thread-safe.
  Result<Decision> Acquire(std::string_view key, const Limit& limit) override;
  Result<Decision> Peek(std::string_view key, const Limit& limit) override;

  // True while answering from the fallback (for diagnostics). Thread-safe.
  bool Degraded() const noexcept { return degraded_.load(); }
  // The name of the backend answering now. Thread-safe.
  const std::string& ActiveBackend() const noexcept;

 private:
  template <typename Call>
  Result<Decision> Run(const Limit& limit, Call call);
  void MarkDegraded(const Error& error);
  void MarkRestored();

  RateLimiter& primary_;
  RateLimiter& fallback_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  const FallbackRateLimiterOptions options_;
  std::atomic<bool> degraded_{false};
  std::mutex mutex_;
  SteadyTimePoint retry_at_{};  // guarded by mutex_
};

}  // namespace callgate::ratelimit
