#include "auth/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <array>

#include "core/digest.hpp"

namespace callgate::auth {
namespace {

bool EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

}  // namespace

PasswordHashCost PasswordHashCost::Minimum() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Result<std::string> HashPassword(const Secret& password, PasswordHashCost cost) {
  if (!EnsureSodium()) return Fail(ErrorCode::kInternal, "libsodium failed to initialise");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  const std::string& raw = password.Reveal();
  if (crypto_pwhash_str_alg(out.data(), raw.data(), raw.size(), cost.ops_limit,
                            cost.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::kInternal, "password hashing failed (out of memory?)");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view hash, const Secret& password) {
  if (!EnsureSodium()) return false;
  // Only argon2id hashes count; anything else (the "!" marker, an empty or foreign hash) fails.
  if (hash.rfind("$argon2id$", 0) != 0 || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  const std::string& raw = password.Reveal();
  return crypto_pwhash_str_verify(terminated.c_str(), raw.data(), raw.size()) == 0;
}

Result<GeneratedToken> GenerateToken() {
  if (!EnsureSodium()) return Fail(ErrorCode::kInternal, "libsodium failed to initialise");
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Fail(ErrorCode::kInternal, "the random number generator is not available");
  }
  std::array<char, 64> encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes.data(), bytes.size());
  std::string text = std::string(kTokenPrefix) + encoded.data();
  sodium_memzero(encoded.data(), encoded.size());
  GeneratedToken token;
  token.hash = HashToken(text);
  token.text = Secret(std::move(text));
  return token;
}

std::string HashToken(std::string_view token_text) { return Sha256Hex(token_text); }

bool LooksLikeToken(std::string_view text) noexcept {
  if (text.size() != kTokenLength || text.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return false;
  }
  for (char c : text.substr(kTokenPrefix.size())) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace callgate::auth
