#include "crypto/keyring.hpp"

#include <sodium.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/digest.hpp"
#include "core/private_file.hpp"

namespace callgate::crypto {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

void InitSodium() {
  // sodium_init is idempotent and thread-safe; it fails only without a random source.
  static const int ready = sodium_init();
  if (ready < 0) std::abort();
}

std::string ToBase64(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, kBase64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kBase64Variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// The same text as ToBase64, from a table: for ciphertext, which is stored in the clear
// anyway, so the constant time of libsodium's encoder (several times slower; a sealed webhook
// payload is a kilobyte) buys nothing. Key material goes through ToBase64.
void AppendCiphertextBase64(const unsigned char* data, std::size_t size, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t start = out.size();
  out.resize(start + (size + 2) / 3 * 4);
  char* p = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned v = unsigned{data[i]} << 16 | unsigned{data[i + 1]} << 8 | data[i + 2];
    *p++ = kAlphabet[v >> 18 & 63];
    *p++ = kAlphabet[v >> 12 & 63];
    *p++ = kAlphabet[v >> 6 & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (i < size) {
    const bool two = i + 1 < size;
    const unsigned v = unsigned{data[i]} << 16 | (two ? unsigned{data[i + 1]} << 8 : 0u);
    *p++ = kAlphabet[v >> 18 & 63];
    *p++ = kAlphabet[v >> 12 & 63];
    *p++ = two ? kAlphabet[v >> 6 & 63] : '=';
    *p++ = '=';
  }
}

// Strict base64 (standard alphabet, padding optional); nullopt when it does not decode.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t size = 0;
  const char* end = nullptr;
  const int variant = text.ends_with('=') ? sodium_base64_VARIANT_ORIGINAL
                                          : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "enc:v1:<id>:<payload>" split into its parts; false when the shape is wrong.
struct SealedParts {
  std::string_view version, key_id, payload;
};
bool Split(std::string_view stored, SealedParts& parts) {
  if (!IsSealed(stored)) return false;
  stored.remove_prefix(kSealedPrefix.size());
  const auto a = stored.find(':');
  if (a == std::string_view::npos) return false;
  const auto b = stored.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  parts.version = stored.substr(0, a);
  parts.key_id = stored.substr(a + 1, b - a - 1);
  parts.payload = stored.substr(b + 1);
  return !parts.key_id.empty();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kInvalidArgument,
                "CALLGATE_MASTER_KEY_FILE: cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes a key file through PrivateFile (mode 0600 from the start, synced before it is named),
// then wipes the buffered copy of the key material along with `text`'s.
Status WriteKeyFile(const std::string& path, std::string& text, PrivateFile::Existing existing) {
  PrivateFile file(path, existing);
  Status written = file.Create();
  if (written) {
    file.Write(text);
    written = file.Publish();
  }
  sodium_memzero(text.data(), text.size());
  if (!written && written.error().code == ErrorCode::kAlreadyExists) {
    return Fail(ErrorCode::kAlreadyExists, path + " already exists; not overwriting a key");
  }
  return written;
}

}  // namespace

MasterKey::MasterKey(const std::array<std::uint8_t, kMasterKeyBytes>& bytes) : bytes_(bytes) {
  std::string material = "callgate-key-id:";
  material.append(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  id_ = Sha256Hex(material, 4);
  sodium_memzero(material.data(), material.size());
}

MasterKey::MasterKey(const MasterKey& other) = default;
MasterKey& MasterKey::operator=(const MasterKey& other) = default;
MasterKey::~MasterKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

Result<MasterKey> MasterKey::FromBase64(std::string_view text) {
  InitSodium();
  auto decoded = DecodeBase64(Trim(text));
  if (!decoded || decoded->size() != kMasterKeyBytes) {
    const std::size_t size = decoded ? decoded->size() : 0;
    if (decoded) sodium_memzero(decoded->data(), decoded->size());
    return Fail(ErrorCode::kInvalidArgument,
                decoded ? "master key must be 32 bytes, got " + std::to_string(size)
                        : std::string("master key is not base64"));
  }
  std::array<std::uint8_t, kMasterKeyBytes> bytes{};
  std::memcpy(bytes.data(), decoded->data(), kMasterKeyBytes);
  sodium_memzero(decoded->data(), decoded->size());
  MasterKey key(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

MasterKey MasterKey::Generate() {
  InitSodium();
  std::array<std::uint8_t, kMasterKeyBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  MasterKey key(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

std::string MasterKey::ToBase64() const { return crypto::ToBase64(bytes_.data(), bytes_.size()); }

Result<std::shared_ptr<const Keyring>> Keyring::Create(std::vector<MasterKey> keys) {
  InitSodium();
  if (keys.empty()) return Fail(ErrorCode::kInvalidArgument, "the keyring needs a master key");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      if (keys[i].id() == keys[j].id()) {
        return Fail(ErrorCode::kInvalidArgument, "master key " + keys[i].id() + " is listed twice");
      }
    }
  }
  return std::shared_ptr<const Keyring>(new Keyring(std::move(keys)));
}

std::shared_ptr<const Keyring> Keyring::WithOlderKey(const MasterKey& key) const {
  std::vector<MasterKey> keys = keys_;
  if (Find(key.id()) == nullptr) keys.push_back(key);
  return std::shared_ptr<const Keyring>(new Keyring(std::move(keys)));
}

std::vector<std::string> Keyring::key_ids() const {
  std::vector<std::string> ids;
  for (const auto& key : keys_) ids.push_back(key.id());
  return ids;
}

const MasterKey* Keyring::Find(std::string_view id) const {
  for (const auto& key : keys_) {
    if (key.id() == id) return &key;
  }
  return nullptr;
}

std::string Keyring::Seal(std::string_view plaintext, std::string_view context) const {
  if (plaintext.empty()) return {};
  const MasterKey& key = keys_.front();
  std::string box(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(context.data()), context.size(),
      nullptr, nonce, key.bytes().data());
  box.resize(kNonceBytes + written);
  std::string out;
  out.reserve(kSealedPrefix.size() + kVersion.size() + key.id().size() + 2 +
              (box.size() + 2) / 3 * 4);
  out.append(kSealedPrefix).append(kVersion).append(":").append(key.id()).append(":");
  AppendCiphertextBase64(reinterpret_cast<const unsigned char*>(box.data()), box.size(), out);
  return out;
}

Result<std::string> Keyring::Open(std::string_view stored, std::string_view context) const {
  if (!IsSealed(stored)) return std::string(stored);
  SealedParts parts;
  if (!Split(stored, parts)) return Fail(ErrorCode::kInternal, "encrypted value is malformed");
  if (parts.version != kVersion) {
    return Fail(ErrorCode::kInternal,
                "encrypted value has unknown version " + std::string(parts.version.substr(0, 8)));
  }
  const MasterKey* key = Find(parts.key_id);
  if (!key) {
    return Fail(ErrorCode::kInternal,
                "encrypted value: key " + std::string(parts.key_id.substr(0, 16)) +
                    " is not configured (set CALLGATE_MASTER_KEY_FILE to the key file that "
                    "holds it)");
  }
  auto box = DecodeBase64(parts.payload);
  if (!box) return Fail(ErrorCode::kInternal, "encrypted value is malformed (bad base64)");
  if (box->size() < kNonceBytes + kTagBytes) {
    return Fail(ErrorCode::kInternal, "encrypted value is malformed (too short)");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(box->data());
  std::string plain(box->size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &size, nullptr, nonce + kNonceBytes,
          box->size() - kNonceBytes, reinterpret_cast<const unsigned char*>(context.data()),
          context.size(), nonce, key->bytes().data()) != 0) {
    return Fail(ErrorCode::kInternal, "encrypted value does not authenticate under key " +
                                          key->id() + " (wrong key or altered data)");
  }
  plain.resize(size);
  return plain;
}

bool Keyring::NeedsSealing(std::string_view stored) const {
  return !stored.empty() && SealedKeyId(stored) != current_key_id();
}

std::string SealedKeyId(std::string_view stored) {
  SealedParts parts;
  if (!Split(stored, parts)) return "";
  return std::string(parts.key_id);
}

Result<std::shared_ptr<const Keyring>> KeyringFromText(std::string_view text) {
  std::vector<MasterKey> keys;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.starts_with('#')) continue;
    auto key = MasterKey::FromBase64(line);
    if (!key) {
      return Fail(ErrorCode::kInvalidArgument, "key " + std::to_string(keys.size() + 1) +
                                                   " (line " + std::to_string(line_number) +
                                                   "): " + key.error().message);
    }
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) return Fail(ErrorCode::kInvalidArgument, "no master key in the text");
  return Keyring::Create(std::move(keys));
}

Result<std::shared_ptr<const Keyring>> LoadKeyring(const KeySource& source) {
  if (!source.Configured()) {
    return Fail(ErrorCode::kInvalidArgument,
                "no master key: set CALLGATE_MASTER_KEY_FILE (create one with `callgate keys "
                "generate <file>`) or CALLGATE_MASTER_KEY");
  }
  if (!source.key_file.empty()) {
    auto text = ReadFile(source.key_file);
    if (!text) return tl::unexpected(text.error());
    auto keyring = KeyringFromText(*text);
    sodium_memzero(text->data(), text->size());
    if (!keyring) {
      return Fail(ErrorCode::kInvalidArgument,
                  "CALLGATE_MASTER_KEY_FILE (" + source.key_file + "): " + keyring.error().message);
    }
    return keyring;
  }
  auto keyring = KeyringFromText(source.key_text);
  if (!keyring) {
    return Fail(ErrorCode::kInvalidArgument, "CALLGATE_MASTER_KEY: " + keyring.error().message);
  }
  return keyring;
}

Result<std::string> WriteNewKeyFile(const std::string& path) {
  const MasterKey key = MasterKey::Generate();
  std::string text = key.ToBase64() + "\n";
  auto written = WriteKeyFile(path, text, PrivateFile::Existing::kRefuse);
  if (!written) return tl::unexpected(written.error());
  return key.id();
}

Result<std::string> AddKeyToFile(const std::string& path) {
  auto old_text = ReadFile(path);
  if (!old_text) return tl::unexpected(old_text.error());
  if (auto valid = KeyringFromText(*old_text); !valid) {
    return Fail(ErrorCode::kInvalidArgument, path + ": " + valid.error().message);
  }
  const MasterKey key = MasterKey::Generate();
  std::string text = key.ToBase64() + "\n" + *old_text;
  if (!text.ends_with('\n')) text += "\n";
  sodium_memzero(old_text->data(), old_text->size());
  auto written = WriteKeyFile(path, text, PrivateFile::Existing::kReplace);
  if (!written) return tl::unexpected(written.error());
  return key.id();
}

std::shared_ptr<const Keyring> DevelopmentKeyring() {
  static const std::shared_ptr<const Keyring> keyring = *KeyringFromText(kDevelopmentMasterKey);
  return keyring;
}

}  // namespace callgate::crypto
