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

namespace callgate::retell {

// Every function the agent can call (docs/retell-tools.json publishes them).
const std::vector<std::string>& FunctionNames();

// Retell's cap on a tool answer.
inline constexpr std::size_t kMaxToolAnswerBytes = 15000;

class FunctionHandlers {
 public:
  FunctionHandlers(booking::CallContextResolver& contexts, booking::BookingService& booking,
                   observability::Metrics& metrics)
      : contexts_(contexts), booking_(booking), metrics_(metrics) {}

  // 404 for an unknown function or call; 403 for tenant violations; 400 for a body that is
  // not JSON; 200 with success=false for business outcomes. Counts
  // callgate_retell_function_total{function,outcome}.
  http::Response Handle(http::Request& request) const;

 private:
  booking::CallContextResolver& contexts_;
  booking::BookingService& booking_;
  observability::Metrics& metrics_;
};

}  // namespace callgate::retell
