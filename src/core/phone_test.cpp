#include "core/phone.hpp"

#include <gtest/gtest.h>

#include "core/testing/fake_clock.hpp"

namespace callgate {
namespace {

TEST(NormalizeE164, NationalGermanNumberGetsCountryCode) {
  auto r = NormalizeE164("030 83793369");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, "+493083793369");
}

TEST(NormalizeE164, InternationalFormsAreEquivalent) {
  for (const char* in :
       {"+49 30 83793369", "+49 (30) 837 93 369", "0049 30 83793369", "+493083793369"}) {
    auto r = NormalizeE164(in);
    ASSERT_TRUE(r.has_value()) << in;
    EXPECT_EQ(*r, "+493083793369") << in;
  }
}

TEST(NormalizeE164, MobileNumber) {
  auto r = NormalizeE164("0151 12345678");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "+4915112345678");
}

TEST(NormalizeE164, RegionFromConfigApplies) {
  auto r = NormalizeE164("01 42 68 53 00", "FR");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "+33142685300");
}

// Answers are remembered per (number, region): asking again, in any order, gives what
// libphonenumber gave the first time, and a region never borrows another region's answer.
TEST(NormalizeE164, RememberedAnswersKeepTheirRegion) {
  for (int round = 0; round < 3; ++round) {
    auto french = NormalizeE164("01 42 68 53 00", "FR");
    ASSERT_TRUE(french.has_value()) << "round " << round;
    EXPECT_EQ(*french, "+33142685300");
    auto german = NormalizeE164("01 42 68 53 00", "DE");
    EXPECT_TRUE(!german.has_value() || *german != *french) << "round " << round;
    auto berlin = NormalizeE164("030 83793369", "DE");
    ASSERT_TRUE(berlin.has_value()) << "round " << round;
    EXPECT_EQ(*berlin, "+493083793369");
    auto invalid = NormalizeE164("+49 30", "DE");
    ASSERT_FALSE(invalid.has_value()) << "round " << round;
    EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  }
}

// A caller's number is personal data: the memo answers from memory within its lifetime, asks
// libphonenumber again after it, and never holds an answer longer than the lifetime.
TEST(PhoneNumberMemo, ForgetsAnswersAfterTheirLifetime) {
  testing::FakeClock clock;
  PhoneNumberMemo memo(clock, std::chrono::minutes(10));
  ASSERT_EQ(*memo.Normalize("0151 12345678", "DE"), "+4915112345678");
  EXPECT_EQ(memo.computed(), 1u);
  clock.Advance(std::chrono::minutes(4));
  ASSERT_EQ(*memo.Normalize("0151 12345678", "DE"), "+4915112345678");
  EXPECT_EQ(memo.computed(), 1u) << "answered from memory within the lifetime";

  // Half a lifetime: the first generation becomes the older one and still answers.
  clock.Advance(std::chrono::minutes(2));
  ASSERT_EQ(*memo.Normalize("030 83793369", "DE"), "+493083793369");
  EXPECT_EQ(memo.computed(), 2u);
  ASSERT_EQ(*memo.Normalize("0151 12345678", "DE"), "+4915112345678");
  EXPECT_EQ(memo.computed(), 2u);
  EXPECT_EQ(memo.size(), 2u);

  // Ten minutes after the mobile number was remembered, it is gone; the Berlin number (four
  // minutes old) is not.
  clock.Advance(std::chrono::minutes(4));
  ASSERT_EQ(*memo.Normalize("030 83793369", "DE"), "+493083793369");
  EXPECT_EQ(memo.computed(), 2u);
  EXPECT_EQ(memo.size(), 1u);
  ASSERT_EQ(*memo.Normalize("0151 12345678", "DE"), "+4915112345678");
  EXPECT_EQ(memo.computed(), 3u) << "asked libphonenumber again after the lifetime";

  // A memo nobody asked for a lifetime holds nothing after the next question.
  clock.Advance(std::chrono::minutes(10));
  ASSERT_FALSE(memo.Normalize("+49 30", "DE").has_value());
  EXPECT_EQ(memo.size(), 1u);
}

TEST(PhoneNumberMemo, HoldsAtMostItsLimit) {
  testing::FakeClock clock;
  PhoneNumberMemo memo(clock, std::chrono::minutes(10), 3);
  for (const char* number : {"030 1111111", "030 2222222", "030 3333333", "030 4444444",
                             "030 5555555", "030 6666666", "030 7777777"}) {
    ASSERT_TRUE(memo.Normalize(number, "DE").has_value()) << number;
    EXPECT_LE(memo.size(), 3u) << number;
  }
  EXPECT_EQ(memo.computed(), 7u);
  EXPECT_FALSE(memo.Normalize("", "DE").has_value());
  EXPECT_FALSE(memo.Normalize(std::string(65, '1'), "DE").has_value());
  EXPECT_EQ(memo.computed(), 7u) << "empty and overlong input never reach libphonenumber";
}

TEST(NormalizeE164, RejectsInvalidNumbers) {
  for (const char* in : {"", "abc", "123", "+49 30", "+999 1234567", "0000000000000000"}) {
    auto r = NormalizeE164(in);
    EXPECT_FALSE(r.has_value()) << in;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(IsWithheldNumber, RecognisesWithheldForms) {
  EXPECT_TRUE(IsWithheldNumber(""));
  EXPECT_TRUE(IsWithheldNumber("anonymous"));
  EXPECT_TRUE(IsWithheldNumber("Anonymous"));
  EXPECT_TRUE(IsWithheldNumber(" private "));
  EXPECT_FALSE(IsWithheldNumber("+4915112345678"));
}

}  // namespace
}  // namespace callgate
