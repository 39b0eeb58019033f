#pragma once
// Credential primitives: argon2id password hashes (libsodium) and API token text (OpenSSL
// random bytes, SHA-256). Pure functions; the rules around them live in AuthService.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::auth {

// argon2id work factors. The default is libsodium's "interactive" level (2 passes, 64 MiB),
// meant for logins; tests may use Minimum() to stay fast.
struct PasswordHashCost {
  std::uint64_t ops_limit = 2;
  std::size_t mem_limit_bytes = 64ull * 1024 * 1024;

  static PasswordHashCost Interactive() { return {}; }
  // libsodium's minimum (1 pass, 8 KiB): for tests only.
  static PasswordHashCost Minimum();
};

// Hashes `password` with argon2id and a random salt into libsodium's self-describing string
// ("$argon2id$v=19$m=65536,t=2,p=1$..."). kInternal when libsodium fails (out of memory).
// Thread-safe.
Result<std::string> HashPassword(const Secret& password, PasswordHashCost cost = {});

// True when `password` matches `hash` (an argon2id string from HashPassword). False for any
// other hash text, including kNoPassword. Takes as long as one hash. Thread-safe.
bool VerifyPassword(std::string_view hash, const Secret& password);

// The text prefix of every API token.
inline constexpr std::string_view kTokenPrefix = "cg_";
// Length of a token's text: "cg_" + 43 base64url characters (32 random bytes, unpadded).
inline constexpr std::size_t kTokenLength = 46;

// A freshly generated token: the text is shown to the user once; only the hash is stored.
struct GeneratedToken {
  Secret text;       // "cg_<base64url of 32 random bytes>"
  std::string hash;  // HashToken(text)
};

// 32 bytes from the OpenSSL CSPRNG. kInternal when it is not seeded. Thread-safe.
Result<GeneratedToken> GenerateToken();

// Lower-case hex SHA-256 of the token text (64 characters). Thread-safe.
std::string HashToken(std::string_view token_text);

// True when `text` has the shape of a token (prefix, length, base64url alphabet); lets
// obviously bad credentials be refused without a database lookup.
bool LooksLikeToken(std::string_view text) noexcept;

// Constant-time equality of two strings of the same length (false for different lengths).
bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace callgate::auth
