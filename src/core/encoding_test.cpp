#include "core/encoding.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "core/numbers.hpp"

namespace callgate {
namespace {

TEST(HexDigitValue, AcceptsBothCasesOnly) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('%'), -1);
}

TEST(PercentDecodeStrict, DecodesEscapesAndRejectsBrokenOnes) {
  EXPECT_EQ(PercentDecodeStrict("p%40ss%2Fw%3aord+x"), "p@ss/w:ord+x");
  EXPECT_EQ(PercentDecodeStrict(""), "");
  EXPECT_FALSE(PercentDecodeStrict("50%").has_value());
  EXPECT_FALSE(PercentDecodeStrict("%4").has_value());
  EXPECT_FALSE(PercentDecodeStrict("%zz").has_value());
}

TEST(ParsePositiveId, AcceptsOnlyPositiveDecimalIds) {
  EXPECT_EQ(ParsePositiveId("42"), 42);
  EXPECT_EQ(ParsePositiveId("9223372036854775807"), 9223372036854775807LL);
  for (std::string_view bad : {"", "0", "-1", "+1", "1x", " 1", "9223372036854775808", "abc"}) {
    EXPECT_FALSE(ParsePositiveId(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParsePositiveId(std::nullopt).has_value());
}

TEST(Int64FromJsonNumbers, RefusesWhatDoesNotFit) {
  EXPECT_EQ(Int64FromDouble(1714608475945.7), 1714608475945);
  EXPECT_EQ(Int64FromDouble(-2.5), -2);
  EXPECT_FALSE(Int64FromDouble(9223372036854775808.0).has_value());
  EXPECT_FALSE(Int64FromDouble(-1e300).has_value());
  EXPECT_FALSE(Int64FromDouble(std::numeric_limits<double>::quiet_NaN()).has_value());
  EXPECT_EQ(Int64FromUnsigned(9223372036854775807ULL), 9223372036854775807LL);
  EXPECT_FALSE(Int64FromUnsigned(9223372036854775808ULL).has_value());
}

}  // namespace
}  // namespace callgate
