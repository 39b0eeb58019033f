#include "vapi/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace callgate::vapi {
namespace {

constexpr std::array<std::string_view, 5> kPlaceholders = {"{body}", "{timestamp}", "{method}",
                                                           "{url}", "{svix-id}"};

bool EqualsConstantTime(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const EVP_MD* Digest(HmacAlgorithm algorithm) {
  switch (algorithm) {
    case HmacAlgorithm::kSha512:
      return EVP_sha512();
    case HmacAlgorithm::kSha1:
      return EVP_sha1();
    case HmacAlgorithm::kSha256:
      break;
  }
  return EVP_sha256();
}

std::string Encode(SignatureEncoding encoding, const unsigned char* bytes, unsigned int size) {
  if (encoding == SignatureEncoding::kHex) {
    return ToHex(std::span<const std::uint8_t>(bytes, size));
  }
  std::string out(4 * ((size + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
  return out;
}

// Seconds or milliseconds since the epoch, as milliseconds; nullopt unless 1..15 digits.
std::optional<long long> TimestampMillis(std::string_view text) {
  text = TrimBlanks(text);
  if (text.empty() || text.size() > 15) return std::nullopt;
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  // Ten digits are seconds until the year 2286; milliseconds have thirteen.
  return value < 100'000'000'000LL ? value * 1000 : value;
}

Result<Credential> Mismatch() { return Fail(ErrorCode::kUnauthenticated, "mismatch"); }

}  // namespace

std::optional<HmacAlgorithm> ParseHmacAlgorithm(std::string_view name) noexcept {
  if (name == "sha256") return HmacAlgorithm::kSha256;
  if (name == "sha512") return HmacAlgorithm::kSha512;
  if (name == "sha1") return HmacAlgorithm::kSha1;
  return std::nullopt;
}

std::optional<SignatureEncoding> ParseSignatureEncoding(std::string_view name) noexcept {
  if (name == "hex") return SignatureEncoding::kHex;
  if (name == "base64") return SignatureEncoding::kBase64;
  return std::nullopt;
}

Status ValidatePayloadFormat(std::string_view format) {
  for (std::size_t open = format.find('{'); open != std::string_view::npos;
       open = format.find('{', open + 1)) {
    bool known = false;
    for (auto placeholder : kPlaceholders) {
      known = known || format.substr(open, placeholder.size()) == placeholder;
    }
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown placeholder at \"" + std::string(format.substr(open, 12)) +
                      "\" (known: {body}, {timestamp}, {method}, {url}, {svix-id})");
    }
  }
  for (std::string_view needed : {"{body}", "{timestamp}"}) {
    if (format.find(needed) == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "must contain " + std::string(needed));
    }
  }
  return Ok();
}

std::string_view CredentialName(Credential credential) noexcept {
  switch (credential) {
    case Credential::kSecretHeader:
      return "secret_header";
    case Credential::kBearer:
      return "bearer";
    case Credential::kHmac:
      return "hmac";
  }
  return "secret_header";
}

std::string HmacPayload(const HmacSettings& settings, const http::Request& request,
                        std::string_view timestamp) {
  const std::string_view format = settings.payload_format;
  std::string out;
  out.reserve(format.size() + request.body.size());
  for (std::size_t i = 0; i < format.size();) {
    bool replaced = false;
    if (format[i] == '{') {
      for (auto placeholder : kPlaceholders) {
        if (format.substr(i, placeholder.size()) != placeholder) continue;
        if (placeholder == "{body}") {
          out += request.body;
        } else if (placeholder == "{timestamp}") {
          out += timestamp;
        } else if (placeholder == "{method}") {
          out += request.method_token;
        } else if (placeholder == "{url}") {
          out += "https://";
          out += request.Header("Host").value_or("");
          out += request.target;
        } else {
          out += request.Header("svix-id").value_or("");
        }
        i += placeholder.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += format[i++];
  }
  return out;
}

std::string SignHmac(const HmacSettings& settings, const Secret& secret, std::string_view payload) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  const std::string& key = secret.Reveal();
  if (HMAC(Digest(settings.algorithm), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(),
           &size) == nullptr) {
    return std::string();  // never matches a real signature
  }
  return settings.signature_prefix + Encode(settings.encoding, mac.data(), size);
}

std::string CanonicalSignature(const HmacSettings& settings, std::string_view header) {
  std::string received(TrimBlanks(header));
  if (settings.encoding == SignatureEncoding::kHex) {
    // Hex digits in either case; the prefix as configured.
    const std::size_t prefix = settings.signature_prefix.size();
    if (received.size() > prefix)
      received = received.substr(0, prefix) + LowerAscii(received.substr(prefix));
  }
  return received;
}

Result<Credential> VerifyVapiRequest(const http::Request& request, const Secret& secret,
                                     const HmacSettings& settings, SystemTimePoint now) {
  if (secret.empty()) return Fail(ErrorCode::kUnauthenticated, "no secret configured");
  if (auto header = request.Header("X-Vapi-Secret")) {
    if (!secret.Equals(TrimBlanks(*header))) return Mismatch();
    return Credential::kSecretHeader;
  }
  if (auto header = request.Header("Authorization")) {
    std::string_view token = TrimBlanks(*header);
    if (token.size() > 7 && LowerAscii(token.substr(0, 7)) == "bearer ")
      token = TrimBlanks(token.substr(7));
    if (!secret.Equals(token)) return Mismatch();
    return Credential::kBearer;
  }
  auto signature = request.Header(settings.signature_header);
  if (!signature) return Fail(ErrorCode::kUnauthenticated, "missing");
  const std::string_view timestamp =
      TrimBlanks(request.Header(settings.timestamp_header).value_or(""));
  const auto signed_ms = TimestampMillis(timestamp);
  if (!signed_ms) return Fail(ErrorCode::kUnauthenticated, "malformed");
  const long long skew = ToUnixMillis(now) - *signed_ms;
  const long long window_ms = std::chrono::milliseconds(settings.window).count();
  if (skew > window_ms || skew < -window_ms) return Fail(ErrorCode::kUnauthenticated, "stale");
  const std::string expected =
      SignHmac(settings, secret, HmacPayload(settings, request, timestamp));
  const std::string received = CanonicalSignature(settings, *signature);
  if (expected.empty() || !EqualsConstantTime(expected, received)) return Mismatch();
  return Credential::kHmac;
}

}  // namespace callgate::vapi
