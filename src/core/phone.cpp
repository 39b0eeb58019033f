#include "core/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <string>
#include <unordered_map>

namespace callgate {

namespace {

// The answers of libphonenumber (its regular expressions cost more than the rest of a webhook's
// parsing) for the numbers seen lately: dialled numbers and returning callers repeat. Its rules
// do not change while the process runs. Bounded: a full table is dropped as a whole.
class NormalizedNumbers {
 public:
  static NormalizedNumbers& Instance() {
    static auto* instance = new NormalizedNumbers();  // never destroyed: used until exit
    return *instance;
  }

  template <typename Compute>
  Result<std::string> Get(std::string_view input, std::string_view region, Compute&& compute) {
    std::string key(region);
    key += '|';
    key += input;
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    }
    Result<std::string> computed = compute();
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(std::move(key), computed);
    return computed;
  }

 private:
  static constexpr std::size_t kMaxEntries = 10'000;
  std::mutex mutex_;
  std::unordered_map<std::string, Result<std::string>> entries_;
};

Result<std::string> Normalize(std::string_view input, std::string_view default_region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
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

}  // namespace

Result<std::string> NormalizeE164(std::string_view input, std::string_view default_region) {
  if (input.empty() || input.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "phone number is empty or too long");
  }
  return NormalizedNumbers::Instance().Get(input, default_region,
                                           [&] { return Normalize(input, default_region); });
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
