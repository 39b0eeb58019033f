#pragma once
// Small text encodings shared by the URL parsers, the signature checks and the APIs' ids.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callgate {

// Value of a hexadecimal digit (either case), or -1 for any other character.
constexpr int HexDigitValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes strictly: nullopt for a '%' not followed by two hex digits. '+' stays '+'
// (URL userinfo and paths, not form data).
inline std::optional<std::string> PercentDecodeStrict(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    const int hi = i + 2 < in.size() ? HexDigitValue(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? HexDigitValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// A database id as written in a URL or query string: decimal digits only, greater than zero.
inline std::optional<std::int64_t> ParsePositiveId(std::optional<std::string_view> text) {
  if (!text || text->empty()) return std::nullopt;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), id);
  if (ec != std::errc() || end != text->data() + text->size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace callgate
