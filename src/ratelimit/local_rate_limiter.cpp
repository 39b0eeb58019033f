#include "ratelimit/local_rate_limiter.hpp"

#include <algorithm>
#include <functional>

namespace callgate::ratelimit {
namespace {

// Sweep a shard every this many operations, so idle keys do not pile up between floods.
constexpr std::uint64_t kSweepEvery = 1024;

}  // namespace

LocalRateLimiter::LocalRateLimiter(const Clock& clock, LocalRateLimiterOptions options)
    : clock_(clock), options_(options) {
  const std::size_t count = std::max<std::size_t>(1, options_.shards);
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<Shard>());
}

LocalRateLimiter::~LocalRateLimiter() = default;

std::int64_t LocalRateLimiter::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock_.Steady().time_since_epoch())
      .count();
}

LocalRateLimiter::Shard& LocalRateLimiter::ShardFor(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

void LocalRateLimiter::SweepLocked(Shard& shard, std::int64_t now_us) {
  std::erase_if(shard.tat_us, [now_us](const auto& entry) { return entry.second <= now_us; });
}

Result<Decision> LocalRateLimiter::Acquire(std::string_view key, const Limit& limit) {
  return Step(key, limit, /*consume=*/true);
}

Result<Decision> LocalRateLimiter::Peek(std::string_view key, const Limit& limit) {
  return Step(key, limit, /*consume=*/false);
}

Result<Decision> LocalRateLimiter::Step(std::string_view key, const Limit& limit, bool consume) {
  if (!limit.IsValid()) return Fail(ErrorCode::kInvalidArgument, "rate limit must be positive");
  const std::int64_t now_us = NowMicros();
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  if (++shard.operations % kSweepEvery == 0) SweepLocked(shard, now_us);

  // Heterogeneous lookup needs C++20 transparent hashing; a temporary string is cheap here.
  std::string owned(key);
  auto it = shard.tat_us.find(owned);
  std::optional<std::int64_t> tat;
  if (it != shard.tat_us.end() && it->second > now_us) tat = it->second;
  GcraStep step = ComputeGcra(tat, now_us, limit, consume);
  if (!step.store) return step.decision;
  if (it != shard.tat_us.end()) {
    it->second = step.new_tat_us;
    return step.decision;
  }
  if (shard.tat_us.size() >= options_.max_keys_per_shard) {
    SweepLocked(shard, now_us);
    if (!shard.tat_us.empty() && shard.tat_us.size() >= options_.max_keys_per_shard) {
      auto oldest =
          std::min_element(shard.tat_us.begin(), shard.tat_us.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      shard.tat_us.erase(oldest);
    }
  }
  shard.tat_us.emplace(std::move(owned), step.new_tat_us);
  return step.decision;
}

std::size_t LocalRateLimiter::Size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->tat_us.size();
  }
  return total;
}

void LocalRateLimiter::Sweep() {
  const std::int64_t now_us = NowMicros();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    SweepLocked(*shard, now_us);
  }
}

}  // namespace callgate::ratelimit
