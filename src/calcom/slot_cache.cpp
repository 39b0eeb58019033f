#include "calcom/slot_cache.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/blocking.hpp"
#include "core/digest.hpp"

namespace callgate::calcom {
namespace {

using booking::SlotAnswer;
using booking::SlotQuery;
using booking::SlotSource;

constexpr std::string_view kCacheMetric = "callgate_calcom_slot_cache_total";

// Hex of the first 16 bytes of SHA-256: enough to tell keys apart, useless to recover one.
// Each thread remembers the fingerprint of the key it saw last: an availability check builds
// several keys of one account, and hashing the key was most of building one. The key is kept
// as a Secret (never logged or printed), like the tenant cache keeps it, until the thread sees
// another one.
const std::string& KeyFingerprint(const Secret& api_key) {
  static const std::string kNoKey = "-";
  if (api_key.empty()) return kNoKey;
  thread_local Secret last_key;
  thread_local std::string last_fingerprint;
  if (last_fingerprint.empty() || !last_key.Equals(api_key.Reveal())) {
    last_fingerprint = Sha256Hex(api_key.Reveal(), 16);
    last_key = api_key;
  }
  return last_fingerprint;
}

}  // namespace

std::string SlotCacheKey(const SlotQuery& q) {
  std::string_view base = q.account.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string key;
  key.reserve(96 + base.size() + q.time_zone.size());
  key.append("slots|").append(base).append("|");
  key.append(KeyFingerprint(q.account.api_key)).append("|");
  key.append(std::to_string(q.event_type_id)).append("|");
  key.append(std::to_string(ToUnixMillis(q.from))).append("|");
  key.append(std::to_string(ToUnixMillis(q.to))).append("|");
  key.append(q.time_zone).append("|");
  key.append(q.duration_minutes ? std::to_string(*q.duration_minutes) : "-");
  return key;
}

// ---------------------------------------------------------------------------------------------
// InProcessSlotCacheStore

struct InProcessSlotCacheStore::Impl {
  struct Entry {
    std::int64_t event_type_id = 0;
    std::vector<booking::Slot> slots;
    SystemTimePoint expires_at;
  };

  std::size_t max_entries;
  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  std::unordered_map<std::int64_t, std::unordered_set<std::string>> by_event_type;

  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
    if (auto idx = by_event_type.find(it->second.event_type_id); idx != by_event_type.end()) {
      idx->second.erase(it->first);
      if (idx->second.empty()) by_event_type.erase(idx);
    }
    entries.erase(it);
  }

  void MakeRoomLocked(SystemTimePoint now) {
    if (entries.size() < max_entries) return;
    for (auto it = entries.begin(); it != entries.end();) {
      auto next = std::next(it);
      if (it->second.expires_at <= now) EraseLocked(it);
      it = next;
    }
    while (!entries.empty() && entries.size() >= max_entries) {
      auto oldest = std::min_element(entries.begin(), entries.end(), [](auto& a, auto& b) {
        return a.second.expires_at < b.second.expires_at;
      });
      EraseLocked(oldest);
    }
  }
};

InProcessSlotCacheStore::InProcessSlotCacheStore(std::size_t max_entries)
    : impl_(std::make_unique<Impl>()) {
  impl_->max_entries = std::max<std::size_t>(1, max_entries);
}

InProcessSlotCacheStore::~InProcessSlotCacheStore() = default;

std::optional<std::vector<booking::Slot>> InProcessSlotCacheStore::Get(std::string_view key,
                                                                       SystemTimePoint now) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->entries.find(std::string(key));
  if (it == impl_->entries.end()) return std::nullopt;
  if (it->second.expires_at <= now) {
    impl_->EraseLocked(it);
    return std::nullopt;
  }
  return it->second.slots;
}

void InProcessSlotCacheStore::Put(std::string_view key, std::int64_t event_type_id,
                                  const std::vector<booking::Slot>& slots, SystemTimePoint now,
                                  std::chrono::milliseconds ttl) {
  std::lock_guard lock(impl_->mutex);
  std::string k(key);
  if (auto it = impl_->entries.find(k); it != impl_->entries.end()) impl_->EraseLocked(it);
  impl_->MakeRoomLocked(now);
  impl_->by_event_type[event_type_id].insert(k);
  impl_->entries.emplace(std::move(k), Impl::Entry{event_type_id, slots, now + ttl});
}

std::size_t InProcessSlotCacheStore::EraseEventType(std::int64_t event_type_id) {
  std::lock_guard lock(impl_->mutex);
  auto idx = impl_->by_event_type.find(event_type_id);
  if (idx == impl_->by_event_type.end()) return 0;
  const std::size_t n = idx->second.size();
  for (const auto& key : idx->second) impl_->entries.erase(key);
  impl_->by_event_type.erase(idx);
  return n;
}

std::size_t InProcessSlotCacheStore::size() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->entries.size();
}

