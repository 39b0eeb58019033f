#include "core/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace callgate {

Result<std::string> NormalizeE164(std::string_view input, std::string_view default_region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  if (input.empty() || input.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "phone number is empty or too long");
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber parsed;
  const auto rc = util->Parse(std::string(input), std::string(default_region), &parsed);
  if (rc != PhoneNumberUtil::NO_PARSING_ERROR) {
    return Fail(ErrorCode::kInvalidArgument, "not a phone number");
  }
  if (!util->IsValidNumber(parsed)) {
    return Fail(ErrorCode::kInvalidArgument, "not a valid phone number");
  }
  std::string out;
  util->Format(parsed, PhoneNumberUtil::E164, &out);
  return out;
}

bool IsWithheldNumber(std::string_view input) noexcept {
  std::string lowered;
  for (char c : input) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  static constexpr std::array<std::string_view, 6> kWithheld = {
      "", "anonymous", "unknown", "private", "restricted", "withheld"};
  return std::find(kWithheld.begin(), kWithheld.end(), lowered) != kWithheld.end();
}

}  // namespace callgate
