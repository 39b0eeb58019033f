#include "retell/signature.hpp"

#include <gtest/gtest.h>

namespace callgate::retell {
namespace {

const Secret kKey("test-api-key");
constexpr std::string_view kBody = R"({"event":"call_ended"})";
constexpr long long kV = 1700000000000LL;
constexpr std::string_view kVector =
    "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e";

Status Verify(std::string_view header, long long now_ms = kV, std::string_view body = kBody) {
  return VerifyRetellSignature(header, body, kKey, FromUnixMillis(now_ms));
}

TEST(RetellSignature, AcceptsTheReferenceTestVector) {
  EXPECT_TRUE(Verify(kVector).has_value());
  EXPECT_EQ(SignRetellPayload(kBody, kKey, kV), kVector);
}

TEST(RetellSignature, AcceptsUpperCaseHex) {
  std::string upper(kVector);
  for (size_t i = 18; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(Verify(upper).has_value());
}

TEST(RetellSignature, RejectsEveryMalformedHeader) {
  const std::string good(kVector);
  const std::string digest = good.substr(18);
  for (const std::string& h : {
           std::string(""),
           std::string("v="),
           std::string("v=1700000000000"),
           "d=" + digest + ",v=1700000000000",  // reversed
           " " + good,
           good + " ",
           "x" + good,
           good + ",",                                         // prefix / suffix
           good + ",e=1",                                      // extra field
           "v=1700000000000,d=" + digest.substr(0, 62),        // 62 chars
           "v=1700000000000,d=" + digest.substr(0, 63) + "g",  // non-hex
           "v=-1700000000000,d=" + digest,                     // negative
           "v=1234567890123456,d=" + digest,                   // 16 digits
           "v=1700000000000, d=" + digest,                     // space
           "V=1700000000000,D=" + digest,
       }) {
    auto r = Verify(h);
    EXPECT_FALSE(r.has_value()) << "accepted: '" << h << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    }
  }
}

// Regression (found by fuzz/retell_signature_fuzz.cpp): an overlong timestamp overflowed
// while it was read, before its length was checked.
TEST(RetellSignature, RejectsOverlongTimestampsWithoutOverflow) {
  const std::string digest(kVector.substr(18));
  for (const std::string& v : {std::string(20, '9'), "1700000000000" + std::string(64, '0')}) {
    auto r = Verify("v=" + v + ",d=" + digest);
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().message, "malformed");
  }
}

TEST(RetellSignature, WindowIsFiveMinutesInclusive) {
  EXPECT_TRUE(Verify(kVector, kV + 300000).has_value());
  EXPECT_TRUE(Verify(kVector, kV - 300000).has_value());
  auto late = Verify(kVector, kV + 300001);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().message, "stale");
  EXPECT_FALSE(Verify(kVector, kV - 300001).has_value());
}

TEST(RetellSignature, RejectsOtherBodyOrKey) {
  auto r = Verify(kVector, kV, R"({"event":"call_started"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "mismatch");
  EXPECT_FALSE(VerifyRetellSignature(kVector, kBody, Secret("other"), FromUnixMillis(kV)));
  EXPECT_FALSE(VerifyRetellSignature(kVector, kBody, Secret(""), FromUnixMillis(kV)));
}

TEST(RetellSignature, VerifiesRawUtf8BytesOfGermanNames) {
  const std::string body = R"({"args":{"name":"Jürgen Weiß","ort":"Köln"}})";
  const auto header = SignRetellPayload(body, kKey, kV);
  EXPECT_TRUE(Verify(header, kV, body).has_value());
  // The same content re-serialised with \u escapes is different bytes and must fail.
  const std::string escaped = R"({"args":{"name":"J\u00fcrgen Wei\u00df","ort":"K\u00f6ln"}})";
  EXPECT_FALSE(Verify(header, kV, escaped).has_value());
}

TEST(HmacSha256Hex, MatchesKnownValue) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace callgate::retell
