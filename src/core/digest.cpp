#include "core/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace callgate {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    out.fill(0);
  }
  return out;
}

Sha256Digest HmacSha256(std::string_view key, std::string_view a, std::string_view b) {
  // The fetched algorithm is immutable and shareable; contexts are per call.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  Sha256Digest out{};
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  // A zero-length key still needs a valid pointer.
  static const unsigned char kEmpty = 0;
  const auto* key_ptr = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  size_t length = 0;
  const bool ok = ctx != nullptr && EVP_MAC_init(ctx, key_ptr, key.size(), params) &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(a.data()), a.size()) &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(b.data()), b.size()) &&
                  EVP_MAC_final(ctx, out.data(), &length, out.size()) && length == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) out.fill(0);
  return out;
}

std::string ToHex(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::size_t n = std::min(bytes.size(), max_bytes);
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

}  // namespace callgate
