#pragma once
// Slot cache: a CalendarProvider decorator that caches availability answers (SPEC §3).
//
//   CachingCalendarProvider ──▶ (circuit breaker) ──▶ CalcomClient
//
// Keys are (base URL, SHA-256 of the API key — never the key itself —, event type, from, to,
// time zone, duration). Non-empty answers live 300 s, empty ones 60 s. Concurrent misses of one
// key make a single upstream request (single flight). Any booking change of an event type —
// ours through this decorator, or announced by a Cal.com webhook via InvalidateEventType() —
// drops its entries at once, and an upstream answer that was in flight during the invalidation
// is handed to its waiters but not stored. Only live answers are stored (never fallback ones).
//
// Metrics: callgate_calcom_slot_cache_total{outcome} with outcome ∈ hit, miss, coalesced
// (a miss that waited for another thread's request), invalidated.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "core/clock.hpp"
#include "observability/metrics.hpp"

namespace callgate::calcom {

// Where cached answers live. The in-process store is below; a Redis-backed one can implement
// the same three calls. Implementations must be thread-safe.
class SlotCacheStore {
 public:
  virtual ~SlotCacheStore() = default;

  // The slots stored under `key`, or nullopt when absent or expired at `now`.
  virtual std::optional<std::vector<booking::Slot>> Get(std::string_view key,
                                                        SystemTimePoint now) = 0;

  // Stores `slots` under `key` (replacing any entry) until now + ttl, tagged with the event type
  // so EraseEventType can find it.
  virtual void Put(std::string_view key, std::int64_t event_type_id,
                   const std::vector<booking::Slot>& slots, SystemTimePoint now,
                   std::chrono::milliseconds ttl) = 0;

  // Drops every entry of the event type. Returns how many were dropped (where known).
  virtual std::size_t EraseEventType(std::int64_t event_type_id) = 0;
};

// A mutex-guarded map. Expired entries are dropped when read and when the store is full; at
// `max_entries` the entry closest to expiry is evicted. Thread-safe.
class InProcessSlotCacheStore final : public SlotCacheStore {
 public:
  explicit InProcessSlotCacheStore(std::size_t max_entries = 10'000);
  ~InProcessSlotCacheStore() override;

  std::optional<std::vector<booking::Slot>> Get(std::string_view key, SystemTimePoint now) override;
  void Put(std::string_view key, std::int64_t event_type_id,
           const std::vector<booking::Slot>& slots, SystemTimePoint now,
           std::chrono::milliseconds ttl) override;
  std::size_t EraseEventType(std::int64_t event_type_id) override;

  // Entries currently held (expired ones included until they are swept).
  std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SlotCacheSettings {
  std::chrono::milliseconds ttl{300'000};       // answers with at least one slot
  std::chrono::milliseconds empty_ttl{60'000};  // answers without slots
};

// The cache key of a query (exposed for tests and for a shared store's key space):
// "slots|<base url>|<sha256(api key) hex prefix>|<event type>|<from ms>|<to ms>|<zone>|<dur>".
std::string SlotCacheKey(const booking::SlotQuery& query);

// The decorator. Thread-safe; `inner`, `store`, `clock` and `metrics` must outlive it.
class CachingCalendarProvider final : public booking::CalendarProvider {
 public:
  CachingCalendarProvider(booking::CalendarProvider& inner, SlotCacheStore& store,
                          const Clock& clock, observability::Metrics& metrics,
                          SlotCacheSettings settings = {});
  ~CachingCalendarProvider() override;

  // A hit answers with SlotSource::kCache and no upstream request. A miss asks `inner` (or
  // waits for the request another thread already has in flight for the same key and shares
  // its answer, errors included). Errors are never cached.
  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& query) override;

  // Answers hits from the cache and fetches the misses (those not already in flight elsewhere)
  // with ONE inner GetSlotsMany call, i.e. in parallel. Order as in `queries`.
  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override;

  // Pass through. On success (and, for creation, also on kConflict and kTimeout — the cache was
  // stale or the booking may have gone through) the event type's entries are invalidated.
  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override;
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount& account,
                                         const std::string& uid, const std::string& reason,
                                         const booking::BookingChange& change) override;
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount& account,
                                             const std::string& uid, SystemTimePoint new_start,
                                             const std::string& reason,
                                             const booking::BookingChange& change) override;
  Result<booking::Booking> GetBooking(const booking::CalendarAccount& account,
                                      const std::string& uid) override;
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount& account,
                                                     const booking::BookingFilter& filter) override;
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount& account) override;

  // Drops the event type's entries now; answers in flight for it are not stored. Also forwards
  // to the inner provider.
  void InvalidateEventType(std::int64_t event_type_id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callgate::calcom
