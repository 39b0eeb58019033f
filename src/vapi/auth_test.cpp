#include "vapi/auth.hpp"

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "core/testing/fake_clock.hpp"

namespace callgate::vapi {
namespace {

const Secret kSecret("vapi-secret-123");
constexpr std::string_view kBody = R"({"message":{"type":"status-update","status":"ended"}})";

class VapiAuth : public ::testing::Test {
 protected:
  http::Request Request(std::initializer_list<std::pair<std::string, std::string>> headers) {
    http::Request r;
    r.method = http::Method::kPost;
    r.method_token = "POST";
    r.target = r.path = "/webhooks/vapi";
    r.body = std::string(kBody);
    for (const auto& [name, value] : headers) r.headers.Add(name, value);
    return r;
  }
  Result<Credential> Verify(const http::Request& r, const HmacSettings& settings = {}) {
    return VerifyVapiRequest(r, kSecret, settings, clock_.Now());
  }
  std::string Seconds(long long offset = 0) {
    return std::to_string(ToUnixMillis(clock_.Now()) / 1000 + offset);
  }
  // A request signed the way Vapi's HMAC credential signs it.
  http::Request Signed(const HmacSettings& settings, const std::string& timestamp,
                       const Secret& secret = kSecret) {
    auto r = Request({{settings.timestamp_header, timestamp}, {"Host", "callgate.example"}});
    r.headers.Add(settings.signature_header,
                  SignHmac(settings, secret, HmacPayload(settings, r, timestamp)));
    return r;
  }

