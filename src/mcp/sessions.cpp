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

void SessionStore::EvictOldest(const SessionOwner* owner) {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (owner != nullptr && !(it->second.session.owner == *owner)) continue;
    if (oldest == sessions_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
  }
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

Session SessionStore::Open(const SessionOwner& owner, std::string protocol_version) {
  Session session{NewSessionId(), owner, std::move(protocol_version)};
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  std::size_t owned = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (Expired(it->second, now)) {
      it = sessions_.erase(it);
      continue;
    }
    if (it->second.session.owner == owner) ++owned;
    ++it;
  }
  if (settings_.max_sessions_per_owner > 0 && owned >= settings_.max_sessions_per_owner) {
    EvictOldest(&owner);
  }
  if (settings_.max_sessions > 0 && sessions_.size() >= settings_.max_sessions) {
    EvictOldest(nullptr);
  }
  sessions_.emplace(session.id, Entry{session, now});
  return session;
}

std::optional<Session> SessionStore::Find(std::string_view id, const SessionOwner& owner) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
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
    sessions_.erase(it);
    return false;
  }
  if (!(it->second.session.owner == owner)) return false;
  sessions_.erase(it);
  return true;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace callgate::mcp
