#pragma once
// SessionStore: the MCP sessions of this process (Streamable HTTP, `Mcp-Session-Id`). A session
// is opened by initialize, belongs to the agent token's user and company that opened it, keeps
// the negotiated protocol version, and ends on DELETE or after `idle_ttl` without use (a client
// whose session is gone gets 404 and initializes again, as the protocol prescribes).
//
// Caps: an owner (agent token) or a company at its cap loses its *own* least recently used
// session. A store that is full as a whole takes the least recently used session of the company
// holding the most, when that is at least two more than the opener's company holds; otherwise
// the opener's company gives up its own, and a company without any is refused (kUnavailable).
// So a few busy companies cannot lock the others out, and no company loses a session to one
// holding as many. Expired sessions are swept only when a cap is reached, so opening a session
// does not walk every session.
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
#include "core/result.hpp"

namespace callgate::mcp {

struct SessionSettings {
  // A session unused this long is gone.
  std::chrono::minutes idle_ttl{60};
  // At most this many sessions in all, per company and per owner (one agent token's user).
  std::size_t max_sessions = 10000;
  std::size_t max_sessions_per_company = 1000;
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

  // A new session for `owner`; kUnavailable when the store is full and no company holds two
  // more sessions than the opener's, which holds none.
  Result<Session> Open(const SessionOwner& owner, std::string protocol_version);

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
  // The following require mutex_.
  Map::iterator Erase(Map::iterator it);
  void SweepExpired(SteadyTimePoint now);
  // Removes the least recently used session matching `pred`.
  template <typename Pred>
  void EvictOldest(Pred pred);
  bool AtCap(const SessionOwner& owner) const;

  SessionSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  Map sessions_;
  std::unordered_map<std::int64_t, std::size_t> per_company_;
  std::unordered_map<std::string, std::size_t> per_owner_;
};

// 32 random bytes as 64 lower-case hex digits (visible ASCII, as the transport requires).
std::string NewSessionId();

}  // namespace callgate::mcp
