#pragma once
// Secret: a string that never prints. Streams, fmt and logs show "***"; only Reveal() gives
// the value, so every use of the raw secret is greppable.

#include <ostream>
#include <string>
#include <string_view>

namespace callgate {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The raw value; call only where the secret is actually used (HMAC key, Authorization header).
  const std::string& Reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  // Constant-time comparison with a candidate value.
  bool Equals(std::string_view candidate) const noexcept;

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

 private:
  std::string value_;
};

}  // namespace callgate
