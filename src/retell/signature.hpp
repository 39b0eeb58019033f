#pragma once
// Retell's request signature (webhooks, inbound webhook and custom functions alike):
//   X-Retell-Signature: v=<unix time in ms>,d=<hex HMAC-SHA256(key, raw_body || ascii(v))>
// Verified over the raw body bytes, within ±5 minutes, with a constant-time compare.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::retell {

// Largest accepted distance between the signature's timestamp and now (inclusive).
inline constexpr std::chrono::milliseconds kSignatureWindow{300'000};

struct SignatureHeader {
  long long timestamp_ms = 0;
  std::array<std::uint8_t, 32> digest{};
};

// Parses exactly `v=<1..15 digits>,d=<64 hex digits>`; anything else (prefixes, suffixes, extra
// or reordered fields, spaces) is kUnauthenticated.
Result<SignatureHeader> ParseSignatureHeader(std::string_view header);

// The one spelling of a parsed header: `v=<timestamp without leading zeros>,d=<lower-case
// hex>`. The parser accepts either hex case and leading zeros, so a replay check binds this,
// never the header's text.
std::string CanonicalSignature(const SignatureHeader& header);

// Verifies `header` for `raw_body` with `key` at time `now`. kUnauthenticated with a short
// reason ("missing", "malformed", "stale", "mismatch") that is safe to log. Thread-safe.
Status VerifyRetellSignature(std::string_view header, std::string_view raw_body, const Secret& key,
                             SystemTimePoint now);

// Builds a header value the way Retell signs (for simulate-call and tests).
std::string SignRetellPayload(std::string_view raw_body, const Secret& key, long long timestamp_ms);

// Lower-case hex HMAC-SHA256 of `data` with `key` (shared with the Cal.com webhook check).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace callgate::retell
