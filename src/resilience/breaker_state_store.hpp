#pragma once
// Where circuit breakers keep their state. BreakerStateStore is the port; InProcessBreakerStore
// serves one process, RedisBreakerStore (redis_breaker_store.hpp) lets every instance on one
// Redis see the same breaker. The breaker's rules live in CircuitBreaker; a store only applies a
// pure update function atomically to one key's record.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace callgate::resilience {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open".
std::string_view BreakerStateName(BreakerState state) noexcept;

// The shared state of one breaker key. Times are wall-clock Unix milliseconds, so records mean
// the same on every instance.
struct BreakerRecord {
  BreakerState state = BreakerState::kClosed;
  int consecutive_failures = 0;       // while closed (kept when opening, for diagnostics)
  int half_open_successes = 0;        // trial calls that succeeded since half-opening
  int half_open_in_flight = 0;        // trial calls admitted and not yet reported
  std::int64_t opened_at_ms = 0;      // when it last opened
  std::int64_t last_trial_at_ms = 0;  // when the last trial call was admitted
  std::int64_t generation = 0;        // +1 on every state change; stale reports are ignored

  friend bool operator==(const BreakerRecord&, const BreakerRecord&) = default;
};

// Compact text form for storage ("v1|state|failures|...").
std::string SerializeBreakerRecord(const BreakerRecord& record);
// kInternal for text that SerializeBreakerRecord did not produce.
Result<BreakerRecord> ParseBreakerRecord(std::string_view text);

// Returns the new record, or nullopt to leave it unchanged. Must be pure: a store may call it
// more than once (optimistic retries); only the last call's result is committed.
using BreakerUpdate = std::function<std::optional<BreakerRecord>(const BreakerRecord&)>;

class BreakerStateStore {
 public:
  virtual ~BreakerStateStore() = default;

  // Atomically applies `update` to `key`'s record (a default BreakerRecord when none is
  // stored) and returns the record now stored. Failures depend on the adapter (the Redis one
  // falls back to memory and does not fail). Thread-safe.
  virtual Result<BreakerRecord> Update(std::string_view key, const BreakerUpdate& update) = 0;

  // The record of `key` (default when none). Thread-safe.
  virtual Result<BreakerRecord> Load(std::string_view key) = 0;
};

// Records in this process's memory, one mutex. Never fails.
class InProcessBreakerStore final : public BreakerStateStore {
 public:
  Result<BreakerRecord> Update(std::string_view key, const BreakerUpdate& update) override;
  Result<BreakerRecord> Load(std::string_view key) override;

 private:
  std::mutex mutex_;
  std::map<std::string, BreakerRecord, std::less<>> records_;  // guarded by mutex_
};

}  // namespace callgate::resilience
