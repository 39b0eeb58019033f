#pragma once
// Private to booking's .cpp files: building the answers several tools share.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "booking/booking_service.hpp"

namespace callgate::booking::internal {

// A "please tell me X" answer naming the missing or unreadable arguments in data.missing.
inline ToolAnswer Missing(std::initializer_list<std::string_view> names, std::string message) {
  ToolAnswer a;
  a.success = false;
  a.message = std::move(message);
  a.data["missing"] = nlohmann::json::array();
  for (auto n : names) a.data["missing"].push_back(std::string(n));
  return a;
}

}  // namespace callgate::booking::internal
