#include "core/ip_network.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace callgate {
namespace {

bool In(std::string_view net, std::string_view addr) {
  auto n = IpNetwork::Parse(net);
  auto a = ParseIpAddress(addr);
  EXPECT_TRUE(n.has_value()) << net;
  EXPECT_TRUE(a.has_value()) << addr;
  return n && a && n->Contains(*a);
}

TEST(FormatIpv4, WritesEveryByteAsInetNtopDoesAndParsesBack) {
  for (unsigned b = 0; b < 256; ++b) {
    const std::array<std::uint8_t, 4> bytes{static_cast<std::uint8_t>(b), 0,
                                            static_cast<std::uint8_t>(255 - b),
                                            static_cast<std::uint8_t>(b * 7)};
    char expected[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, bytes.data(), expected, sizeof expected), nullptr);
    const std::string text = FormatIpv4(bytes);
    EXPECT_EQ(text, expected);
    auto parsed = ParseIpAddress(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_TRUE(parsed->is_v4);
  }
}

TEST(IpNetwork, MatchesIpv4Prefixes) {
  EXPECT_TRUE(In("10.0.0.0/8", "10.200.1.2"));
  EXPECT_FALSE(In("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(In("192.168.1.0/25", "192.168.1.127"));
  EXPECT_FALSE(In("192.168.1.0/25", "192.168.1.128"));
  EXPECT_TRUE(In("100.20.5.228", "100.20.5.228"));
  EXPECT_FALSE(In("100.20.5.228", "100.20.5.229"));
  EXPECT_TRUE(In("0.0.0.0/0", "203.0.113.9"));
}

TEST(IpNetwork, MatchesIpv6AndMappedIpv4) {
  EXPECT_TRUE(In("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(In("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(In("::1", "[::1]"));
  EXPECT_TRUE(In("127.0.0.0/8", "::ffff:127.0.0.1"));
  EXPECT_FALSE(In("::1/128", "127.0.0.1"));
}

TEST(IpNetwork, RejectsMalformed) {
  for (const char* s :
       {"", "10.0.0.0/33", "10.0.0/8", "::1/129", "abc", "10.0.0.0/", "1.2.3.4/x"}) {
    EXPECT_FALSE(IpNetwork::Parse(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace callgate
