#pragma once
// AgentTools: the ToolPort of Vapi's tool calls on the shared tool table — the call context from
// booking::CallContextResolver, each tool run by agent::ToolRunner (limits, typed arguments, use
// case), and the outcome rendered as one line of JSON for Vapi's `result`.

#include "agent/tool_runner.hpp"
#include "booking/call_context.hpp"
#include "vapi/server_messages.hpp"

namespace callgate::vapi {

// Vapi's result text of one run: {"success","message",...data} as agent::RenderJson renders it
// for every platform, the message on one line. A call the runner refused answers
// {"success":false,"error":"<code>","message"} (a limit adds "retry_after_seconds"), so the
// other calls of the batch still run; failures of storage or the calendar carry a generic
// message, never their detail.
std::string ResultText(agent::ToolRun run);

class AgentTools final : public ToolPort {
 public:
  AgentTools(booking::CallContextResolver& contexts, const agent::ToolRunner& runner)
      : contexts_(contexts), runner_(runner) {}

  Result<booking::CallContext> Resolve(const calls::CallSnapshot& call,
                                       std::optional<tenancy::CompanyId> url_company) override;

  // ResultText of the tool's run (a known call: the scope is the Vapi call id).
  std::optional<std::string> Run(const booking::CallContext& ctx, std::string_view name,
                                 const nlohmann::json& args, std::string_view call_id) override;

 private:
  booking::CallContextResolver& contexts_;
  const agent::ToolRunner& runner_;
};

}  // namespace callgate::vapi
