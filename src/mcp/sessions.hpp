#pragma once
// SessionStore: the MCP sessions of this process (Streamable HTTP, `Mcp-Session-Id`). A session
// is opened by initialize, belongs to the agent token's user and company that opened it, keeps
// the negotiated protocol version, and ends on DELETE, after `idle_ttl` without use, or when
// the store is full (the least recently used goes first; a client whose session is gone gets
// 404 and initializes again, as the protocol prescribes).
//
// In-process: with several instances behind a balancer, /mcp needs sticky routing (or the
// clients re-initialize on the other instance). Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace callgate::mcp {

struct SessionSettings {
  // A session unused this long is gone.
  std::chrono::minutes idle_ttl{60};
  // At most this many sessions in all, and per owner (one agent token's user), so one tenant
  // cannot push out another's sessions.
  std::size_t max_sessions = 10000;
  std::size_t max_sessions_per_owner = 1000;
};

// Who a session belongs to: the authenticated principal ("user:<id>:agent") and its company.
struct SessionOwner {
  std::string principal;
  std::int64_t company_id = 0;

  bool operator==(const SessionOwner&) const = default;
};

struct Session {
  std::string id;  // 64 lower-case hex digits from a cryptographic random source
  SessionOwner owner;
  std::string protocol_version;
};

class SessionStore {
 public:
  SessionStore(SessionSettings settings, const Clock& clock) : settings_(settings), clock_(clock) {}

  // A new session for `owner`.
  Session Open(const SessionOwner& owner, std::string protocol_version);

  // The session `id` when it exists, has not expired and belongs to `owner` (otherwise
  // nullopt, the same for all three: ids of others cannot be probed). Counts as use.
  std::optional<Session> Find(std::string_view id, const SessionOwner& owner);

  // Ends session `id` of `owner`; false when there was none (as for Find).
  bool Close(std::string_view id, const SessionOwner& owner);

  std::size_t size() const;

 private:
  struct Entry {
    Session session;
    SteadyTimePoint last_used;
  };
  using Map = std::unordered_map<std::string, Entry>;

  bool Expired(const Entry& entry, SteadyTimePoint now) const;
  // Removes the least recently used session (of `owner` when given). Requires mutex_.
  void EvictOldest(const SessionOwner* owner);

  SessionSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  Map sessions_;
};

// 32 random bytes as 64 lower-case hex digits (visible ASCII, as the transport requires).
std::string NewSessionId();

}  // namespace callgate::mcp
