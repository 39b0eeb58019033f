#include "core/ip_network.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace callgate {

Result<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 45) return Fail(ErrorCode::kInvalidArgument, "bad address");
  const std::string s(text);
  IpAddress out;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out.is_v4 = true;
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    out.is_v4 = std::memcmp(out.bytes.data(), kMapped, 12) == 0;
    return out;
  }
  return Fail(ErrorCode::kInvalidArgument, "bad address: " + s);
}

Result<IpNetwork> IpNetwork::Parse(std::string_view cidr) {
  const auto slash = cidr.find('/');
  auto address = ParseIpAddress(cidr.substr(0, slash));
  if (!address) return Fail(ErrorCode::kInvalidArgument, "bad network: " + std::string(cidr));
  const bool v4_text = cidr.substr(0, slash).find(':') == std::string_view::npos;
  const int max_bits = v4_text ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto digits = cidr.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || bits < 0 ||
        bits > max_bits) {
      return Fail(ErrorCode::kInvalidArgument, "bad prefix length: " + std::string(cidr));
    }
  }
  IpNetwork net;
  net.base_ = *address;
  net.prefix_bits_ = v4_text ? bits + 96 : bits;
  net.text_ = std::string(cidr);
  return net;
}

bool IpNetwork::Contains(const IpAddress& address) const noexcept {
  int remaining = prefix_bits_;
  for (size_t i = 0; i < 16 && remaining > 0; ++i, remaining -= 8) {
    const std::uint8_t mask =
        remaining >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - remaining));
    if ((address.bytes[i] & mask) != (base_.bytes[i] & mask)) return false;
  }
  return true;
}

std::string FormatIpv4(const std::array<std::uint8_t, 4>& bytes) {
  std::string out;
  out.reserve(15);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += '.';
    const unsigned b = bytes[i];
    if (b >= 100) out += static_cast<char>('0' + b / 100);
    if (b >= 10) out += static_cast<char>('0' + b / 10 % 10);
    out += static_cast<char>('0' + b % 10);
  }
  return out;
}

}  // namespace callgate
