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
