#pragma once
// Masking of personal data for logs and error messages (docs/privacy.md): enough to tell two
// callers apart while debugging, not enough to call or write to them.

#include <string>
#include <string_view>

namespace callgate {

// "+4915112345678" → "+49151****678": the country and network prefix and the last three digits.
// Shorter inputs keep at most their first three characters: "+4930" → "+49****".
inline std::string MaskPhone(std::string_view phone) {
  if (phone.size() >= 10) {
    return std::string(phone.substr(0, 6)) + "****" + std::string(phone.substr(phone.size() - 3));
  }
  return std::string(phone.substr(0, phone.size() < 3 ? phone.size() : 3)) + "****";
}

// "otto@example.org" → "o***@example.org"; text without '@' → "***".
inline std::string MaskEmail(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(email.substr(0, 1)) + "***" + std::string(email.substr(at));
}

}  // namespace callgate
