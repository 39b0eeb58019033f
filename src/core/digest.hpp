#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL) and lower-case hex: the one implementation behind signature
// checks (Retell, Cal.com webhooks), token hashes, idempotency keys and key fingerprints.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace callgate {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// HMAC-SHA256 of `a` followed by `b` (Retell signs body + timestamp without joining them).
// All zeros if OpenSSL fails, which never matches a real digest.
Sha256Digest HmacSha256(std::string_view key, std::string_view a, std::string_view b = {});

// Lower-case hex of the first `max_bytes` bytes.
std::string ToHex(std::span<const std::uint8_t> bytes, std::size_t max_bytes = SIZE_MAX);

// Lower-case hex of SHA-256(data), shortened to its first `bytes` bytes (fingerprints).
inline std::string Sha256Hex(std::string_view data, std::size_t bytes = 32) {
  return ToHex(Sha256(data), bytes);
}

}  // namespace callgate
