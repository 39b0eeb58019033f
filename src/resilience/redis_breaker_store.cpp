#include "resilience/redis_breaker_store.hpp"

#include "observability/log.hpp"

namespace callgate::resilience {
namespace {

// KEYS[1] record; ARGV: expected text ("" = absent), new text, ttl ms. 1 = stored, 0 = raced.
const redis::Script kCompareAndSet(R"lua(
local current = redis.call('GET', KEYS[1])
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
)lua");

bool IsBackendFailure(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout ||
         error.code == ErrorCode::kInternal;
}

}  // namespace

RedisBreakerStore::RedisBreakerStore(redis::ClientPool& pool, const Clock& clock,
                                     observability::Metrics& metrics,
                                     RedisBreakerStoreOptions options)
    : pool_(pool), clock_(clock), metrics_(metrics), options_(std::move(options)) {
  metrics_.Describe("callgate_circuit_breaker_store_switches_total",
                    "Circuit breaker state store switches, by the backend switched to.");
  metrics_.Describe("callgate_circuit_breaker_store_fallback_total",
                    "Circuit breaker state operations answered in memory because Redis failed.");
}

bool RedisBreakerStore::UseRedis() {
  if (!degraded_.load()) return true;
  std::lock_guard lock(mutex_);
  return clock_.Steady() >= retry_at_;
}

void RedisBreakerStore::MarkDegraded(const Error& error) {
  bool switched = false;
  {
    std::lock_guard lock(mutex_);
    retry_at_ = clock_.Steady() + options_.retry_interval;
    switched = !degraded_.exchange(true);
  }
  if (!switched) return;
  metrics_.Increment("callgate_circuit_breaker_store_switches_total", {{"backend", "local"}});
  observability::LogWarn(
      "breaker_store_degraded",
      {{"error", std::string(ErrorCodeName(error.code))}, {"message", error.message}});
}

void RedisBreakerStore::MarkRestored() {
  if (!degraded_.exchange(false)) return;
  metrics_.Increment("callgate_circuit_breaker_store_switches_total", {{"backend", "redis"}});
  observability::LogInfo("breaker_store_restored");
}

Result<std::optional<std::string>> RedisBreakerStore::Get(const std::string& key) {
  auto reply = pool_.Command({"GET", key});
  if (!reply) return tl::unexpected(reply.error());
  if (reply->IsNil()) return std::optional<std::string>();
  if (!reply->IsString()) {
    return Fail(ErrorCode::kInternal, "breaker record is " + reply->DebugString());
  }
  return std::optional<std::string>(reply->string());
}

Result<BreakerRecord> RedisBreakerStore::Load(std::string_view key) {
  if (UseRedis()) {
    auto text = Get(options_.key_prefix + std::string(key));
    if (text) {
      MarkRestored();
      if (!*text) return BreakerRecord{};
      auto record = ParseBreakerRecord(**text);
      return record ? *record : BreakerRecord{};  // unreadable (older version): start afresh
    }
    if (!IsBackendFailure(text.error())) return tl::unexpected(text.error());
    MarkDegraded(text.error());
  }
  metrics_.Increment("callgate_circuit_breaker_store_fallback_total");
  return local_.Load(key);
}

Result<BreakerRecord> RedisBreakerStore::Update(std::string_view key, const BreakerUpdate& update) {
  if (UseRedis()) {
    const std::string redis_key = options_.key_prefix + std::string(key);
    const std::string ttl = std::to_string(options_.record_ttl.count());
    std::optional<Error> failure;
    for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
      auto text = Get(redis_key);
      if (!text) {
        failure = text.error();
        break;
      }
      BreakerRecord current;
      if (*text) {
        if (auto parsed = ParseBreakerRecord(**text)) current = *parsed;
      }
      auto next = update(current);
      if (!next) {
        MarkRestored();
        return current;
      }
      auto stored = pool_.Eval(kCompareAndSet, {redis_key},
                               {text->value_or(""), SerializeBreakerRecord(*next), ttl});
      if (!stored) {
        failure = stored.error();
        break;
      }
      MarkRestored();
      if (stored->IsInteger() && stored->integer() == 1) return *next;
    }
    if (!failure) {
      return Fail(ErrorCode::kUnavailable, "breaker state: too much contention on one key");
    }
    if (!IsBackendFailure(*failure)) return tl::unexpected(*failure);
    MarkDegraded(*failure);
  }
  metrics_.Increment("callgate_circuit_breaker_store_fallback_total");
  return local_.Update(key, update);
}

}  // namespace callgate::resilience
