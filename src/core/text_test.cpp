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

TEST(Utf8Prefix, CutsAtMostThatManyBytesAndNeverInsideACharacter) {
  EXPECT_EQ(Utf8Prefix("abcdef", 4), "abcd");
  EXPECT_EQ(Utf8Prefix("abc", 4), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 0), "");
  // "ä" is two bytes, "€" three, "😀" four: a cut inside one leaves it out whole.
  EXPECT_EQ(Utf8Prefix("aä", 2), "a");
  EXPECT_EQ(Utf8Prefix("aä", 3), "aä");
  EXPECT_EQ(Utf8Prefix("a€b", 2), "a");
  EXPECT_EQ(Utf8Prefix("a€b", 3), "a");
  EXPECT_EQ(Utf8Prefix("a€b", 4), "a€");
  EXPECT_EQ(Utf8Prefix("😀😀", 7), "😀");
  EXPECT_EQ(Utf8Prefix("😀", 3), "");
  static_assert(Utf8Prefix("xä", 2) == "x");
}

TEST(LowerAscii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(LowerAscii("Bearer ABC-xyz_09"), "bearer abc-xyz_09");
  EXPECT_EQ(LowerAscii("ÄÖÜ Straße"), "ÄÖÜ straße");  // UTF-8 bytes stay as they are
  EXPECT_EQ(LowerAscii(""), "");
}

}  // namespace
}  // namespace callgate
