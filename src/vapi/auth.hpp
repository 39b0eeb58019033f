#pragma once
// How Vapi proves that a server message comes from it (reference/vapi.md §4). One secret (the
// platform's VAPI_SECRET or a company's vapi_secret) is accepted in each form Vapi can send it:
//   X-Vapi-Secret: <secret>              the legacy inline secret, or a Bearer credential whose
//                                        header is X-Vapi-Secret without prefix
//   Authorization: Bearer <secret>       a Bearer credential (also without the "Bearer " prefix)
//   <signature header>: <prefix><HMAC>   an HMAC credential whose secret key is the secret: the
//                                        HMAC of the payload format filled with the raw body,
//                                        within a replay window around the timestamp header
// Every comparison is constant-time; the reasons of failures are safe to log.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "http/request.hpp"

namespace callgate::vapi {

enum class HmacAlgorithm { kSha256, kSha512, kSha1 };
enum class SignatureEncoding { kHex, kBase64 };

// The HMAC credential as configured in Vapi (VAPI_HMAC_* variables; defaults are Vapi's).
struct HmacSettings {
  std::string signature_header = "x-signature";
  std::string timestamp_header = "x-timestamp";
  HmacAlgorithm algorithm = HmacAlgorithm::kSha256;
  // Placeholders {body}, {timestamp}, {method}, {url}, {svix-id}; must contain {body} and
  // {timestamp} (the signed time is what makes the replay window hold).
  std::string payload_format = "{timestamp}.{body}";
  std::string signature_prefix;  // e.g. "sha256="
  SignatureEncoding encoding = SignatureEncoding::kHex;
  // Largest accepted distance between the signed timestamp (seconds or milliseconds since the
  // epoch: Vapi does not document the unit) and now.
  std::chrono::seconds window{300};
};

std::optional<HmacAlgorithm> ParseHmacAlgorithm(std::string_view name) noexcept;
std::optional<SignatureEncoding> ParseSignatureEncoding(std::string_view name) noexcept;
// kInvalidArgument naming the problem: an unknown placeholder, or {body} or {timestamp} missing.
Status ValidatePayloadFormat(std::string_view format);

// Which form proved the request.
enum class Credential { kSecretHeader, kBearer, kHmac };

std::string_view CredentialName(Credential credential) noexcept;

// Checks `request` against `secret`. The first credential present decides (X-Vapi-Secret, then
// Authorization, then the signature header); a present but wrong one is never excused by
// another. kUnauthenticated with a short reason: "missing", "no secret configured",
// "mismatch", "malformed", "stale". Thread-safe.
Result<Credential> VerifyVapiRequest(const http::Request& request, const Secret& secret,
                                     const HmacSettings& settings, SystemTimePoint now);

// The signature header's value as it is compared: blanks trimmed, hex digits (after the prefix)
// in lower case. Every spelling VerifyVapiRequest accepts for one signature gives one value,
// which is what a replay check binds.
std::string CanonicalSignature(const HmacSettings& settings, std::string_view header);

// The payload format filled in (for signing and verifying). {url} is https://<Host><target>.
std::string HmacPayload(const HmacSettings& settings, const http::Request& request,
                        std::string_view timestamp);

// The signature header value Vapi sends for `payload` (prefix + encoded HMAC): for tests and
// for trying a configuration.
std::string SignHmac(const HmacSettings& settings, const Secret& secret, std::string_view payload);

}  // namespace callgate::vapi
