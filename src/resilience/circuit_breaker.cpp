#include "resilience/circuit_breaker.hpp"

#include <algorithm>

#include "observability/log.hpp"

namespace callgate::resilience {
namespace {

CircuitBreakerSettings Sanitized(CircuitBreakerSettings s) {
  s.failure_threshold = std::max(1, s.failure_threshold);
  s.half_open_max_calls = std::max(1, s.half_open_max_calls);
  s.success_threshold = std::max(1, s.success_threshold);
  return s;
}

BreakerRecord Opened(BreakerRecord record, std::int64_t now_ms) {
  record.state = BreakerState::kOpen;
  record.opened_at_ms = now_ms;
  record.half_open_successes = 0;
  record.half_open_in_flight = 0;
  ++record.generation;
  return record;
}

}  // namespace

bool CountsAsFailure(ErrorCode code) noexcept {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
         code == ErrorCode::kRateLimited || code == ErrorCode::kInternal;
}

CircuitBreaker::CircuitBreaker(CircuitBreakerSettings settings, BreakerStateStore& store,
                               const Clock& clock, observability::Metrics& metrics)
    : settings_(Sanitized(settings)), store_(store), clock_(clock), metrics_(metrics) {
  metrics_.Describe("callgate_circuit_breaker_transitions_total",
                    "Circuit breaker state changes, by key and new state.");
  metrics_.Describe("callgate_circuit_breaker_rejected_total",
                    "Calls refused by an open circuit breaker, by key.");
}

void CircuitBreaker::Remember(std::string_view key) {
  std::lock_guard lock(keys_mutex_);
  if (keys_.find(key) == keys_.end()) keys_.emplace(key);
}

void CircuitBreaker::Announce(std::string_view key, State from, State to) {
  metrics_.Increment("callgate_circuit_breaker_transitions_total",
                     {{"key", std::string(key)}, {"state", std::string(BreakerStateName(to))}});
  const auto level =
      to == State::kOpen ? observability::LogLevel::kWarn : observability::LogLevel::kInfo;
  observability::Log(
      level, "circuit_breaker_state_changed",
      {{"key", key}, {"from", BreakerStateName(from)}, {"to", BreakerStateName(to)}});
}

Result<CircuitBreaker::Permit> CircuitBreaker::Acquire(std::string_view key) {
  Remember(key);
  const std::int64_t now_ms = ToUnixMillis(clock_.Now());
  bool admitted = false;
  bool trial = false;
  State from = State::kClosed;
  auto stored =
      store_.Update(key, [&](const BreakerRecord& current) -> std::optional<BreakerRecord> {
        from = current.state;
        admitted = false;
        trial = false;
        switch (current.state) {
          case State::kClosed:
            admitted = true;
            return std::nullopt;
          case State::kOpen: {
            if (now_ms < current.opened_at_ms + settings_.open_duration.count())
              return std::nullopt;
            BreakerRecord next = current;
            next.state = State::kHalfOpen;
            next.half_open_successes = 0;
            next.half_open_in_flight = 1;
            next.last_trial_at_ms = now_ms;
            ++next.generation;
            admitted = trial = true;
            return next;
          }
          case State::kHalfOpen: {
            BreakerRecord next = current;
            if (now_ms >= current.last_trial_at_ms + settings_.trial_timeout.count()) {
              next.half_open_in_flight = 0;  // earlier trials never reported: presumed lost
            }
            if (next.half_open_in_flight >= settings_.half_open_max_calls) return std::nullopt;
            ++next.half_open_in_flight;
            next.last_trial_at_ms = now_ms;
            admitted = trial = true;
            return next;
          }
        }
        return std::nullopt;
      });
  if (!stored) {
    observability::LogWarn("circuit_breaker_store_error",
                           {{"key", key}, {"message", stored.error().message}});
    return Permit{std::string(key), -1, false};
  }
  if (!admitted) {
    metrics_.Increment("callgate_circuit_breaker_rejected_total", {{"key", std::string(key)}});
    return Fail(ErrorCode::kUnavailable, "circuit open");
  }
  if (stored->state != from) Announce(key, from, stored->state);
  return Permit{std::string(key), stored->generation, trial};
}

void CircuitBreaker::Record(const Permit& permit, CallOutcome outcome) {
  if (permit.generation < 0) return;
  const std::int64_t now_ms = ToUnixMillis(clock_.Now());
  State from = State::kClosed;
  auto stored =
      store_.Update(permit.key, [&](const BreakerRecord& current) -> std::optional<BreakerRecord> {
        from = current.state;
        if (current.generation != permit.generation) return std::nullopt;  // stale report
        BreakerRecord next = current;
        switch (current.state) {
          case State::kClosed:
            if (outcome == CallOutcome::kSuccess) {
              if (current.consecutive_failures == 0) return std::nullopt;
              next.consecutive_failures = 0;
              return next;
            }
            ++next.consecutive_failures;
            if (next.consecutive_failures >= settings_.failure_threshold) {
              return Opened(next, now_ms);
            }
            return next;
          case State::kHalfOpen:
            if (!permit.trial) return std::nullopt;
            next.half_open_in_flight = std::max(0, current.half_open_in_flight - 1);
            if (outcome == CallOutcome::kFailure) return Opened(next, now_ms);
            ++next.half_open_successes;
            if (next.half_open_successes >= settings_.success_threshold) {
              next.state = State::kClosed;
              next.consecutive_failures = 0;
              next.half_open_successes = 0;
              next.half_open_in_flight = 0;
              ++next.generation;
            }
            return next;
          case State::kOpen:
            return std::nullopt;
        }
        return std::nullopt;
      });
  if (!stored) {
    observability::LogWarn("circuit_breaker_store_error",
                           {{"key", permit.key}, {"message", stored.error().message}});
    return;
  }
  if (stored->state != from) Announce(permit.key, from, stored->state);
}

CircuitBreaker::State CircuitBreaker::CurrentState(std::string_view key) {
  auto record = store_.Load(key);
  return record ? record->state : State::kClosed;
}

std::vector<CircuitBreaker::KeyState> CircuitBreaker::Snapshot() {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(keys_mutex_);
    keys.assign(keys_.begin(), keys_.end());
  }
  std::vector<KeyState> states;
  states.reserve(keys.size());
  for (auto& key : keys) {
    KeyState state;
    state.key = std::move(key);
    if (auto record = store_.Load(state.key)) {
      state.state = record->state;
      state.consecutive_failures = record->consecutive_failures;
      if (record->state != State::kClosed) state.opened_at = FromUnixMillis(record->opened_at_ms);
    }
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace callgate::resilience