// ---------------------------------------------------------------------------------------------
// CachingCalendarProvider

struct CachingCalendarProvider::Impl {
  // One upstream request for one key, shared by every thread that missed it meanwhile.
  struct Flight {
    std::int64_t event_type_id = 0;
    std::uint64_t generation = 0;  // of the event type when the flight started
    bool done = false;             // guarded by Impl::mutex
    std::optional<Result<SlotAnswer>> result;
  };
  using FlightPtr = std::shared_ptr<Flight>;

  // What a lookup found: an answer, or a flight to lead (fetch) or to follow (wait for).
  struct Ticket {
    std::string key;
    std::optional<Result<SlotAnswer>> answer;
    FlightPtr flight;
    bool leader = false;
  };

  Impl(booking::CalendarProvider& i, SlotCacheStore& s, const Clock& c, observability::Metrics& m,
       SlotCacheSettings st)
      : inner(i),
        store(s),
        clock(c),
        settings(st),
        hits(m.CounterSeries(kCacheMetric, {{"outcome", "hit"}})),
        misses(m.CounterSeries(kCacheMetric, {{"outcome", "miss"}})),
        coalesced(m.CounterSeries(kCacheMetric, {{"outcome", "coalesced"}})),
        invalidations(m.CounterSeries(kCacheMetric, {{"outcome", "invalidated"}})) {}

  booking::CalendarProvider& inner;
  SlotCacheStore& store;
  const Clock& clock;
  SlotCacheSettings settings;
  // kCacheMetric by outcome, resolved once (a cached answer counts several lookups).
  const observability::Metrics::CounterHandle hits, misses, coalesced, invalidations;

  std::mutex mutex;
  std::condition_variable flight_done;
  std::unordered_map<std::string, FlightPtr> flights;           // guarded by mutex
  std::unordered_map<std::int64_t, std::uint64_t> generations;  // guarded by mutex

  std::optional<Result<SlotAnswer>> FromStore(const std::string& key) {
    auto slots = store.Get(key, clock.Now());
    if (!slots) return std::nullopt;
    return Result<SlotAnswer>(SlotAnswer{std::move(*slots), SlotSource::kCache});
  }

  Ticket Begin(const SlotQuery& q) {
    Ticket t;
    t.key = SlotCacheKey(q);
    if ((t.answer = FromStore(t.key))) {
      // An attempt that stops at a later miss is run again (core/blocking.hpp): its hits are
      // counted once.
      OncePerRequest("slot cache hit " + t.key, [this] { hits.Add(); });
      return t;
    }
    // A miss waits for Cal.com or for another thread's request: nothing of this lookup is
    // registered or counted before this point.
    MayBlock("slot cache miss");
    std::lock_guard lock(mutex);
    if (auto it = flights.find(t.key); it != flights.end()) {
      t.flight = it->second;
      coalesced.Add();
      return t;
    }
    t.flight = std::make_shared<Flight>();
    t.flight->event_type_id = q.event_type_id;
    t.flight->generation = generations[q.event_type_id];
    t.leader = true;
    flights.emplace(t.key, t.flight);
    return t;
  }

  // Called by a leader before going upstream: the previous leader of this key may have stored
  // its answer between our store lookup and our registering the flight.
  bool CompleteFromStoreIfPresent(const Ticket& t) {
    auto cached = FromStore(t.key);
    if (!cached) return false;
    hits.Add();
    Complete(t, std::move(*cached));
    return true;
  }

  bool GenerationUnchanged(const Flight& f) {
    std::lock_guard lock(mutex);
    return generations[f.event_type_id] == f.generation;
  }

  // Stores a live answer unless the event type was invalidated meanwhile, then wakes the
  // followers. The generation is checked again after Put so that an invalidation racing with
  // Put cannot leave a stale entry behind (it bumps the generation before erasing).
  void Complete(const Ticket& t, Result<SlotAnswer> result) {
    Flight& f = *t.flight;
    if (result && result->source == SlotSource::kLive && GenerationUnchanged(f)) {
      store.Put(t.key, f.event_type_id, result->slots, clock.Now(),
                result->slots.empty() ? settings.empty_ttl : settings.ttl);
      if (!GenerationUnchanged(f)) store.EraseEventType(f.event_type_id);
    }
    {
      std::lock_guard lock(mutex);
      if (auto it = flights.find(t.key); it != flights.end() && it->second == t.flight) {
        flights.erase(it);
      }
      f.result = std::move(result);
      f.done = true;
    }
    flight_done.notify_all();
  }

  Result<SlotAnswer> Wait(const Ticket& t) {
    std::unique_lock lock(mutex);
    flight_done.wait(lock, [&] { return t.flight->done; });
    return *t.flight->result;
  }

