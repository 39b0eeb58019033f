#include "calcom/redis_slot_cache_store.hpp"

#include <charconv>

#include "observability/log.hpp"

namespace callgate::calcom {
namespace {

constexpr std::string_view kErrorsMetric = "callgate_calcom_slot_cache_store_errors_total";

// KEYS: entry, index; ARGV: value, ttl ms. The index lives as long as its longest entry.
const redis::Script kPut(R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
)lua");

// KEYS: index. Deletes the listed entries in batches (unpack has a stack limit) and the index.
const redis::Script kErase(R"lua(
local keys = redis.call('SMEMBERS', KEYS[1])
local deleted = 0
for i = 1, #keys, 500 do
  deleted = deleted + redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[1])
return deleted
)lua");

bool ReadInt(std::string_view& text, long long& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

bool Consume(std::string_view& text, char expected) {
  if (text.empty() || text.front() != expected) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::string EncodeSlotEntry(const std::vector<booking::Slot>& slots, SystemTimePoint expires_at) {
  std::string out = "1|" + std::to_string(ToUnixMillis(expires_at)) + "|";
  long long previous = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const long long start = ToUnixMillis(slots[i].start);
    if (i > 0) out.push_back(',');
    out += std::to_string(start - previous);
    out.push_back('+');
    out += std::to_string(ToUnixMillis(slots[i].end) - start);
    previous = start;
  }
  return out;
}

std::optional<DecodedSlotEntry> DecodeSlotEntry(std::string_view text) {
  long long version = 0;
  long long expires = 0;
  if (!ReadInt(text, version) || version != 1 || !Consume(text, '|') || !ReadInt(text, expires) ||
      !Consume(text, '|')) {
    return std::nullopt;
  }
  DecodedSlotEntry entry{FromUnixMillis(expires), {}};
  long long previous = 0;
  while (!text.empty()) {
    if (!entry.slots.empty() && !Consume(text, ',')) return std::nullopt;
    long long delta = 0;
    long long duration = 0;
    if (!ReadInt(text, delta) || !Consume(text, '+') || !ReadInt(text, duration)) {
      return std::nullopt;
    }
    previous += delta;
    entry.slots.push_back({FromUnixMillis(previous), FromUnixMillis(previous + duration)});
  }
  return entry;
}

RedisSlotCacheStore::RedisSlotCacheStore(redis::ClientPool& pool, observability::Metrics& metrics,
                                         RedisSlotCacheStoreOptions options)
    : pool_(pool), metrics_(metrics), options_(std::move(options)) {
  metrics_.Describe(kErrorsMetric,
                    "Slot cache operations on Redis that failed (answered as a miss / skipped).");
}

std::string RedisSlotCacheStore::EntryKey(std::string_view key) const {
  return options_.key_prefix + "e:" + std::string(key);
}

std::string RedisSlotCacheStore::IndexKey(std::int64_t event_type_id) const {
  return options_.key_prefix + "et:" + std::to_string(event_type_id);
}

void RedisSlotCacheStore::MarkFailed(std::string_view operation, const Error& error) {
  metrics_.Increment(kErrorsMetric, {{"operation", std::string(operation)}});
  if (degraded_.exchange(true)) return;
  observability::LogWarn("slot_cache_store_degraded",
                         {{"operation", std::string(operation)},
                          {"error", std::string(ErrorCodeName(error.code))},
                          {"message", error.message}});
}

void RedisSlotCacheStore::MarkHealthy() {
  if (degraded_.exchange(false)) observability::LogInfo("slot_cache_store_restored");
}

std::optional<std::vector<booking::Slot>> RedisSlotCacheStore::Get(std::string_view key,
                                                                   SystemTimePoint now) {
  auto reply = pool_.Command({"GET", EntryKey(key)});
  if (!reply) {
    MarkFailed("get", reply.error());
    return std::nullopt;
  }
  MarkHealthy();
  if (reply->IsNil()) return std::nullopt;
  if (!reply->IsString()) {
    metrics_.Increment(kErrorsMetric, {{"operation", "get"}});  // not an outage: no switch
    return std::nullopt;
  }
  auto entry = DecodeSlotEntry(reply->string());
  if (!entry) {
    metrics_.Increment(kErrorsMetric, {{"operation", "get"}});
    return std::nullopt;
  }
  if (now >= entry->expires_at) return std::nullopt;
  return std::move(entry->slots);
}

void RedisSlotCacheStore::Put(std::string_view key, std::int64_t event_type_id,
                              const std::vector<booking::Slot>& slots, SystemTimePoint now,
                              std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) return;
  auto stored = pool_.Eval(kPut, {EntryKey(key), IndexKey(event_type_id)},
                           {EncodeSlotEntry(slots, now + ttl), std::to_string(ttl.count())});
  if (!stored) {
    MarkFailed("put", stored.error());
    return;
  }
  MarkHealthy();
}

std::size_t RedisSlotCacheStore::EraseEventType(std::int64_t event_type_id) {
  auto deleted = pool_.Eval(kErase, {IndexKey(event_type_id)}, {});
  if (!deleted) {
    MarkFailed("erase", deleted.error());
    return 0;
  }
  MarkHealthy();
  auto count = deleted->ToInteger();
  return count && *count > 0 ? static_cast<std::size_t>(*count) : 0;
}

}  // namespace callgate::calcom
