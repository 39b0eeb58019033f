#pragma once
// CircuitBreaker: stops calling a dependency that keeps failing (SPEC §3), per key (for Cal.com:
// per API key hash).
//
//   closed ──N consecutive failures──▶ open ──open_duration elapsed──▶ half_open
//   half_open ──success_threshold successes──▶ closed;   half_open ──any failure──▶ open
//
// Closed admits every call. Open refuses every call (kUnavailable "circuit open") until
// open_duration has passed since it opened. Half-open admits at most half_open_max_calls trial
// calls at a time; a trial not reported within trial_timeout is presumed lost (process died) and
// its place is freed. Only failures of the dependency count (see CountsAsFailure); answers such
// as "slot taken" or "not found" prove it healthy and count as successes. Reports that belong to
// an earlier state (generation) are ignored.
//
// State lives in a BreakerStateStore (in-process, or Redis so all instances agree). Time is the
// Clock's wall time (shared records must mean the same on every instance). If the store fails,
// calls are admitted (a breaker must never cause the outage it guards against).
//
// Observability: every state change is logged ("circuit_breaker_state_changed" with key, from,
// to) by the instance that made it and counted in
//   callgate_circuit_breaker_transitions_total{key,state}   state = the new state
//   callgate_circuit_breaker_rejected_total{key}            calls refused while open / half-open
// and Snapshot() reads the current state of every key this instance has used.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "resilience/breaker_state_store.hpp"

namespace callgate::resilience {

struct CircuitBreakerSettings {
  int failure_threshold = 5;                        // consecutive failures that open it (≥ 1)
  std::chrono::milliseconds open_duration{60'000};  // open → half-open after this
  int half_open_max_calls = 1;                      // trial calls in flight at once (≥ 1)
  int success_threshold = 3;                        // trial successes that close it (≥ 1)
  std::chrono::milliseconds trial_timeout{30'000};  // an unreported trial is presumed lost
};

// True for the codes that mean the dependency failed: kUnavailable, kTimeout, kRateLimited
// (its 429), kInternal (an answer we could not understand). Everything else is an answer.
bool CountsAsFailure(ErrorCode code) noexcept;

enum class CallOutcome { kSuccess, kFailure };

class CircuitBreaker {
 public:
  using State = BreakerState;

  // Permission for one call; report its outcome with Record().
  struct Permit {
    std::string key;
    std::int64_t generation = -1;  // -1: admitted without a record (store failure)
    bool trial = false;            // a half-open trial call
  };

  // A key's state for diagnostics and metrics.
  struct KeyState {
    std::string key;
    State state = State::kClosed;
    int consecutive_failures = 0;
    std::optional<SystemTimePoint> opened_at;  // when open or half-open
  };

  // Every reference must outlive the breaker. Settings below 1 are raised to 1.
  CircuitBreaker(CircuitBreakerSettings settings, BreakerStateStore& store, const Clock& clock,
                 observability::Metrics& metrics);

  // Admits a call for `key`, or fails with kUnavailable "circuit open" (without calling
  // anything). Thread-safe.
  Result<Permit> Acquire(std::string_view key);

  // Reports how an admitted call went. Thread-safe.
  void Record(const Permit& permit, CallOutcome outcome);

  // Record() with the outcome read from a call's result (CountsAsFailure on its error).
  template <typename T>
  void RecordResult(const Permit& permit, const Result<T>& result) {
    Record(permit, !result && CountsAsFailure(result.error().code) ? CallOutcome::kFailure
                                                                   : CallOutcome::kSuccess);
  }

  // The stored state of `key` (kClosed when the store fails). Does not change it: an open
  // breaker whose time is up still reads kOpen until the next call half-opens it. Thread-safe.
  State CurrentState(std::string_view key);

  // Current state of every key this instance has used, sorted by key. Thread-safe.
  std::vector<KeyState> Snapshot();

  const CircuitBreakerSettings& settings() const noexcept { return settings_; }

 private:
  void Remember(std::string_view key);
  void Announce(std::string_view key, State from, State to);

  const CircuitBreakerSettings settings_;
  BreakerStateStore& store_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  std::mutex keys_mutex_;
  std::set<std::string, std::less<>> keys_;  // guarded by keys_mutex_
};

}  // namespace callgate::resilience