  void Invalidate(std::int64_t event_type_id) {
    {
      std::lock_guard lock(mutex);
      ++generations[event_type_id];
      // New misses must not join a request that started before the change.
      for (auto it = flights.begin(); it != flights.end();) {
        it = it->second->event_type_id == event_type_id ? flights.erase(it) : std::next(it);
      }
    }
    store.EraseEventType(event_type_id);
    invalidations.Add();
  }
};

CachingCalendarProvider::CachingCalendarProvider(booking::CalendarProvider& inner,
                                                 SlotCacheStore& store, const Clock& clock,
                                                 observability::Metrics& metrics,
                                                 SlotCacheSettings settings)
    : impl_(std::make_unique<Impl>(inner, store, clock, metrics, settings)) {
  metrics.Describe(kCacheMetric, "Cal.com slot cache lookups by outcome");
}

CachingCalendarProvider::~CachingCalendarProvider() = default;

Result<booking::SlotAnswer> CachingCalendarProvider::GetSlots(const SlotQuery& query) {
  auto t = impl_->Begin(query);
  if (t.answer) return std::move(*t.answer);
  if (!t.leader) return impl_->Wait(t);
  if (impl_->CompleteFromStoreIfPresent(t)) return *t.flight->result;
  impl_->misses.Add();
  auto result = impl_->inner.GetSlots(query);
  impl_->Complete(t, result);
  return result;
}

std::vector<Result<booking::SlotAnswer>> CachingCalendarProvider::GetSlotsMany(
    const std::vector<SlotQuery>& queries) {
  std::vector<Impl::Ticket> tickets;
  tickets.reserve(queries.size());
  for (const auto& q : queries) tickets.push_back(impl_->Begin(q));

  std::vector<SlotQuery> upstream;
  std::vector<std::size_t> upstream_index;
  for (std::size_t i = 0; i < tickets.size(); ++i) {
    if (!tickets[i].leader || impl_->CompleteFromStoreIfPresent(tickets[i])) continue;
    impl_->misses.Add();
    upstream.push_back(queries[i]);
    upstream_index.push_back(i);
  }
  if (!upstream.empty()) {
    auto answers = impl_->inner.GetSlotsMany(upstream);
    for (std::size_t k = 0; k < upstream_index.size(); ++k) {
      auto answer =
          k < answers.size()
              ? std::move(answers[k])
              : Result<booking::SlotAnswer>(Fail(ErrorCode::kInternal, "provider lost an answer"));
      impl_->Complete(tickets[upstream_index[k]], std::move(answer));
    }
  }
  // Leaders are complete now, so followers of this very call (duplicate keys) cannot deadlock.
  std::vector<Result<booking::SlotAnswer>> out;
  out.reserve(tickets.size());
  for (auto& t : tickets) {
    if (t.answer) {
      out.push_back(std::move(*t.answer));
    } else {
      out.push_back(impl_->Wait(t));
    }
  }
  return out;
}

Result<booking::Booking> CachingCalendarProvider::CreateBooking(
    const booking::BookingRequest& request) {
  auto result = impl_->inner.CreateBooking(request);
  if (result || result.error().code == ErrorCode::kConflict ||
      result.error().code == ErrorCode::kTimeout) {
    InvalidateEventType(request.event_type_id);
    if (result && result->event_type_id != 0 && result->event_type_id != request.event_type_id) {
      InvalidateEventType(result->event_type_id);
    }
  }
  return result;
}

Result<booking::Booking> CachingCalendarProvider::CancelBooking(
    const booking::CalendarAccount& account, const std::string& uid, const std::string& reason,
    const booking::BookingChange& change) {
  auto result = impl_->inner.CancelBooking(account, uid, reason, change);
  if (result && result->event_type_id != 0) InvalidateEventType(result->event_type_id);
  return result;
}

Result<booking::Booking> CachingCalendarProvider::RescheduleBooking(
    const booking::CalendarAccount& account, const std::string& uid, SystemTimePoint new_start,
    const std::string& reason, const booking::BookingChange& change) {
  auto result = impl_->inner.RescheduleBooking(account, uid, new_start, reason, change);
  if (result && result->event_type_id != 0) InvalidateEventType(result->event_type_id);
  return result;
}

Result<booking::Booking> CachingCalendarProvider::GetBooking(
    const booking::CalendarAccount& account, const std::string& uid) {
  return impl_->inner.GetBooking(account, uid);
}

Result<std::vector<booking::Booking>> CachingCalendarProvider::ListBookings(
    const booking::CalendarAccount& account, const booking::BookingFilter& filter) {
  return impl_->inner.ListBookings(account, filter);
}

Result<std::vector<booking::AccountEventType>> CachingCalendarProvider::ListAccountEventTypes(
    const booking::CalendarAccount& account) {
  return impl_->inner.ListAccountEventTypes(account);
}

void CachingCalendarProvider::InvalidateEventType(std::int64_t event_type_id) {
  impl_->Invalidate(event_type_id);
  impl_->inner.InvalidateEventType(event_type_id);
}

}  // namespace callgate::calcom
