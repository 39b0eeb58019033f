#pragma once
// RedisBreakerStore: circuit-breaker records in Redis, so every callgate instance sees the same
// breaker (one instance's failures open it for all). Updates are optimistic: GET, apply the
// pure update, then an atomic compare-and-set Lua script; a lost race re-reads and retries.
//
// When Redis fails (down, slow, nonsense) the store answers from an in-process store for
// `retry_interval`, then tries Redis again: breakers keep working per instance and never fail a
// call because of Redis. One log line per switch ("breaker_store_degraded" /
// "breaker_store_restored") and the counters
//   callgate_circuit_breaker_store_switches_total{backend}   backend = redis | local
//   callgate_circuit_breaker_store_fallback_total            operations answered locally

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "observability/metrics.hpp"
#include "redis/client_pool.hpp"
#include "resilience/breaker_state_store.hpp"

namespace callgate::resilience {

struct RedisBreakerStoreOptions {
  std::string key_prefix = "callgate:cb:";
  // Records untouched this long disappear (a closed, healthy breaker needs no record).
  std::chrono::milliseconds record_ttl{std::chrono::hours(24)};
  // Compare-and-set attempts per update before giving up with kUnavailable.
  int max_attempts = 8;
  // How long to stay on the in-process store after a Redis failure.
  std::chrono::milliseconds retry_interval{1000};
};

class RedisBreakerStore final : public BreakerStateStore {
 public:
  // Every reference must outlive the store.
  RedisBreakerStore(redis::ClientPool& pool, const Clock& clock, observability::Metrics& metrics,
                    RedisBreakerStoreOptions options = {});

  // Fails only with kUnavailable when max_attempts compare-and-set races were all lost.
  Result<BreakerRecord> Update(std::string_view key, const BreakerUpdate& update) override;
  Result<BreakerRecord> Load(std::string_view key) override;

  // True while answering from memory because Redis failed. Thread-safe.
  bool Degraded() const noexcept { return degraded_.load(); }

 private:
  bool UseRedis();
  void MarkDegraded(const Error& error);
  void MarkRestored();
  Result<std::optional<std::string>> Get(const std::string& key);

  redis::ClientPool& pool_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  const RedisBreakerStoreOptions options_;
  InProcessBreakerStore local_;
  std::atomic<bool> degraded_{false};
  std::mutex mutex_;
  SteadyTimePoint retry_at_{};  // guarded by mutex_
};

}  // namespace callgate::resilience
