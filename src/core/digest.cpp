#include "core/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

namespace callgate {
namespace {

// SHA-256 fetched once: passing EVP_sha256() makes OpenSSL 3 look the algorithm up in its
// provider store (locks, property matching) on every call, which cost more than hashing the
// few bytes of a signature. The fetched algorithm is immutable and shared by all threads.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

constexpr std::size_t kBlockBytes = 64;  // SHA-256's block size, HMAC's key block

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// Hashes the parts in order into `out`; false when OpenSSL fails.
bool Digest(EVP_MD_CTX* ctx, std::initializer_list<std::string_view> parts, Sha256Digest& out) {
  if (EVP_DigestInit_ex2(ctx, Sha256Algorithm(), nullptr) != 1) return false;
  for (const auto part : parts) {
    if (EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) return false;
  }
  unsigned int length = 0;
  return EVP_DigestFinal_ex(ctx, out.data(), &length) == 1 && length == out.size();
}

std::string_view View(const std::uint8_t* bytes, std::size_t size) {
  return {reinterpret_cast<const char*>(bytes), size};
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int length = 0;
  const EVP_MD* md = Sha256Algorithm();
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1 ||
      length != out.size()) {
    out.fill(0);
  }
  return out;
}

// RFC 2104 over the fetched SHA-256: H((K ^ opad) || H((K ^ ipad) || a || b)), where K is the
// key zero-padded to the block size, or its hash when longer. OpenSSL's EVP_MAC would look the
// digest up by name on every call (see Sha256Algorithm).
Sha256Digest HmacSha256(std::string_view key, std::string_view a, std::string_view b) {
  Sha256Digest out{};
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::uint8_t block[kBlockBytes] = {};
  bool ok = ctx != nullptr && Sha256Algorithm() != nullptr;
  if (ok && key.size() > kBlockBytes) {
    Sha256Digest hashed_key{};
    ok = Digest(ctx.get(), {key}, hashed_key);
    std::copy(hashed_key.begin(), hashed_key.end(), block);
    OPENSSL_cleanse(hashed_key.data(), hashed_key.size());
  } else {
    std::copy(key.begin(), key.end(), block);
  }
  std::uint8_t pad[kBlockBytes];
  Sha256Digest inner{};
  if (ok) {
    for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x36;
    ok = Digest(ctx.get(), {View(pad, sizeof pad), a, b}, inner);
  }
  if (ok) {
    for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
    ok = Digest(ctx.get(), {View(pad, sizeof pad), View(inner.data(), inner.size())}, out);
  }
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
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
