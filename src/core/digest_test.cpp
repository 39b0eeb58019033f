#include "core/digest.hpp"

#include <gtest/gtest.h>

#include <string>

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

TEST(Digest, HmacSha256HashesKeysLongerThanOneBlock) {
  // RFC 4231 test case 6: a 131-byte key is hashed first.
  EXPECT_EQ(ToHex(HmacSha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // The boundary: a key of exactly one block (64 bytes) is padded, one byte more is hashed
  // (values from Python's hmac module).
  EXPECT_EQ(ToHex(HmacSha256(std::string(64, 'k'), "block-size key")),
            "3639ed45f96410ae1abf821aaf15a4e616209464f7e06fb79435d35e485bd3c2");
  EXPECT_EQ(ToHex(HmacSha256(std::string(65, 'k'), "block-", "size key")),
            "492c0e30e79bd478c547ea77404336b1093be9a3fe2de81aca2185a7a92a69fa");
}

TEST(Digest, ToHexIsLowerCaseAndStopsAtMaxBytes) {
  const std::uint8_t bytes[] = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(ToHex(bytes), "00abff10");
  EXPECT_EQ(ToHex(bytes, 2), "00ab");
  EXPECT_EQ(ToHex(bytes, 0), "");
}

}  // namespace
}  // namespace callgate
