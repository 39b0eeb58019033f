#pragma once
// Phone number helpers (libphonenumber behind a small API; its headers stay in phone.cpp).

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callgate {

// Normalises a phone number to E.164, e.g. "030 83793369" → "+493083793369" with region "DE".
// `default_region` (ISO 3166-1 alpha-2) is used for numbers written in national format.
// Fails with kInvalidArgument when the input does not parse or is not a valid number.
// Thread-safe.
Result<std::string> NormalizeE164(std::string_view input, std::string_view default_region = "DE");

// True for the forms a withheld caller arrives as: empty, "anonymous", "unknown", "private",
// "restricted" (any case).
bool IsWithheldNumber(std::string_view input) noexcept;

}  // namespace callgate
