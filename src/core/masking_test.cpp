#include "core/masking.hpp"

#include <gtest/gtest.h>

namespace callgate {
namespace {

TEST(MaskPhone, KeepsPrefixAndLastThreeDigits) {
  EXPECT_EQ(MaskPhone("+4915112345678"), "+49151****678");
  EXPECT_EQ(MaskPhone("+493083793369"), "+49308****369");
  EXPECT_EQ(MaskPhone("+4930"), "+49****");
  EXPECT_EQ(MaskPhone("12"), "12****");
  EXPECT_EQ(MaskPhone(""), "****");
}

TEST(MaskEmail, KeepsTheFirstLetterAndTheDomain) {
  EXPECT_EQ(MaskEmail("otto@example.org"), "o***@example.org");
  EXPECT_EQ(MaskEmail("not-an-address"), "***");
  EXPECT_EQ(MaskEmail("@example.org"), "***");
}

}  // namespace
}  // namespace callgate
