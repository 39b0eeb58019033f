#include "ratelimit/redis_rate_limiter.hpp"

namespace callgate::ratelimit {
namespace {

// Mirrors ComputeGcra. Numbers are Lua doubles: microseconds since the epoch (~1.8e15) are
// exact below 2^53; they are written with %.0f because tostring() would round them.
// KEYS[1] key; ARGV: now_us ("" = Redis TIME), interval_us, tolerance_us, consume (1/0).
// Returns {allowed (1/0), remaining, retry_after_us}.
const redis::Script kGcraScript(R"lua(
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if not tat or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now}
end
if ARGV[4] == '1' then
  local ttl_ms = math.ceil((new_tat - now) / 1000)
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
end
return {1, math.floor((now - allow_at) / interval), 0}
)lua");

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::ClientPool& pool, const Clock& clock,
                                   RedisRateLimiterOptions options)
    : pool_(pool), clock_(clock), options_(std::move(options)) {}

Result<Decision> RedisRateLimiter::Acquire(std::string_view key, const Limit& limit) {
  return Step(key, limit, /*consume=*/true);
}

Result<Decision> RedisRateLimiter::Peek(std::string_view key, const Limit& limit) {
  return Step(key, limit, /*consume=*/false);
}

Result<Decision> RedisRateLimiter::Step(std::string_view key, const Limit& limit, bool consume) {
  if (!limit.IsValid()) return Fail(ErrorCode::kInvalidArgument, "rate limit must be positive");
  const std::string now_us =
      options_.use_server_time ? std::string() : std::to_string(ToUnixMillis(clock_.Now()) * 1000);
  auto reply = pool_.Eval(kGcraScript, {options_.key_prefix + std::string(key)},
                          {now_us, std::to_string(EmissionIntervalMicros(limit)),
                           std::to_string(BurstToleranceMicros(limit)), consume ? "1" : "0"});
  if (!reply) return tl::unexpected(reply.error());
  if (!reply->IsArray() || reply->array().size() != 3) {
    return Fail(ErrorCode::kInternal, "rate limit script answered " + reply->DebugString());
  }
  const auto& values = reply->array();
  auto allowed = values[0].ToInteger();
  auto remaining = values[1].ToInteger();
  auto retry_us = values[2].ToInteger();
  if (!allowed || !remaining || !retry_us) {
    return Fail(ErrorCode::kInternal, "rate limit script answered " + reply->DebugString());
  }
  Decision decision;
  decision.allowed = *allowed == 1;
  decision.remaining = *remaining;
  decision.retry_after =
      decision.allowed
          ? std::chrono::milliseconds(0)
          : std::chrono::milliseconds(std::max<std::int64_t>(1, (*retry_us + 999) / 1000));
  return decision;
}

}  // namespace callgate::ratelimit
