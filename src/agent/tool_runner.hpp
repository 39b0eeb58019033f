#pragma once
// ToolRunner: runs one tool of the table for a resolved call context, for every platform.
// Checks the tool's rate limit, parses its typed arguments (clear errors for unusable ones),
// invokes the booking use case and updates the call's cached context. The platform adapters
// (retell/, vapi/, mcp/) only decode their envelope, resolve the context and render the result.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "agent/tool_answer.hpp"
#include "agent/tools.hpp"
#include "booking/booking_service.hpp"
#include "booking/call_context.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace callgate::agent {

// Per-tenant limits of tool traffic (never per IP: platforms call from few addresses).
struct ToolLimits {
  ratelimit::Limit per_tool{120, std::chrono::minutes(1)};  // per company and tool
  ratelimit::Limit bookings{10, std::chrono::minutes(1)};   // per company and service
};

// The longest answer any platform gets (Retell caps tool answers at 15,000 characters).
inline constexpr std::size_t kMaxToolAnswerBytes = 15000;

struct ToolCall {
  const ToolSpec* tool = nullptr;
  nlohmann::json args = nlohmann::json::object();  // the arguments as the platform sent them
  // Scope of idempotency keys and of the cached call context: the platform's call id, or for a
  // session without a known call (MCP) a session id.
  std::string scope;
  // True when `scope` is a call the context resolver knows (its cache is then updated).
  bool known_call = true;
  std::string_view platform = "retell";  // metric label
  // Whose allowance the call spends. A phone line's (Retell, Vapi: the company's callers) and an
  // agent API's (MCP) are separate buckets, so an MCP client that uses up its limits never gets
  // a caller on the phone refused.
  enum class Channel { kPhone, kAgentApi };
  Channel channel = Channel::kPhone;
  // False for a client whose credential may only read (an agent token with the "read"
  // ability): a tool that changes data (ToolSpec::read_only false) is then refused.
  bool may_write = true;
};

struct ToolOutcome {
  bool success = true;
  std::string message;  // German, to be spoken
  nlohmann::json data = nlohmann::json::object();
  std::optional<ErrorCode> refusal;  // as ToolAnswer::refusal
};

struct ToolRun {
  // The answer, or the error (kInvalidArgument: unusable arguments; kPermissionDenied: tenant
  // violation; kRateLimited: limited; kUnavailable: storage down…). Only the messages of
  // unusable arguments and tenant refusals are the use case's own; any other error carries a
  // generic message (the detail, e.g. a database's text, is logged, never answered).
  Result<ToolOutcome> answer = Fail(ErrorCode::kInternal, "not run");
  // Set when the tool's rate limit refused the call (answer is then kRateLimited).
  std::optional<ratelimit::Decision> limited;
};

// What a tool's invoker (ToolSpec::invoke) gets, and where it leaves the use case's answer.
struct ToolInvocation {
  const booking::CallContext& ctx;
  const ToolCall& call;
  booking::BookingService& booking;
  booking::CallContextResolver& contexts;
  Result<ToolAnswer> answer = Fail(ErrorCode::kInternal, "not run");
  // Set when the arguments could not be read: the error's message is then meant for the agent.
  bool bad_arguments = false;
};

class ToolRunner {
 public:
  ToolRunner(booking::CallContextResolver& contexts, booking::BookingService& booking,
             observability::Metrics& metrics, ratelimit::RateLimiter* limiter = nullptr,
             ToolLimits limits = {})
      : contexts_(contexts),
        booking_(booking),
        metrics_(metrics),
        tool_counts_(metrics, {"platform", "tool", "outcome"}),
        limiter_(limiter),
        limits_(limits) {}

  // Runs `call.tool` for `ctx`. A tool with access kCallerData refuses (kPermissionDenied)
  // when `call.known_call` is false. Counts callgate_agent_tool_total{platform,tool,outcome}.
  ToolRun Run(const booking::CallContext& ctx, const ToolCall& call) const;

 private:
  std::optional<ratelimit::Decision> Limit(const booking::CallContext& ctx,
                                           const ToolCall& call) const;

  booking::CallContextResolver& contexts_;
  booking::BookingService& booking_;
  observability::Metrics& metrics_;
  observability::CounterCache tool_counts_;  // callgate_agent_tool_total, once per tool run
  ratelimit::RateLimiter* limiter_;
  ToolLimits limits_;
};

// {"success","message",...data} as JSON text of at most `max_bytes` (the longest lists are
// shortened first, "truncated": true then). Pass an outcome that is not needed afterwards as
// an rvalue: its data is then moved, not copied.
std::string RenderJson(ToolOutcome outcome, std::size_t max_bytes = kMaxToolAnswerBytes);

}  // namespace callgate::agent
