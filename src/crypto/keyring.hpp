#pragma once
// crypto: encryption at rest for values callgate must not keep in clear text (company API keys,
// webhook secrets, transcripts, notes, raw webhook payloads). Authenticated encryption with
// libsodium's XChaCha20-Poly1305 (IETF), a random 24-byte nonce per value, under a 32-byte master
// key. A Keyring holds the current key (used for every new value) and older keys (still read, so
// `callgate keys rotate` can re-encrypt at its own pace).
//
// Stored form of an encrypted value (ASCII, fits TEXT columns on both databases):
//
//   enc:v1:<key id>:<base64(nonce || ciphertext || tag)>
//
// The key id is the first 8 hex digits of SHA-256("callgate-key-id:" || key): it says which key
// to use without revealing it. The `context` string given to Seal/Open (e.g. "calls.transcript")
// is bound as associated data, so a value copied into another column does not decrypt.
//
// Text that does not start with "enc:" is legacy clear text written before encryption existed:
// Open returns it unchanged (NeedsSealing says so), so old rows stay readable until rewritten.
//
// The empty string is stored as it is: Seal("") is "" and NeedsSealing("") is false. A sealed
// value reveals its plaintext's length, so a ciphertext of nothing would hide nothing, and an
// empty column stays recognisable in SQL (`notes <> ''`) without a key.
//
// Failures are values: a value under a key that is not in the keyring, a wrong key, a truncated
// or altered ciphertext or an unknown version give kInternal errors whose message says which
// (and names the key id), never garbage and never a crash. Keyring is immutable after
// construction and safe to share between threads.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callgate::crypto {

inline constexpr std::size_t kMasterKeyBytes = 32;
inline constexpr std::string_view kSealedPrefix = "enc:";

// One 32-byte master key and its id. The bytes are wiped when the key is destroyed.
class MasterKey {
 public:
  // Decodes base64 (standard alphabet, padding optional, surrounding whitespace ignored) of
  // exactly 32 bytes. kInvalidArgument otherwise; the message never contains the text.
  static Result<MasterKey> FromBase64(std::string_view text);
  // A fresh key from the operating system's random source.
  static MasterKey Generate();

  MasterKey(const MasterKey& other);
  MasterKey& operator=(const MasterKey& other);
  ~MasterKey();

  const std::string& id() const noexcept { return id_; }
  // Base64 of the 32 bytes: the key file format. Handle like any secret.
  std::string ToBase64() const;
  const std::array<std::uint8_t, kMasterKeyBytes>& bytes() const noexcept { return bytes_; }

 private:
  explicit MasterKey(const std::array<std::uint8_t, kMasterKeyBytes>& bytes);
  std::array<std::uint8_t, kMasterKeyBytes> bytes_{};
  std::string id_;
};

// The keys of one deployment: the first is current (encrypts), the others are only read.
class Keyring {
 public:
  // kInvalidArgument for no keys or two keys with the same id.
  static Result<std::shared_ptr<const Keyring>> Create(std::vector<MasterKey> keys);

  const std::string& current_key_id() const noexcept { return keys_.front().id(); }
  std::vector<std::string> key_ids() const;

  // Encrypts `plaintext` under the current key, bound to `context`; "" stays "". Never fails.
  std::string Seal(std::string_view plaintext, std::string_view context) const;

  // Decrypts a value written by Seal with the same `context`; legacy clear text (no "enc:"
  // prefix) comes back unchanged. Errors (all kInternal, message starting "encrypted value"):
  //   "... key <id> is not configured"       the key id is not in this keyring;
  //   "... does not authenticate under key <id>"  wrong key material, altered or truncated;
  //   "... is malformed" / "... has unknown version <v>".
  Result<std::string> Open(std::string_view stored, std::string_view context) const;

  // This keyring with `key` added as the oldest key (for reading only); itself when present.
  std::shared_ptr<const Keyring> WithOlderKey(const MasterKey& key) const;

  // True when `stored` is clear text (other than "") or sealed under an older key: what
  // `keys rotate` rewrites.
  bool NeedsSealing(std::string_view stored) const;

 private:
  explicit Keyring(std::vector<MasterKey> keys) : keys_(std::move(keys)) {}
  const MasterKey* Find(std::string_view id) const;

  std::vector<MasterKey> keys_;
};

// True when `stored` has the sealed form's prefix (it may still be malformed).
inline bool IsSealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }

// The key id of a sealed value ("" when it is not sealed or malformed).
std::string SealedKeyId(std::string_view stored);

// Parses a key file's text: one base64 key per line, first = current, further lines = older keys
// kept for reading; blank lines and lines starting with '#' are ignored.
Result<std::shared_ptr<const Keyring>> KeyringFromText(std::string_view text);

// Where the master key comes from (typed settings, filled from CALLGATE_MASTER_KEY_FILE and
// CALLGATE_MASTER_KEY by app/config).
struct KeySource {
  std::string key_file;  // path of a key file (see KeyringFromText); wins over key_text
  std::string key_text;  // base64 key(s), same format as the file
  bool Configured() const { return !key_file.empty() || !key_text.empty(); }
};

// Loads the keyring from `source`. kInvalidArgument with a message naming the variable when
// nothing is configured, the file cannot be read, or a key does not decode.
Result<std::shared_ptr<const Keyring>> LoadKeyring(const KeySource& source);

// Writes a new key file at `path` (base64 of 32 random bytes and a newline, mode 0600). Refuses
// (kAlreadyExists) to overwrite an existing file. Returns the new key's id.
Result<std::string> WriteNewKeyFile(const std::string& path);

// Prepends a new current key to the existing key file at `path` (the old keys stay, for
// reading, until `keys rotate` has re-encrypted everything). Returns the new key's id.
Result<std::string> AddKeyToFile(const std::string& path);

// The development keyring: one fixed key whose value is public (base64 of SHA-256 of
// "callgate development master key - public, never for production"). Used when APP_ENV is not
// production and no key is configured, and by tests, so local data is still never written in
// clear text. app/config refuses it in production.
std::shared_ptr<const Keyring> DevelopmentKeyring();
inline constexpr std::string_view kDevelopmentMasterKey =
    "W0VA07oO22AumM7GMTjreW3wThBTWaCFV9DNyPidKNg=";

}  // namespace callgate::crypto
