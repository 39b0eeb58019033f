#include "retell/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/encoding.hpp"

namespace callgate::retell {
namespace {

std::array<std::uint8_t, 32> Hmac(std::string_view key, std::string_view a, std::string_view b) {
  // The fetched algorithm is immutable and shareable; contexts are per call.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  std::array<std::uint8_t, 32> out{};
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  size_t len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(a.data()), a.size()) &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(b.data()), b.size()) &&
      EVP_MAC_final(ctx, out.data(), &len, out.size());
  EVP_MAC_CTX_free(ctx);
  if (!ok) out.fill(0);  // never matches a real digest
  return out;
}

std::string ToHex(const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace

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
  const auto expected = Hmac(key.Reveal(), raw_body, v);
  if (CRYPTO_memcmp(expected.data(), parsed->digest.data(), expected.size()) != 0) {
    return Fail(ErrorCode::kUnauthenticated, "mismatch");
  }
  return Ok();
}

std::string SignRetellPayload(std::string_view raw_body, const Secret& key,
                              long long timestamp_ms) {
  const std::string v = std::to_string(timestamp_ms);
  return "v=" + v + ",d=" + ToHex(Hmac(key.Reveal(), raw_body, v));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return ToHex(Hmac(key, data, {}));
}

}  // namespace callgate::retell
