#pragma once
// RedisSlotCacheStore: the slot cache's entries in Redis, so every callgate instance shares one
// cache and an invalidation on one instance (a booking, a Cal.com webhook) clears it for all.
//
//   <prefix>e:<cache key>       entry: "1|<expires ms>|<start ms>+<duration ms>,<Δstart ms>+…"
//                               (starts are deltas from the previous start; SET … PX ttl)
//   <prefix>et:<event type id>  index: a set of the event type's entry keys (expires with the
//                               longest-lived entry it lists), so EraseEventType deletes them all
//
// Put and EraseEventType are single Lua scripts (atomic). The entry also carries its absolute
// expiry, so Get honours the caller's clock like the in-process store does.
//
// Redis never fails a request: when it is down, slow or answers nonsense, Get is a miss and
// Put / EraseEventType do nothing (entries then expire by their TTL). One log line per switch
// ("slot_cache_store_degraded" / "slot_cache_store_restored") and the counter
//   callgate_calcom_slot_cache_store_errors_total{operation}   operation = get | put | erase

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calcom/slot_cache.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "redis/client_pool.hpp"

namespace callgate::calcom {

struct RedisSlotCacheStoreOptions {
  // Prepended to every key; tests use a unique prefix per test.
  std::string key_prefix = "callgate:slots:";
};

// A SlotCacheStore backed by a shared Redis. Thread-safe; `pool` and `metrics` must outlive it.
class RedisSlotCacheStore final : public SlotCacheStore {
 public:
  RedisSlotCacheStore(redis::ClientPool& pool, observability::Metrics& metrics,
                      RedisSlotCacheStoreOptions options = {});

  // The entry's slots, or nullopt when absent, expired at `now`, unreadable or Redis failed.
  std::optional<std::vector<booking::Slot>> Get(std::string_view key, SystemTimePoint now) override;

  // Stores the entry with PX ttl and lists it in the event type's index; a no-op when ttl <= 0
  // or Redis fails.
  void Put(std::string_view key, std::int64_t event_type_id,
           const std::vector<booking::Slot>& slots, SystemTimePoint now,
           std::chrono::milliseconds ttl) override;

  // Deletes every entry listed in the event type's index and the index itself. Returns the
  // number of entries deleted (0 when Redis failed).
  std::size_t EraseEventType(std::int64_t event_type_id) override;

  // True after a Redis failure until the next successful operation. Thread-safe.
  bool Degraded() const noexcept { return degraded_.load(); }

 private:
  std::string EntryKey(std::string_view key) const;
  std::string IndexKey(std::int64_t event_type_id) const;
  void MarkFailed(std::string_view operation, const Error& error);
  void MarkHealthy();

  redis::ClientPool& pool_;
  observability::Metrics& metrics_;
  const RedisSlotCacheStoreOptions options_;
  std::atomic<bool> degraded_{false};
};

// The entry format above (exposed for tests): EncodeSlotEntry / DecodeSlotEntry round-trip;
// DecodeSlotEntry returns nullopt for anything it cannot read.
std::string EncodeSlotEntry(const std::vector<booking::Slot>& slots, SystemTimePoint expires_at);
struct DecodedSlotEntry {
  SystemTimePoint expires_at;
  std::vector<booking::Slot> slots;
};
std::optional<DecodedSlotEntry> DecodeSlotEntry(std::string_view text);

}  // namespace callgate::calcom
