#pragma once
// ToolGateway: what the MCP server needs of the agent's tools — the tools/list result and the
// running of one tools/call for the company of the agent token. The protocol layer (McpServer)
// depends only on this port; AgentToolGateway (mcp/agent_tools.hpp) implements it over the
// shared tool table and runner.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "tenancy/model.hpp"

namespace callgate::mcp {

// One tools/call and who makes it.
struct ToolRequest {
  tenancy::CompanyId company;  // from the agent token, never from the request
  std::string session_id;      // the MCP session
  // `X-Call-Id`: a call the company's signed webhooks know (the caller's own data needs one).
  std::optional<std::string> call_id;
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();
  bool may_write = true;  // false for a read-only token: only tools that change nothing run
};

// A tools/call result: `text` becomes the text content, `structured` the structuredContent;
// `is_error` marks a failure the model can correct (unusable arguments, no known call).
struct ToolResult {
  std::string text;
  nlohmann::json structured = nlohmann::json::object();
  bool is_error = false;
};

class ToolGateway {
 public:
  virtual ~ToolGateway() = default;
  // The tools/list result: {"tools":[{name,description,inputSchema,annotations},...]}.
  virtual const nlohmann::json& ToolList() const = 0;
  // Runs one tool. kNotFound when no tool has this name (a protocol error); every failure of
  // the tool itself is a ToolResult with is_error. Thread-safe.
  virtual Result<ToolResult> Call(const ToolRequest& request) = 0;
};

}  // namespace callgate::mcp
