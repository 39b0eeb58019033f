#include "core/phone.hpp"

#include <gtest/gtest.h>

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
