#pragma once
// RateLimiter: the port for request rate limits (SPEC §4) and outbound budgets (SPEC §3).
// Adapters: LocalRateLimiter (one process), RedisRateLimiter (shared by every instance on one
// Redis) and FallbackRateLimiter (Redis, degrading to local limits when Redis fails).
//
// Algorithm: GCRA (generic cell rate algorithm: a token bucket stored as one timestamp). A
// Limit{count, period, burst} refills one request every period / count (rounded up to whole
// microseconds, so the rate never exceeds count per period) into a bucket holding `burst`
// requests (default: count). So 10/minute admits 10 at once and then one every 6 s; after a
// whole idle period the full burst is back. In any window of one period at most
// burst + count - 1 requests pass; where a hard "N per window" is required (the Cal.com budget),
// choose count = N - burst + 1. Keys are opaque strings chosen by the caller (e.g.
// "retell_function:company:42:book-appointment"); use one key with one Limit only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.hpp"

namespace callgate::ratelimit {

// `count` requests per `period`, at most `burst` back to back (0 = count). Valid when count and
// period are positive and burst is not negative.
struct Limit {
  std::int64_t count = 0;
  std::chrono::milliseconds period{60'000};
  std::int64_t burst = 0;

  bool IsValid() const noexcept { return count > 0 && period.count() > 0 && burst >= 0; }
  std::int64_t EffectiveBurst() const noexcept { return burst > 0 ? burst : count; }
  friend bool operator==(const Limit&, const Limit&) = default;
};

// The answer for one request.
struct Decision {
  bool allowed = false;
  // Requests still admitted right now after this one (0 when denied).
  std::int64_t remaining = 0;
  // When denied: how long until one more request would be admitted (≥ 1 ms). 0 when allowed.
  std::chrono::milliseconds retry_after{0};
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Takes one request from `key`'s allowance when available. A denied request consumes
  // nothing. kInvalidArgument for an invalid limit; backend failures (kUnavailable, kTimeout,
  // kInternal) for the Redis adapter only. Thread-safe.
  virtual Result<Decision> Acquire(std::string_view key, const Limit& limit) = 0;

  // Whether one more request would be admitted now, consuming nothing (e.g. to refuse a client
  // whose failed authentications are over the limit before even checking its credentials).
  // Same failure modes as Acquire. Thread-safe.
  virtual Result<Decision> Peek(std::string_view key, const Limit& limit) = 0;
};

// One GCRA step, shared by the adapters (the Redis Lua script mirrors it). Times in
// microseconds on any monotonic-enough axis. `tat_us` is the stored theoretical arrival time
// (nullopt when the key has no state). When `consume` and allowed, `new_tat_us` is the value
// to store and `ttl_us` how long to keep it; otherwise nothing must be stored. Pure function.
struct GcraStep {
  Decision decision;
  std::int64_t new_tat_us = 0;
  std::int64_t ttl_us = 0;
  bool store = false;
};
GcraStep ComputeGcra(std::optional<std::int64_t> tat_us, std::int64_t now_us, const Limit& limit,
                     bool consume) noexcept;

// period / count in microseconds, rounded up. Requires limit.IsValid().
std::int64_t EmissionIntervalMicros(const Limit& limit) noexcept;
// How far the theoretical arrival time may run ahead of now: burst × interval (microseconds).
std::int64_t BurstToleranceMicros(const Limit& limit) noexcept;

}  // namespace callgate::ratelimit
