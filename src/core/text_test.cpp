#include "core/text.hpp"

#include <gtest/gtest.h>

namespace callgate {
namespace {

TEST(TrimBlanks, RemovesSpacesAndTabsOnlyAtBothEnds) {
  EXPECT_EQ(TrimBlanks(" \t Bearer x \t"), "Bearer x");
  EXPECT_EQ(TrimBlanks("a b"), "a b");
  EXPECT_EQ(TrimBlanks(" \t "), "");
  EXPECT_EQ(TrimBlanks(""), "");
  EXPECT_EQ(TrimBlanks("\nx\r"), "\nx\r");  // only optional whitespace, never line breaks
  static_assert(TrimBlanks("  k ") == "k");
}

TEST(LowerAscii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(LowerAscii("Bearer ABC-xyz_09"), "bearer abc-xyz_09");
  EXPECT_EQ(LowerAscii("ÄÖÜ Straße"), "ÄÖÜ straße");  // UTF-8 bytes stay as they are
  EXPECT_EQ(LowerAscii(""), "");
}

}  // namespace
}  // namespace callgate
