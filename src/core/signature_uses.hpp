#pragma once
// SignatureUses: binds each request signature of a signed platform (Retell, Vapi HMAC) to the
// first request it was used for, so a captured signature cannot be replayed elsewhere.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace callgate {

// Remembers which request each signature was first used for, so a captured signature cannot be
// moved to another request (SPEC §4): a platform's signature covers only the body, while the
// function is in the path (Retell) and, in Retell's args-only mode, the call id may arrive in a
// header or the query; a Vapi HMAC signature is bound to the URL it was sent to. A repeat with the
// same binding (Retell's retries) passes; any other use is refused. Entries live for the
// signature's validity window (±5 minutes) plus a margin; at most `capacity` are kept (the oldest
// expire first). In-process: behind a balancer the args-only call binding still holds (the call id
// must be in the signed args), the function binding per instance. Thread-safe.
class SignatureUses {
 public:
  explicit SignatureUses(const Clock& clock, std::size_t capacity = 200'000,
                         std::chrono::seconds lifetime = std::chrono::seconds(660))
      : clock_(clock), capacity_(capacity), lifetime_(lifetime) {}

  // True when `signature` is new (it is now bound to `binding`) or was bound to `binding`.
  bool Bind(std::string_view signature, std::string_view binding);

 private:
  const Clock& clock_;
  const std::size_t capacity_;
  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> bindings_;
  std::deque<std::pair<SteadyTimePoint, std::string>> expiry_;  // in insertion order
};

}  // namespace callgate
