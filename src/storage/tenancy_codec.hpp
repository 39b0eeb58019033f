#pragma once
// Internal to storage: how tenancy values that have no column type of their own are stored
// (as JSON text in TEXT/JSONB columns). Decoders throw StorageError(kInternal) on bad data,
// which Database::Run turns into an error Result.

#include <string>
#include <string_view>
#include <vector>

#include "tenancy/model.hpp"

namespace callgate::storage::internal {

// {"mon": ["09:00", "18:00"], ...}; closed days are left out. Same shape as the tenant file.
std::string EncodeWeeklyHours(const tenancy::WeeklyHours& hours);
tenancy::WeeklyHours DecodeWeeklyHours(std::string_view json);

// ["a", "b"]
std::string EncodeStrings(const std::vector<std::string>& values);
std::vector<std::string> DecodeStrings(std::string_view json);

// [{"within_hours": 24, "fee_cents": 1500}, ...]
std::string EncodeFeeTiers(const std::vector<tenancy::FeeTier>& tiers);
std::vector<tenancy::FeeTier> DecodeFeeTiers(std::string_view json);

// [{"from": "2026-12-24", "to": "2027-01-01", "name": "Betriebsferien"}, ...]
std::string EncodeClosingDays(const std::vector<tenancy::ClosingDays>& days);
std::vector<tenancy::ClosingDays> DecodeClosingDays(std::string_view json);

// "+" followed by 2..15 digits: the stored form of every phone number.
bool IsE164(std::string_view number);

}  // namespace callgate::storage::internal
