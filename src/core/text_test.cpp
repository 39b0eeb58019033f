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

TEST(Utf8CharLength, TellsWellFormedCharactersFromBytesThatAreNone) {
  EXPECT_EQ(Utf8CharLength("a", 0), 1u);
  EXPECT_EQ(Utf8CharLength("ä", 0), 2u);
  EXPECT_EQ(Utf8CharLength("€", 0), 3u);
  EXPECT_EQ(Utf8CharLength("😀", 0), 4u);
  EXPECT_EQ(Utf8CharLength("a", 1), 0u);                          // past the end
  EXPECT_EQ(Utf8CharLength("ä", 1), 0u);                          // a continuation byte alone
  EXPECT_EQ(Utf8CharLength(std::string_view("\xC3", 1), 0), 0u);  // cut
  EXPECT_EQ(Utf8CharLength("\xC0\xAF", 0), 0u);                   // overlong '/'
  EXPECT_EQ(Utf8CharLength("\xE0\x80\xAF", 0), 0u);               // overlong
  EXPECT_EQ(Utf8CharLength("\xED\xA0\x80", 0), 0u);               // a surrogate
  EXPECT_EQ(Utf8CharLength("\xF4\x90\x80\x80", 0), 0u);           // above U+10FFFF
  EXPECT_EQ(Utf8CharLength("\xFF", 0), 0u);
  static_assert(Utf8CharLength("xä", 1) == 2);
}

TEST(HasControlCharacter, FindsControlsSeparatorsAndDirectionOverridesButNoLetters) {
  for (const char* text : {"a\nb", "a\tb", "a\x7f", "a\u0085b", "\u0080", "a\u009f", "a\u2028b",
                           "a\u2029", "\u202eabc", "\u202a", "a\u2066b", "a\u2069"}) {
    EXPECT_TRUE(HasControlCharacter(text)) << text;
  }
  EXPECT_TRUE(HasControlCharacter(std::string_view("a\0b", 3)));
  for (const char* text : {"", "Praxis Dr. Müller", "Straße 5 – Hinterhaus", "Café „Süd“",
                           "\u00a0non-breaking", "\u2027 \u202f \u2065 \u206a", "日本"}) {
    EXPECT_FALSE(HasControlCharacter(text)) << text;
  }
}

TEST(BlankControlCharacters, ReplacesEachControlCharacterByOneSpaceAndKeepsTheRest) {
  EXPECT_EQ(BlankControlCharacters("a\nb\tc\x7f"), "a b c ");
  EXPECT_EQ(BlankControlCharacters("\u202eabc\u2069 \u0085x\u2028"), " abc   x ");
  EXPECT_EQ(BlankControlCharacters(std::string_view("a\0b", 3)), "a b");
  for (const char* text : {"", "Praxis Dr. Müller", "Café „Süd“", "\u00a0\u2027\u202f", "日本"}) {
    EXPECT_EQ(BlankControlCharacters(text), text);
  }
  EXPECT_FALSE(HasControlCharacter(BlankControlCharacters("x\u009f\u2066\r\n")));
}

TEST(LowerAscii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(LowerAscii("Bearer ABC-xyz_09"), "bearer abc-xyz_09");
  EXPECT_EQ(LowerAscii("ÄÖÜ Straße"), "ÄÖÜ straße");  // UTF-8 bytes stay as they are
  EXPECT_EQ(LowerAscii(""), "");
}

}  // namespace
}  // namespace callgate
