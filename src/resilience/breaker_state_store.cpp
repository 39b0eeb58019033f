#include "resilience/breaker_state_store.hpp"

#include <charconv>

namespace callgate::resilience {
namespace {

constexpr std::string_view kVersion = "v1";

template <typename Int>
bool ParseInt(std::string_view text, Int& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string_view BreakerStateName(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

std::string SerializeBreakerRecord(const BreakerRecord& r) {
  std::string out(kVersion);
  for (long long value :
       {static_cast<long long>(r.state), static_cast<long long>(r.consecutive_failures),
        static_cast<long long>(r.half_open_successes),
        static_cast<long long>(r.half_open_in_flight), static_cast<long long>(r.opened_at_ms),
        static_cast<long long>(r.last_trial_at_ms), static_cast<long long>(r.generation)}) {
    out += '|';
    out += std::to_string(value);
  }
  return out;
}

Result<BreakerRecord> ParseBreakerRecord(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = text.find('|', start);
    parts.push_back(text.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  auto bad = [&] { return Fail(ErrorCode::kInternal, "unreadable breaker record"); };
  if (parts.size() != 8 || parts[0] != kVersion) return bad();
  BreakerRecord r;
  int state = 0;
  if (!ParseInt(parts[1], state) || state < 0 || state > 2) return bad();
  r.state = static_cast<BreakerState>(state);
  if (!ParseInt(parts[2], r.consecutive_failures) || !ParseInt(parts[3], r.half_open_successes) ||
      !ParseInt(parts[4], r.half_open_in_flight) || !ParseInt(parts[5], r.opened_at_ms) ||
      !ParseInt(parts[6], r.last_trial_at_ms) || !ParseInt(parts[7], r.generation)) {
    return bad();
  }
  return r;
}

Result<BreakerRecord> InProcessBreakerStore::Update(std::string_view key,
                                                    const BreakerUpdate& update) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(key);
  const BreakerRecord current = it == records_.end() ? BreakerRecord{} : it->second;
  auto next = update(current);
  if (!next) return current;
  if (it == records_.end()) {
    records_.emplace(std::string(key), *next);
  } else {
    it->second = *next;
  }
  return *next;
}

Result<BreakerRecord> InProcessBreakerStore::Load(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(key);
  return it == records_.end() ? BreakerRecord{} : it->second;
}

}  // namespace callgate::resilience
