#pragma once
// HTTP handler for Vapi's server messages: POST /webhooks/vapi[/c/{slug}], behind VapiAuthGuard.
// Parse → dispatch by message.type → one service → Vapi's answer shape (reference/vapi.md):
//   tool-calls          each call through the shared tool table (ToolPort) →
//                       200 {"results":[{"toolCallId","name","result"}]}, one per call, in order
//   assistant-request   calls::InboundCallService (the variables of Retell's inbound webhook) →
//                       200 {"assistantId","assistantOverrides":{"variableValues":{...}}}
//   status-update,      calls::CallEventService, like Retell's lifecycle webhooks (idempotent,
//   end-of-call-report  analysed and priced by the queued call analysis) → 200; a call's start
//                       (in-progress) is queued for the group commit and answered once written
//                       (http::PendingAnswer, CallEventService::RecordLater)
//   anything else       200 {"status":"ok","outcome":"ignored"}
// A company URL binds the company: a call or number of another company is 404 and nothing is
// created or changed.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "booking/call_context.hpp"
#include "calls/call_event_service.hpp"
#include "calls/inbound_call_service.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"
#include "vapi/payload.hpp"

namespace callgate::vapi {

// What tool calls need of the agent layer (vapi/agent_tools.hpp adapts agent::ToolRunner).
class ToolPort {
 public:
  virtual ~ToolPort() = default;

  // The call's context: company from the dialled number, caller from customer.number, never
  // from arguments. kNotFound for an unregistered number, or a call or number of another
  // company than `url_company` (nothing is created then).
  virtual Result<booking::CallContext> Resolve(const calls::CallSnapshot& call,
                                               std::optional<tenancy::CompanyId> url_company) = 0;

  // The result text of tool `name` ("check_availability" or "check-availability") with `args`
  // for the call `ctx` (scope: the Vapi call id): the German message plus the data the agent
  // needs, also for refusals, limits and failures. nullopt when no tool has that name.
  virtual std::optional<std::string> Run(const booking::CallContext& ctx, std::string_view name,
                                         const nlohmann::json& args, std::string_view call_id) = 0;
};

struct ServerMessageSettings {
  // The assistant answering a number whose agent id is not set (VAPI_ASSISTANT_ID).
  std::string default_assistant_id;
  // Whether tool calls may be tried where waiting is not allowed (an I/O thread's attempt):
  // false when every tool call waits anyway (limits kept in Redis), so such an attempt hands
  // them on before doing any work.
  bool tool_calls_inline = true;
};

class ServerMessageHandler {
 public:
  ServerMessageHandler(ServerMessageSettings settings, calls::CallEventService& events,
                       calls::InboundCallService& inbound, ToolPort& tools,
                       observability::Metrics& metrics)
      : settings_(std::move(settings)),
        events_(events),
        inbound_(inbound),
        tools_(tools),
        counts_(std::make_shared<observability::CounterCache>(
            metrics, std::vector<std::string>{"type", "outcome"})) {}

  // 400 for a body that is not a server message; 404 for an unknown number or another
  // company's call on a company URL. Counts callgate_vapi_message_total{type,outcome} (a
  // lifecycle message when its answer is given). Where waiting is not allowed it hands on
  // (WouldBlock) whatever would wait.
  http::Response Handle(http::Request& request) const;

 private:
  http::Response ToolCalls(const ServerMessage& message,
                           std::optional<tenancy::CompanyId> url_company) const;
  http::Response AssistantRequest(const ServerMessage& message,
                                  std::optional<tenancy::CompanyId> url_company) const;
  // Answers later (Response::Later) unless it fails before recording; counts its answer.
  http::Response Lifecycle(const ServerMessage& message, const http::Request& request,
                           std::optional<tenancy::CompanyId> url_company) const;

  ServerMessageSettings settings_;
  calls::CallEventService& events_;
  calls::InboundCallService& inbound_;
  ToolPort& tools_;
  // callgate_vapi_message_total{type,outcome}; shared with lifecycle answers given later.
  std::shared_ptr<const observability::CounterCache> counts_;
};

}  // namespace callgate::vapi
