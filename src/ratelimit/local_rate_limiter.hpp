#pragma once
// LocalRateLimiter: GCRA limits held in this process (the embedded default, and the fallback
// when Redis is down). Keys live in a fixed number of mutex-guarded shards; an entry expires as
// soon as its key is back to a full allowance and is swept lazily, so memory follows the number
// of keys active within one period.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace callgate::ratelimit {

struct LocalRateLimiterOptions {
  std::size_t shards = 16;  // ≥ 1; more shards = less lock contention
  // Per shard. When a shard is full even after dropping expired entries, the entry closest to
  // expiry is evicted (that key briefly gets a fresh allowance): memory stays bounded under a
  // flood of distinct keys (e.g. spoofed client addresses).
  std::size_t max_keys_per_shard = 65'536;
};

class LocalRateLimiter final : public RateLimiter {
 public:
  // Uses clock.Steady(). `clock` must outlive the limiter.
  explicit LocalRateLimiter(const Clock& clock, LocalRateLimiterOptions options = {});
  ~LocalRateLimiter() override;

  // Never fails except kInvalidArgument for an invalid limit. Thread-safe.
  Result<Decision> Acquire(std::string_view key, const Limit& limit) override;
  Result<Decision> Peek(std::string_view key, const Limit& limit) override;

  // Entries currently held, including expired ones not yet swept. Thread-safe.
  std::size_t Size() const;

  // Drops every expired entry now (otherwise done lazily). Thread-safe.
  void Sweep();

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> tat_us;  // key → theoretical arrival time
    std::uint64_t operations = 0;
  };

  Result<Decision> Step(std::string_view key, const Limit& limit, bool consume);
  Shard& ShardFor(std::string_view key);
  std::int64_t NowMicros() const;
  static void SweepLocked(Shard& shard, std::int64_t now_us);

  const Clock& clock_;
  const LocalRateLimiterOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace callgate::ratelimit