  callgate::testing::FakeClock clock_;
};

TEST_F(VapiAuth, AcceptsTheSecretHeaderAndBearerWithOrWithoutPrefix) {
  EXPECT_EQ(Verify(Request({{"X-Vapi-Secret", "vapi-secret-123"}})).value(),
            Credential::kSecretHeader);
  EXPECT_EQ(Verify(Request({{"x-vapi-secret", "vapi-secret-123"}})).value(),
            Credential::kSecretHeader);
  EXPECT_EQ(Verify(Request({{"Authorization", "Bearer vapi-secret-123"}})).value(),
            Credential::kBearer);
  EXPECT_EQ(Verify(Request({{"Authorization", "bearer vapi-secret-123"}})).value(),
            Credential::kBearer);
  // A Bearer credential with bearerPrefixEnabled = false.
  EXPECT_EQ(Verify(Request({{"Authorization", "vapi-secret-123"}})).value(), Credential::kBearer);
}

TEST_F(VapiAuth, RefusesMissingAndWrongSecretsWithoutFallingBackToAnotherCredential) {
  EXPECT_EQ(Verify(Request({})).error().message, "missing");
  EXPECT_EQ(Verify(Request({{"X-Vapi-Secret", "vapi-secret-12"}})).error().message, "mismatch");
  EXPECT_EQ(Verify(Request({{"X-Vapi-Secret", "vapi-secret-1234"}})).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(Verify(Request({{"Authorization", "Bearer other"}})).error().message, "mismatch");
  EXPECT_EQ(Verify(Request({{"Authorization", "Basic dmFwaS1zZWNyZXQtMTIz"}})).error().message,
            "mismatch");
  // A wrong secret header is not excused by a right bearer token.
  EXPECT_FALSE(
      Verify(Request({{"X-Vapi-Secret", "wrong"}, {"Authorization", "Bearer vapi-secret-123"}}))
          .has_value());
  // No secret configured: nothing passes, not even an empty header.
  EXPECT_EQ(VerifyVapiRequest(Request({{"X-Vapi-Secret", ""}}), Secret(), {}, clock_.Now())
                .error()
                .message,
            "no secret configured");
}

TEST_F(VapiAuth, HmacWithVapisDefaultsMatchesAnIndependentComputation) {
  HmacSettings settings;
  const std::string ts = Seconds();
  auto r = Request(
      {{"x-timestamp", ts},
       {"x-signature", ToHex(HmacSha256(kSecret.Reveal(), ts + "." + std::string(kBody)))}});
  EXPECT_EQ(Verify(r, settings).value(), Credential::kHmac);
  // Upper-case hex digits are the same signature.
  auto upper = Request({{"x-timestamp", ts}});
  std::string sig = ToHex(HmacSha256(kSecret.Reveal(), ts + "." + std::string(kBody)));
  for (char& c : sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.headers.Add("x-signature", sig);
  EXPECT_TRUE(Verify(upper, settings).has_value());
}

TEST_F(VapiAuth, HmacIsRefusedWhenStaleWrongTamperedOrWithoutTimestamp) {
  HmacSettings settings;
  EXPECT_TRUE(Verify(Signed(settings, Seconds(-299)), settings).has_value());
  EXPECT_TRUE(Verify(Signed(settings, Seconds(299)), settings).has_value());
  EXPECT_EQ(Verify(Signed(settings, Seconds(-301)), settings).error().message, "stale");
  EXPECT_EQ(Verify(Signed(settings, Seconds(301)), settings).error().message, "stale");
  EXPECT_EQ(Verify(Signed(settings, Seconds(), Secret("another-secret")), settings).error().message,
            "mismatch");
  auto tampered = Signed(settings, Seconds());
  tampered.body += " ";
  EXPECT_EQ(Verify(tampered, settings).error().message, "mismatch");
  auto no_time = Request({{"x-signature", "abc"}});
  EXPECT_EQ(Verify(no_time, settings).error().message, "malformed");
  auto bad_time = Request({{"x-signature", "abc"}, {"x-timestamp", "12a"}});
  EXPECT_EQ(Verify(bad_time, settings).error().message, "malformed");
}

TEST_F(VapiAuth, HmacTimestampsMayBeSecondsOrMilliseconds) {
  HmacSettings settings;
  const std::string ms = std::to_string(ToUnixMillis(clock_.Now()) - 1000);
  EXPECT_TRUE(Verify(Signed(settings, ms), settings).has_value());
  const std::string stale_ms = std::to_string(ToUnixMillis(clock_.Now()) - 301'000);
  EXPECT_EQ(Verify(Signed(settings, stale_ms), settings).error().message, "stale");
}

TEST_F(VapiAuth, HmacFollowsTheConfiguredHeaderAlgorithmFormatPrefixAndEncoding) {
  HmacSettings settings;
  settings.signature_header = "x-vapi-signature";
  settings.timestamp_header = "x-vapi-timestamp";
  settings.algorithm = HmacAlgorithm::kSha512;
  settings.payload_format = "{method} {url}\n{timestamp}\n{body}";
  settings.signature_prefix = "sha512=";
  settings.encoding = SignatureEncoding::kBase64;
  const std::string ts = Seconds();
  auto r = Signed(settings, ts);
  EXPECT_EQ(HmacPayload(settings, r, ts),
            "POST https://callgate.example/webhooks/vapi\n" + ts + "\n" + std::string(kBody));
  const std::string sig(r.Header("x-vapi-signature").value());
  EXPECT_TRUE(sig.starts_with("sha512=")) << sig;
  EXPECT_EQ(sig.size(), 7u + 88u);  // base64 of 64 bytes
  EXPECT_EQ(Verify(r, settings).value(), Credential::kHmac);
  // The same request checked with the defaults is not signed for them.
  EXPECT_FALSE(Verify(r).has_value());
  // Without the prefix the signature does not match.
  auto unprefixed = Request({{"x-vapi-timestamp", ts}, {"Host", "callgate.example"}});
  unprefixed.headers.Add("x-vapi-signature", sig.substr(7));
  EXPECT_EQ(Verify(unprefixed, settings).error().message, "mismatch");
  for (auto algorithm : {HmacAlgorithm::kSha1, HmacAlgorithm::kSha256}) {
    settings.algorithm = algorithm;
    EXPECT_TRUE(Verify(Signed(settings, ts), settings).has_value());
  }
}

TEST_F(VapiAuth, PayloadFormatsAndNamesAreValidated) {
  EXPECT_TRUE(ValidatePayloadFormat("{timestamp}.{body}").has_value());
  EXPECT_TRUE(ValidatePayloadFormat("{svix-id}.{timestamp}.{body}").has_value());
  EXPECT_FALSE(ValidatePayloadFormat("{body}").has_value());  // no replay window
  EXPECT_FALSE(ValidatePayloadFormat("{timestamp}").has_value());
  EXPECT_FALSE(ValidatePayloadFormat("{timestamp}.{bdy}").has_value());
  EXPECT_EQ(ParseHmacAlgorithm("sha512"), HmacAlgorithm::kSha512);
  EXPECT_EQ(ParseHmacAlgorithm("md5"), std::nullopt);
  EXPECT_EQ(ParseSignatureEncoding("base64"), SignatureEncoding::kBase64);
  EXPECT_EQ(ParseSignatureEncoding("b64"), std::nullopt);
}

}  // namespace
}  // namespace callgate::vapi
