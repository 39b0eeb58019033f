#include "mcp/origin_guard.hpp"

#include <algorithm>
#include <cctype>

#include "observability/log.hpp"

namespace callgate::mcp {
namespace {

std::string Normalize(std::string_view origin) {
  while (!origin.empty() && (origin.front() == ' ' || origin.front() == '\t')) {
    origin.remove_prefix(1);
  }
  while (!origin.empty() &&
         (origin.back() == ' ' || origin.back() == '\t' || origin.back() == '/')) {
    origin.remove_suffix(1);
  }
  std::string out(origin);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

http::MiddlewarePtr MakeOriginGuard(std::vector<std::string> allowed) {
  for (auto& origin : allowed) origin = Normalize(origin);
  return http::MakeFilter(
      "mcp_origin",
      [allowed = std::move(allowed)](http::Request& request) -> std::optional<http::Response> {
        const auto origin = request.Header("Origin");
        if (!origin) return std::nullopt;
        if (std::find(allowed.begin(), allowed.end(), Normalize(*origin)) != allowed.end()) {
          return std::nullopt;
        }
        observability::LogWarn("mcp_origin_refused", {{"origin", origin->substr(0, 200)},
                                                      {"client", request.ClientAddress()}});
        return http::Response::Error(ErrorCode::kPermissionDenied, "origin not allowed");
      });
}

}  // namespace callgate::mcp
