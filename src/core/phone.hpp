#pragma once
// Phone number helpers (libphonenumber behind a small API; its headers stay in phone.cpp).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate {

// Normalises a phone number to E.164, e.g. "030 83793369" → "+493083793369" with region "DE".
// `default_region` (ISO 3166-1 alpha-2) is used for numbers written in national format.
// Fails with kInvalidArgument when the input does not parse or is not a valid number.
// Answers are remembered in a process-wide PhoneNumberMemo (on the system clock).
// Thread-safe.
Result<std::string> NormalizeE164(std::string_view input, std::string_view default_region = "DE");

// The answers of libphonenumber for the numbers seen lately (its regular expressions cost more
// than the rest of a webhook's parsing; dialled numbers and returning callers repeat). A caller's
// number is personal data, so an answer is kept for at most `lifetime` after it was remembered
// (then an erasure request leaves no copy here for longer) and at most `max_entries` at once.
// Entries live in two generations that turn over every lifetime / 2: the older one is dropped
// whole, and a generation older than the lifetime is never answered from. Thread-safe.
class PhoneNumberMemo {
 public:
  static constexpr std::chrono::minutes kDefaultLifetime{10};
  static constexpr std::size_t kDefaultMaxEntries = 10'000;

  explicit PhoneNumberMemo(const Clock& clock,
                           std::chrono::steady_clock::duration lifetime = kDefaultLifetime,
                           std::size_t max_entries = kDefaultMaxEntries);
  ~PhoneNumberMemo();
  PhoneNumberMemo(const PhoneNumberMemo&) = delete;
  PhoneNumberMemo& operator=(const PhoneNumberMemo&) = delete;

  // NormalizeE164's answer for (input, region), remembered or computed now.
  Result<std::string> Normalize(std::string_view input, std::string_view default_region);

  // How many answers are held now (both generations).
  std::size_t size() const;
  // How often libphonenumber was asked (answers not found in the memo).
  std::size_t computed() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// True for the forms a withheld caller arrives as: empty, "anonymous", "unknown", "private",
// "restricted" (any case).
bool IsWithheldNumber(std::string_view input) noexcept;

}  // namespace callgate
