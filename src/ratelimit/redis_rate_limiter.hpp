#pragma once
// RedisRateLimiter: GCRA limits shared by every callgate instance on one Redis. Each decision
// is one atomic Lua script (EVALSHA) on one key holding the theoretical arrival time in
// microseconds, with a TTL equal to the time until the key is back to a full allowance.
//
// Time: by default "now" comes from the Clock passed in (wall time; instances must be
// NTP-synchronised, and tests stay deterministic with a FakeClock). With use_server_time the
// script reads Redis' TIME instead, so instance clocks do not matter.

#include <string>

#include "core/clock.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "redis/client_pool.hpp"

namespace callgate::ratelimit {

struct RedisRateLimiterOptions {
  // Prepended to every key (keeps limits apart from other data and other deployments).
  std::string key_prefix = "callgate:rl:";
  // Use Redis' clock (TIME inside the script) instead of the Clock.
  bool use_server_time = false;
};

class RedisRateLimiter final : public RateLimiter {
 public:
  // `pool` and `clock` must outlive the limiter.
  RedisRateLimiter(redis::ClientPool& pool, const Clock& clock,
                   RedisRateLimiterOptions options = {});

  // Failure modes: kInvalidArgument (bad limit), and the pool's kUnavailable / kTimeout /
  // kInternal when Redis is down, slow or answers nonsense (wrap in FallbackRateLimiter to
  // degrade to local limits instead). Thread-safe.
  Result<Decision> Acquire(std::string_view key, const Limit& limit) override;
  Result<Decision> Peek(std::string_view key, const Limit& limit) override;

 private:
  Result<Decision> Step(std::string_view key, const Limit& limit, bool consume);

  redis::ClientPool& pool_;
  const Clock& clock_;
  const RedisRateLimiterOptions options_;
};

}  // namespace callgate::ratelimit
