#pragma once
// Internal to booking: reading the agent's tool arguments and building common answers. The
// agent sends loosely typed JSON (strings, numbers, booleans as text); these helpers read it the
// same way in every tool.

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "booking/booking_service.hpp"

namespace callgate::booking::internal {

// The first of `keys` present in `args` as trimmed text (numbers are accepted too), at most 500
// characters; empty when none is present.
inline std::string Arg(const nlohmann::json& args, std::initializer_list<const char*> keys) {
  if (!args.is_object()) return {};
  for (const char* k : keys) {
    auto it = args.find(k);
    if (it == args.end() || it->is_null()) continue;
    std::string v;
    if (it->is_string()) {
      v = it->get<std::string>();
    } else if (it->is_number_integer()) {
      v = std::to_string(it->get<long long>());
    } else if (it->is_number()) {
      v = std::to_string(it->get<double>());
    } else {
      continue;
    }
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    size_t b = 0;
    while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
    return v.substr(b, 500);
  }
  return {};
}

// True when the agent confirmed: `confirm` is true, "true", "ja", "yes" or 1.
inline bool Confirmed(const nlohmann::json& args) {
  if (!args.is_object()) return false;
  auto it = args.find("confirm");
  if (it == args.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) {
    std::string v = it->get<std::string>();
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v == "true" || v == "ja" || v == "yes" || v == "1";
  }
  return it->is_number_integer() && it->get<long long>() == 1;
}

// A "please tell me X" answer naming the missing or unreadable arguments in data.missing.
inline ToolAnswer Missing(std::initializer_list<std::string_view> names, std::string message) {
  ToolAnswer a;
  a.success = false;
  a.message = std::move(message);
  a.data["missing"] = nlohmann::json::array();
  for (auto n : names) a.data["missing"].push_back(std::string(n));
  return a;
}

// 6000 → "60 Euro", 1250 → "12,50 Euro".
inline std::string Euros(std::int64_t cents) {
  std::string s = std::to_string(cents / 100);
  if (cents % 100 != 0) {
    const auto r = cents % 100;
    s += "," + std::string(r < 10 ? "0" : "") + std::to_string(r);
  }
  return s + " Euro";
}

}  // namespace callgate::booking::internal
