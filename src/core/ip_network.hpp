#pragma once
// IP networks in CIDR notation (IPv4 and IPv6), for trusted proxies and allowlists.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callgate {

// An address normalised to 16 bytes (IPv4 as IPv4-mapped IPv6).
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4 = false;
};

// Parses "192.0.2.1", "::1", "[::1]" or "::ffff:192.0.2.1". kInvalidArgument otherwise.
Result<IpAddress> ParseIpAddress(std::string_view text);

// "192.0.2.1": an IPv4 address in dotted decimal, as inet_ntop writes it.
std::string FormatIpv4(const std::array<std::uint8_t, 4>& bytes);

class IpNetwork {
 public:
  // Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128 network).
  // kInvalidArgument for malformed text or a prefix out of range.
  static Result<IpNetwork> Parse(std::string_view cidr);

  // True when `address` lies in this network. An IPv4 network also matches the IPv4-mapped
  // IPv6 form of its addresses.
  bool Contains(const IpAddress& address) const noexcept;

  const std::string& text() const noexcept { return text_; }

 private:
  IpAddress base_;
  int prefix_bits_ = 0;  // counted over the 16-byte form
  std::string text_;
};

}  // namespace callgate
