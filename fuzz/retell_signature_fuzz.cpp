// Fuzz target: the X-Retell-Signature header parser and verifier (retell/signature.hpp).
//
// Input: the header value, a newline, then the raw request body ("v=…,d=…\n{"event":…}").
// Without a newline the whole input is the header and the body is empty.
//
// Invariants beyond "no crash":
//   - An accepted header has exactly the documented shape v=<1..15 digits>,d=<64 hex digits>,
//     and re-rendering what was parsed (canonical digits, lower-case hex) parses to the same value.
//   - A fuzzed header that verifies for the body is the genuine signature (same digest as
//     SignRetellPayload for its timestamp) and within the ±5 minute window.
//   - The genuine signature of the body verifies; it is rejected with "mismatch" for the body
//     with any one byte changed, one byte appended or the last byte removed, for another key,
//     and for a digest with one hex digit changed; it is "stale" just outside the window.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/secret.hpp"
#include "retell/signature.hpp"

namespace {

using callgate::FromUnixMillis;
using callgate::Secret;
using callgate::retell::ParseSignatureHeader;
using callgate::retell::SignatureHeader;
using callgate::retell::SignRetellPayload;
using callgate::retell::VerifyRetellSignature;

// The key and "now" of the unit tests (signature_test.cpp): their test vector verifies here.
const Secret& Key() {
  static const Secret key("test-api-key");
  return key;
}
constexpr long long kNowMs = 1700000000000LL;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Violation(what);
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string Render(const SignatureHeader& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "v=" + std::to_string(h.timestamp_ms) + ",d=";
  for (auto b : h.digest) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

bool IsMessage(const callgate::Status& s, std::string_view message) {
  return !s && s.error().code == callgate::ErrorCode::kUnauthenticated &&
         s.error().message == message;
}

// Checks what was parsed from `header` against its text.
void CheckParsed(std::string_view header, const SignatureHeader& parsed) {
  Check(header.substr(0, 2) == "v=", "accepted header does not start with v=");
  const std::size_t comma = header.find(",d=");
  Check(comma != std::string_view::npos, "accepted header has no ,d=");
  const std::size_t digits = comma - 2;
  Check(digits >= 1 && digits <= 15, "accepted timestamp has 0 or more than 15 digits");
  long long value = 0;
  for (std::size_t i = 2; i < comma; ++i) {
    Check(header[i] >= '0' && header[i] <= '9', "accepted timestamp has a non-digit");
    value = value * 10 + (header[i] - '0');
  }
  Check(value == parsed.timestamp_ms, "parsed timestamp differs from its digits");
  Check(header.size() == comma + 3 + 64, "accepted digest is not 64 characters");
  for (std::size_t i = comma + 3; i < header.size(); ++i) {
    Check(IsHex(header[i]), "accepted digest has a non-hex character");
  }
  auto again = ParseSignatureHeader(Render(parsed));
  Check(again.has_value(), "canonical rendering of a parsed header is rejected");
  Check(again->timestamp_ms == parsed.timestamp_ms && again->digest == parsed.digest,
        "parse -> render -> parse changed the value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const auto now = FromUnixMillis(kNowMs);

  // The fuzzed header.
  auto parsed = ParseSignatureHeader(header);
  if (parsed) {
    CheckParsed(header, *parsed);
  } else {
    Check(parsed.error().code == callgate::ErrorCode::kUnauthenticated,
          "a rejected header is not kUnauthenticated");
  }
  auto verified = VerifyRetellSignature(header, body, Key(), now);
  if (verified) {
    Check(parsed.has_value(), "a header that does not parse verified");
    const long long skew = kNowMs - parsed->timestamp_ms;
    Check(skew <= 300000 && skew >= -300000, "a stale header verified");
    auto genuine = ParseSignatureHeader(SignRetellPayload(body, Key(), parsed->timestamp_ms));
    Check(genuine && genuine->digest == parsed->digest, "a forged digest verified");
  } else {
    Check(verified.error().code == callgate::ErrorCode::kUnauthenticated,
          "a failed verification is not kUnauthenticated");
  }
  Check(!VerifyRetellSignature(header, body, Secret(), now), "verified without a key");

  // The genuine signature of this body, at a timestamp taken from the input when it has one.
  const long long ts = parsed ? parsed->timestamp_ms : kNowMs;
  const std::string good = SignRetellPayload(body, Key(), ts);
  auto good_parsed = ParseSignatureHeader(good);
  Check(good_parsed.has_value(), "our own signature does not parse");
  CheckParsed(good, *good_parsed);
  const auto at = FromUnixMillis(ts);
  Check(VerifyRetellSignature(good, body, Key(), at).has_value(), "genuine signature rejected");
  Check(VerifyRetellSignature(good, body, Key(), FromUnixMillis(ts + 300000)).has_value(),
        "genuine signature rejected at the window's edge");
  Check(IsMessage(VerifyRetellSignature(good, body, Key(), FromUnixMillis(ts + 300001)), "stale"),
        "genuine signature accepted after the window");
  Check(IsMessage(VerifyRetellSignature(good, body, Key(), FromUnixMillis(ts - 300001)), "stale"),
        "genuine signature accepted before the window");
  Check(IsMessage(VerifyRetellSignature(good, body, Secret("test-api-key-2"), at), "mismatch"),
        "genuine signature accepted with another key");

  // One byte changed, appended or removed: always a mismatch.
  std::string changed(body);
  if (!changed.empty()) {
    const std::size_t pos = header.size() % changed.size();
    changed[pos] = static_cast<char>(changed[pos] ^ (1u << (header.size() % 8)));
    Check(IsMessage(VerifyRetellSignature(good, changed, Key(), at), "mismatch"),
          "signature accepted for a body with one byte changed");
    changed.assign(body.substr(0, body.size() - 1));
    Check(IsMessage(VerifyRetellSignature(good, changed, Key(), at), "mismatch"),
          "signature accepted for a truncated body");
  }
  changed.assign(body);
  changed.push_back('\0');
  Check(IsMessage(VerifyRetellSignature(good, changed, Key(), at), "mismatch"),
        "signature accepted for a body with a byte appended");

  // One digest digit changed.
  std::string tampered = good;
  const std::size_t digit = tampered.size() - 1 - body.size() % 64;
  tampered[digit] = tampered[digit] == '0' ? '1' : '0';
  Check(IsMessage(VerifyRetellSignature(tampered, body, Key(), at), "mismatch"),
        "signature accepted with one digest digit changed");
  return 0;
}
