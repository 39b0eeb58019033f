#include "mcp/sessions.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace callgate::mcp {

std::string NewSessionId() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for an MCP session id");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0x0f]);
  }
  return id;
}

bool SessionStore::Expired(const Entry& entry, SteadyTimePoint now) const {
  return now - entry.last_used >= settings_.idle_ttl;
}

SessionStore::Map::iterator SessionStore::Erase(Map::iterator it) {
  const SessionOwner& owner = it->second.session.owner;
  if (auto c = per_company_.find(owner.company_id); c != per_company_.end() && --c->second == 0) {
    per_company_.erase(c);
  }
  if (auto o = per_owner_.find(owner.principal); o != per_owner_.end() && --o->second == 0) {
    per_owner_.erase(o);
  }
  return sessions_.erase(it);
}

void SessionStore::SweepExpired(SteadyTimePoint now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? Erase(it) : std::next(it);
  }
}

template <typename Pred>
void SessionStore::EvictOldest(Pred pred) {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (!pred(it->second.session.owner)) continue;
    if (oldest == sessions_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
  }
  if (oldest != sessions_.end()) Erase(oldest);
}

namespace {
// Sessions counted under `key`, without adding the key.
template <class Map, class Key>
std::size_t CountOf(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? std::size_t{0} : it->second;
}
}  // namespace

bool SessionStore::AtCap(const SessionOwner& owner) const {
  return (settings_.max_sessions > 0 && sessions_.size() >= settings_.max_sessions) ||
         (settings_.max_sessions_per_company > 0 &&
          CountOf(per_company_, owner.company_id) >= settings_.max_sessions_per_company) ||
         (settings_.max_sessions_per_owner > 0 &&
          CountOf(per_owner_, owner.principal) >= settings_.max_sessions_per_owner);
}

Result<Session> SessionStore::Open(const SessionOwner& owner, std::string protocol_version) {
  Session session{NewSessionId(), owner, std::move(protocol_version)};
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  if (AtCap(owner)) {
    SweepExpired(now);
    // The owner, then its company, gives up its own least recently used session.
    if (settings_.max_sessions_per_owner > 0 &&
        CountOf(per_owner_, owner.principal) >= settings_.max_sessions_per_owner) {
      EvictOldest([&](const SessionOwner& o) { return o.principal == owner.principal; });
    }
    if (settings_.max_sessions_per_company > 0 &&
        CountOf(per_company_, owner.company_id) >= settings_.max_sessions_per_company) {
      EvictOldest([&](const SessionOwner& o) { return o.company_id == owner.company_id; });
    }
    if (settings_.max_sessions > 0 && sessions_.size() >= settings_.max_sessions) {
      // Full as a whole: the company holding the most sessions gives up its least recently
      // used one, when it holds at least two more than the opener's company (so two companies
      // never take turns ending each other's); else the opener's company gives up its own.
      // An ended session only initializes again (404, as the protocol prescribes); a refused
      // company could not work at all.
      const std::size_t mine = CountOf(per_company_, owner.company_id);
      std::int64_t largest = owner.company_id;
      std::size_t most = mine + 1;
      for (const auto& [company, count] : per_company_) {
        if (count > most) {
          largest = company;
          most = count;
        }
      }
      if (largest == owner.company_id && mine == 0) {
        return Fail(ErrorCode::kUnavailable, "too many MCP sessions; try again later");
      }
      EvictOldest([&](const SessionOwner& o) { return o.company_id == largest; });
    }
  }
  sessions_.emplace(session.id, Entry{session, now});
  ++per_company_[owner.company_id];
  ++per_owner_[owner.principal];
  return session;
}

std::optional<Session> SessionStore::Find(std::string_view id, const SessionOwner& owner) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    Erase(it);
    return std::nullopt;
  }
  if (!(it->second.session.owner == owner)) return std::nullopt;
  it->second.last_used = now;
  return it->second.session;
}

bool SessionStore::Close(std::string_view id, const SessionOwner& owner) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return false;
  if (Expired(it->second, now)) {
    Erase(it);
    return false;
  }
  if (!(it->second.session.owner == owner)) return false;
  Erase(it);
  return true;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace callgate::mcp
