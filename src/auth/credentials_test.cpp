#include "auth/credentials.hpp"

#include <gtest/gtest.h>

#include <set>

#include "auth/model.hpp"

namespace callgate::auth {
namespace {

TEST(PasswordHash, IsArgon2idAndVerifiesOnlyTheRightPassword) {
  const Secret password("correct horse battery staple");
  auto hash = HashPassword(password, PasswordHashCost::Minimum());
  ASSERT_TRUE(hash.has_value()) << hash.error().message;
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find(password.Reveal()), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, password));
  EXPECT_FALSE(VerifyPassword(*hash, Secret("correct horse battery stapl")));
  EXPECT_FALSE(VerifyPassword(*hash, Secret("")));
}

TEST(PasswordHash, InteractiveCostVerifies) {
  const Secret password("a much longer passphrase");
  auto hash = HashPassword(password);
  ASSERT_TRUE(hash.has_value());
  EXPECT_NE(hash->find("m=65536"), std::string::npos) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, password));
}

TEST(PasswordHash, SaltsEveryHash) {
  const Secret password("same password twice");
  auto a = HashPassword(password, PasswordHashCost::Minimum());
  auto b = HashPassword(password, PasswordHashCost::Minimum());
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

TEST(PasswordHash, UnusableMarkersAndForeignHashesNeverVerify) {
  EXPECT_FALSE(VerifyPassword(kNoPassword, Secret("!")));
  EXPECT_FALSE(VerifyPassword("", Secret("")));
  EXPECT_FALSE(VerifyPassword("$2y$10$abcdefghijklmnopqrstuv", Secret("x")));
  EXPECT_FALSE(VerifyPassword("plain-text-password", Secret("plain-text-password")));
}

TEST(ApiTokenText, HasPrefixLengthAndUrlSafeAlphabet) {
  auto token = GenerateToken();
  ASSERT_TRUE(token.has_value());
  const std::string& text = token->text.Reveal();
  EXPECT_EQ(text.size(), kTokenLength);
  EXPECT_EQ(text.rfind("cg_", 0), 0u);
  EXPECT_TRUE(LooksLikeToken(text));
  EXPECT_EQ(token->hash, HashToken(text));
  EXPECT_EQ(token->hash.size(), 64u);
}

TEST(ApiTokenText, EveryTokenIsDifferent) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(GenerateToken()->text.Reveal());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ApiTokenText, HashIsLowerCaseHexSha256) {
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiTokenText, LooksLikeTokenRefusesOtherShapes) {
  EXPECT_FALSE(LooksLikeToken(""));
  EXPECT_FALSE(LooksLikeToken("cg_short"));
  EXPECT_FALSE(LooksLikeToken("xx_" + std::string(43, 'a')));
  EXPECT_FALSE(LooksLikeToken("cg_" + std::string(42, 'a') + "="));
  EXPECT_FALSE(LooksLikeToken("cg_" + std::string(42, 'a') + "+"));
  EXPECT_TRUE(LooksLikeToken("cg_" + std::string(42, 'a') + "-"));
}

TEST(ApiTokenText, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(Roles, RoundTripAndRejectUnknown) {
  for (Role r : {Role::kPlatformAdmin, Role::kCompanyAdmin, Role::kViewer}) {
    EXPECT_EQ(ParseRole(RoleName(r)).value(), r);
  }
  EXPECT_FALSE(ParseRole("admin").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
}

TEST(Abilities, ReadOnlyTokensCannotWrite) {
  Principal p;
  p.abilities = {"read"};
  EXPECT_TRUE(p.CanRead());
  EXPECT_FALSE(p.CanWrite());
  p.abilities = {"write"};
  EXPECT_TRUE(p.CanRead());
  EXPECT_TRUE(p.CanWrite());
  p.abilities = {"*"};
  EXPECT_TRUE(p.CanWrite());
  p.abilities = {};
  EXPECT_FALSE(p.CanRead());
}

}  // namespace
}  // namespace callgate::auth
