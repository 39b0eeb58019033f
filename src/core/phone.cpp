#include "core/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace callgate {

namespace {

Result<std::string> Compute(std::string_view input, std::string_view default_region) {
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
  // Never destroyed: used until exit.
  static const auto* clock = new SystemClock();
  static auto* memo = new PhoneNumberMemo(*clock);
  return memo->Normalize(input, default_region);
}

struct PhoneNumberMemo::State {
  using Table = std::unordered_map<std::string, Result<std::string>>;
  State(const Clock& c, std::chrono::steady_clock::duration l, std::size_t m)
      : clock(c), lifetime(l), max_entries(m), current_start(c.Steady()) {}

  // Turns the generations over when the current one is half a lifetime old; drops both when
  // even the current one is a lifetime old. Called with the mutex held.
  void Age(SteadyTimePoint now) {
    if (now - current_start >= lifetime) {
      current.clear();
      previous.clear();
      previous_start.reset();
      current_start = now;
      return;
    }
    if (now - current_start >= lifetime / 2) {
      previous = std::move(current);
      current.clear();
      previous_start = current_start;
      current_start = now;
    }
    if (previous_start && now - *previous_start >= lifetime) {
      previous.clear();
      previous_start.reset();
    }
  }

  const Clock& clock;
  const std::chrono::steady_clock::duration lifetime;
  const std::size_t max_entries;
  mutable std::mutex mutex;
  Table current;
  Table previous;
  SteadyTimePoint current_start;
  std::optional<SteadyTimePoint> previous_start;
  std::size_t computed = 0;
};

PhoneNumberMemo::PhoneNumberMemo(const Clock& clock, std::chrono::steady_clock::duration lifetime,
                                 std::size_t max_entries)
    : state_(std::make_unique<State>(clock, lifetime, max_entries)) {}

PhoneNumberMemo::~PhoneNumberMemo() = default;

Result<std::string> PhoneNumberMemo::Normalize(std::string_view input,
                                               std::string_view default_region) {
  if (input.empty() || input.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "phone number is empty or too long");
  }
  std::string key(default_region);
  key += '|';
  key += input;
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.Age(s.clock.Steady());
    if (auto it = s.current.find(key); it != s.current.end()) return it->second;
    if (auto it = s.previous.find(key); it != s.previous.end()) return it->second;
  }
  Result<std::string> computed = Compute(input, default_region);
  std::lock_guard lock(s.mutex);
  ++s.computed;
  s.Age(s.clock.Steady());
  if (s.current.size() + s.previous.size() >= s.max_entries) {
    s.previous.clear();
    s.previous_start.reset();
    if (s.current.size() >= s.max_entries) s.current.clear();
  }
  s.current.emplace(std::move(key), computed);
  return computed;
}

std::size_t PhoneNumberMemo::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->current.size() + state_->previous.size();
}

std::size_t PhoneNumberMemo::computed() const {
  std::lock_guard lock(state_->mutex);
  return state_->computed;
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
