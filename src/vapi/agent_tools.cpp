#include "vapi/agent_tools.hpp"

#include "vapi/payload.hpp"

namespace callgate::vapi {

std::string ResultText(agent::ToolRun run) {
  if (run.answer) {
    agent::ToolOutcome outcome = std::move(*run.answer);
    outcome.message = SingleLine(std::move(outcome.message));
    return agent::RenderJson(std::move(outcome));
  }
  const Error& error = run.answer.error();
  nlohmann::json refusal = {{"success", false}, {"error", ErrorCodeName(error.code)}};
  switch (error.code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kInternal:
      refusal["message"] = "the tool is unavailable right now";
      break;
    default:
      refusal["message"] = error.message;
  }
  if (run.limited) {
    refusal["error"] = ErrorCodeName(ErrorCode::kRateLimited);
    refusal["retry_after_seconds"] = (run.limited->retry_after.count() + 999) / 1000;
  }
  return refusal.dump();
}

Result<booking::CallContext> AgentTools::Resolve(const calls::CallSnapshot& call,
                                                 std::optional<tenancy::CompanyId> url_company) {
  return contexts_.Resolve(call.call_id, call, url_company);
}

std::optional<std::string> AgentTools::Run(const booking::CallContext& ctx, std::string_view name,
                                           const nlohmann::json& args, std::string_view call_id) {
  const agent::ToolSpec* tool = agent::FindTool(name);
  if (tool == nullptr) return std::nullopt;
  agent::ToolCall call;
  call.tool = tool;
  call.args = args;
  call.scope = std::string(call_id);
  call.known_call = true;  // a call Vapi announced in an authenticated message
  call.platform = "vapi";
  return ResultText(runner_.Run(ctx, call));
}

}  // namespace callgate::vapi
