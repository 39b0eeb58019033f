#include "core/encoding.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace callgate
