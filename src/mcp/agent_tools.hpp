#pragma once
// AgentToolGateway: the MCP server's tools, run through the shared tool table and runner
// (agent/tools.hpp, agent/tool_runner.hpp) like every other platform's.
//
// Who is calling comes from the agent token's company and, for the caller's own data, from a
// call the company's signed webhooks know (`X-Call-Id`): its context is resolved within the
// company (another company's call id is not found) and the caller is that call's caller. Without
// one, the context is the company and a branch — the `branch` argument (name or id) in place of
// the dialled number; a company with one branch needs none — with no caller, scoped to the MCP
// session; tools that touch the caller's own data then refuse.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/tool_runner.hpp"
#include "agent/tools.hpp"
#include "booking/call_context.hpp"
#include "core/clock.hpp"
#include "mcp/tool_gateway.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::mcp {

// The tools/list result: the table's MCP definitions, with the optional `branch` argument added
// to every tool that works without a known call and needs a branch.
nlohmann::json McpToolList();

// How long a call opens its caller's data to an MCP client through X-Call-Id: while it is
// ongoing (started at most kOngoingCallWindow ago) and for kEndedCallWindow after it ended.
// An older call id is answered like an unknown one.
inline constexpr std::chrono::hours kOngoingCallWindow{6};
inline constexpr std::chrono::hours kEndedCallWindow{2};

class AgentToolGateway final : public ToolGateway {
 public:
  AgentToolGateway(const agent::ToolRunner& runner, booking::CallContextResolver& contexts,
                   tenancy::CompanyRepository& companies, tenancy::BranchRepository& branches,
                   const Clock& clock)
      : runner_(runner),
        contexts_(contexts),
        companies_(companies),
        branches_(branches),
        clock_(clock),
        list_(McpToolList()) {}

  const nlohmann::json& ToolList() const override { return list_; }
  Result<ToolResult> Call(const ToolRequest& request) override;

 private:
  // The context of a session without a known call, or the answer that stops the call (the
  // branch question, an unknown branch, storage down).
  std::variant<booking::CallContext, ToolResult> SessionContext(
      const ToolRequest& request, const agent::ToolSpec& tool,
      const std::optional<nlohmann::json>& branch);

  const agent::ToolRunner& runner_;
  booking::CallContextResolver& contexts_;
  tenancy::CompanyRepository& companies_;
  tenancy::BranchRepository& branches_;
  const Clock& clock_;
  nlohmann::json list_;
};

}  // namespace callgate::mcp
