#include "core/digest.hpp"

#include <gtest/gtest.h>

namespace callgate {
namespace {

// FIPS 180-2 and RFC 4231 test vectors.
TEST(Digest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abc", 4), "ba7816bf");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HmacSha256MatchesRfc4231AndJoinsItsTwoParts) {
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")), expected);
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want ", "for nothing?")), expected);
  // An empty key is a valid key (RFC 2104 pads it), not a failure.
  EXPECT_EQ(ToHex(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Digest, ToHexIsLowerCaseAndStopsAtMaxBytes) {
  const std::uint8_t bytes[] = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(ToHex(bytes), "00abff10");
  EXPECT_EQ(ToHex(bytes, 2), "00ab");
  EXPECT_EQ(ToHex(bytes, 0), "");
}

}  // namespace
}  // namespace callgate
