#include "storage/tenancy_codec.hpp"

#include <nlohmann/json.hpp>

#include "storage/session.hpp"

namespace callgate::storage::internal {
namespace {

using nlohmann::json;

[[noreturn]] void Corrupt(std::string_view what, const std::string& detail) {
  throw StorageError(ErrorCode::kInternal,
                     "database: stored " + std::string(what) + " is invalid: " + detail);
}

// Invalid UTF-8 in caller-supplied text is replaced rather than thrown on.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json Parse(std::string_view text, std::string_view what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) Corrupt(what, "not JSON");
  return value;
}

}  // namespace

std::string EncodeWeeklyHours(const tenancy::WeeklyHours& hours) {
  json out = json::object();
  for (int day = 0; day < 7; ++day) {
    if (!hours[day]) continue;
    out[std::string(tenancy::WeekdayKey(day))] = {
        tenancy::FormatClockMinutes(hours[day]->open_minute),
        tenancy::FormatClockMinutes(hours[day]->close_minute)};
  }
  return Dump(out);
}

tenancy::WeeklyHours DecodeWeeklyHours(std::string_view text) {
  constexpr std::string_view kWhat = "business_hours";
  const json value = Parse(text, kWhat);
  if (!value.is_object()) Corrupt(kWhat, "not an object");
  tenancy::WeeklyHours hours;
  for (const auto& [key, interval] : value.items()) {
    auto day = tenancy::ParseWeekdayKey(key);
    if (!day) Corrupt(kWhat, day.error().message);
    if (!interval.is_array() || interval.size() != 2 || !interval[0].is_string() ||
        !interval[1].is_string()) {
      Corrupt(kWhat, key + " must be [\"HH:MM\", \"HH:MM\"]");
    }
    auto open = tenancy::ParseClockMinutes(interval[0].get<std::string>());
    auto close = tenancy::ParseClockMinutes(interval[1].get<std::string>());
    if (!open || !close) Corrupt(kWhat, key + ": bad clock time");
    hours[*day] = tenancy::OpeningHours{*open, *close};
  }
  return hours;
}

std::string EncodeStrings(const std::vector<std::string>& values) { return Dump(json(values)); }

std::vector<std::string> DecodeStrings(std::string_view text) {
  constexpr std::string_view kWhat = "string list";
  const json value = Parse(text, kWhat);
  if (!value.is_array()) Corrupt(kWhat, "not an array");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) Corrupt(kWhat, "item is not a string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string EncodeFeeTiers(const std::vector<tenancy::FeeTier>& tiers) {
  json out = json::array();
  for (const auto& tier : tiers) {
    out.push_back({{"within_hours", tier.within_hours}, {"fee_cents", tier.fee_cents}});
  }
  return Dump(out);
}

std::vector<tenancy::FeeTier> DecodeFeeTiers(std::string_view text) {
  constexpr std::string_view kWhat = "fee tiers";
  const json value = Parse(text, kWhat);
  if (!value.is_array()) Corrupt(kWhat, "not an array");
  std::vector<tenancy::FeeTier> out;
  for (const auto& item : value) {
    if (!item.is_object() || !item.contains("within_hours") || !item.contains("fee_cents") ||
        !item["within_hours"].is_number_integer() || !item["fee_cents"].is_number_integer()) {
      Corrupt(kWhat, "tier must be {\"within_hours\": int, \"fee_cents\": int}");
    }
    out.push_back({item["within_hours"].get<int>(), item["fee_cents"].get<std::int64_t>()});
  }
  return out;
}

std::string EncodeClosingDays(const std::vector<tenancy::ClosingDays>& days) {
  json out = json::array();
  for (const auto& d : days) out.push_back({{"from", d.from}, {"to", d.to}, {"name", d.name}});
  return Dump(out);
}

std::vector<tenancy::ClosingDays> DecodeClosingDays(std::string_view text) {
  constexpr std::string_view kWhat = "closing days";
  const json value = Parse(text, kWhat);
  if (!value.is_array()) Corrupt(kWhat, "not an array");
  std::vector<tenancy::ClosingDays> out;
  for (const auto& item : value) {
    if (!item.is_object() || !item.value("from", json()).is_string() ||
        !item.value("to", json()).is_string() || !item.value("name", json()).is_string()) {
      Corrupt(kWhat, "entry must be {\"from\": date, \"to\": date, \"name\": text}");
    }
    out.push_back({item["from"].get<std::string>(), item["to"].get<std::string>(),
                   item["name"].get<std::string>()});
  }
  return out;
}

bool IsE164(std::string_view number) {
  if (number.size() < 3 || number.size() > 16 || number[0] != '+') return false;
  for (char c : number.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return number[1] != '0';
}

}  // namespace callgate::storage::internal
