#pragma once
// HTTP handler for the agent's custom functions: POST /api/retell/{function}.
// Body {"name","call":{...},"args":{...}}, or — with Retell's "args only" mode — just the args,
// the call id then coming from the X-Call-Id header or the call_id query parameter.
// Parse → resolve the call context → call ONE BookingService method → JSON
// {"success","message",...data}, well under Retell's 15,000-character cap.

#include <string>
#include <string_view>
#include <vector>

#include "booking/booking_service.hpp"
#include "booking/call_context.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace callgate::retell {

// Every function the agent can call (docs/retell-tools.json publishes them).
const std::vector<std::string>& FunctionNames();

// Retell's cap on a tool answer.
inline constexpr std::size_t kMaxToolAnswerBytes = 15000;

// Per-tenant limits of signed function traffic (never per IP: Retell calls from few addresses).
struct FunctionLimits {
  ratelimit::Limit per_function{120, std::chrono::minutes(1)};  // per company and function
  ratelimit::Limit bookings{10, std::chrono::minutes(1)};       // per company and service
};

class FunctionHandlers {
 public:
  FunctionHandlers(booking::CallContextResolver& contexts, booking::BookingService& booking,
                   observability::Metrics& metrics, ratelimit::RateLimiter* limiter = nullptr,
                   FunctionLimits limits = {})
      : contexts_(contexts),
        booking_(booking),
        metrics_(metrics),
        limiter_(limiter),
        limits_(limits) {}

  // 404 for an unknown function or call; 403 for tenant violations; 400 for a body that is
  // not JSON; 200 with success=false for business outcomes. Counts
  // callgate_retell_function_total{function,outcome}.
  http::Response Handle(http::Request& request) const;

 private:
  // 429 when the company used up its limit for this function (bookings: per service).
  std::optional<http::Response> Limit(const booking::CallContext& ctx, const std::string& function,
                                      const nlohmann::json& args) const;

  booking::CallContextResolver& contexts_;
  booking::BookingService& booking_;
  observability::Metrics& metrics_;
  ratelimit::RateLimiter* limiter_;
  FunctionLimits limits_;
};

}  // namespace callgate::retell
