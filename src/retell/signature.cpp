#include "retell/signature.hpp"

#include <openssl/crypto.h>

#include "core/digest.hpp"
#include "core/encoding.hpp"

namespace callgate::retell {

Result<SignatureHeader> ParseSignatureHeader(std::string_view header) {
  const auto bad = [] { return Fail(ErrorCode::kUnauthenticated, "malformed"); };
  if (header.substr(0, 2) != "v=") return bad();
  size_t pos = 2;
  SignatureHeader out;
  size_t digits = 0;
  while (pos < header.size() && header[pos] >= '0' && header[pos] <= '9') {
    if (++digits > 15) return bad();  // before the value can overflow
    out.timestamp_ms = out.timestamp_ms * 10 + (header[pos] - '0');
    ++pos;
  }
  if (digits == 0) return bad();
  if (header.substr(pos, 3) != ",d=") return bad();
  pos += 3;
  if (header.size() - pos != 64) return bad();
  for (size_t i = 0; i < 32; ++i) {
    const int hi = HexDigitValue(header[pos + 2 * i]);
    const int lo = HexDigitValue(header[pos + 2 * i + 1]);
    if (hi < 0 || lo < 0) return bad();
    out.digest[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

Status VerifyRetellSignature(std::string_view header, std::string_view raw_body, const Secret& key,
                             SystemTimePoint now) {
  if (header.empty()) return Fail(ErrorCode::kUnauthenticated, "missing");
  if (key.empty()) return Fail(ErrorCode::kUnauthenticated, "no key configured");
  auto parsed = ParseSignatureHeader(header);
  if (!parsed) return tl::unexpected(parsed.error());
  const long long skew = ToUnixMillis(now) - parsed->timestamp_ms;
  if (skew > kSignatureWindow.count() || skew < -kSignatureWindow.count()) {
    return Fail(ErrorCode::kUnauthenticated, "stale");
  }
  const std::string v = std::to_string(parsed->timestamp_ms);
  const auto expected = HmacSha256(key.Reveal(), raw_body, v);
  if (CRYPTO_memcmp(expected.data(), parsed->digest.data(), expected.size()) != 0) {
    return Fail(ErrorCode::kUnauthenticated, "mismatch");
  }
  return Ok();
}

std::string CanonicalSignature(const SignatureHeader& header) {
  return "v=" + std::to_string(header.timestamp_ms) + ",d=" + ToHex(header.digest);
}

std::string SignRetellPayload(std::string_view raw_body, const Secret& key,
                              long long timestamp_ms) {
  const std::string v = std::to_string(timestamp_ms);
  return "v=" + v + ",d=" + ToHex(HmacSha256(key.Reveal(), raw_body, v));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return ToHex(HmacSha256(key, data));
}

}  // namespace callgate::retell
