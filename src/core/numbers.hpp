#pragma once
// Checked conversions of JSON numbers to int64: a double outside the range (or NaN) or an
// unsigned value above INT64_MAX is no usable value — converting it would be undefined (double)
// or wrap (unsigned). Used by every parser of outside JSON (Retell, Cal.com).

#include <cstdint>
#include <limits>
#include <optional>

namespace callgate {

// Truncates toward zero, like a cast, when the value fits.
inline std::optional<std::int64_t> Int64FromDouble(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

inline std::optional<std::int64_t> Int64FromUnsigned(std::uint64_t u) {
  if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(u);
}

}  // namespace callgate
