#pragma once
// McpServer: the MCP endpoint `/mcp` over Streamable HTTP (shared/reference/mcp.md), answering
// with plain JSON (no SSE stream). POST carries one JSON-RPC message (a batch only for
// 2025-03-26 sessions): initialize opens a session (`Mcp-Session-Id`), every later message
// must name it; ping, tools/list and tools/call are served, notifications and responses get
// 202. DELETE ends a session. GET has no route (405 from the route table).
//
// Runs behind the route guards mcp_origin → failed_auth_limit → agent_token, which leave the
// token's principal and company on the request: the token decides the company, and a session
// answers only to the principal that opened it.

#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"
#include "mcp/protocol.hpp"
#include "mcp/sessions.hpp"
#include "mcp/tool_gateway.hpp"
#include "observability/metrics.hpp"

namespace callgate::mcp {

inline constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
inline constexpr std::string_view kProtocolVersionHeader = "MCP-Protocol-Version";
inline constexpr std::string_view kCallIdHeader = "X-Call-Id";

// Counter: callgate_mcp_messages_total{method,outcome}; method is initialize, ping, tools/list,
// tools/call, notification, response or other; outcome ok, tool_error or a JSON-RPC error name.
inline constexpr std::string_view kMessagesMetric = "callgate_mcp_messages_total";

struct McpSettings {
  std::string server_name = "callgate";
  std::string server_version;
  // Returned by initialize for the client's model.
  std::string instructions;
};

class McpServer {
 public:
  McpServer(McpSettings settings, SessionStore& sessions, ToolGateway& tools,
            observability::Metrics& metrics)
      : settings_(std::move(settings)), sessions_(sessions), tools_(tools), metrics_(metrics) {
    metrics_.Describe(kMessagesMetric, "MCP messages on /mcp, by method and outcome.");
  }

  // POST /mcp. Statuses: 200 with a JSON-RPC answer (also for JSON-RPC errors of a request);
  // 202 for notifications and responses; 400 for bodies that are not JSON (-32700) or not a
  // JSON-RPC message (-32600), a missing session id or an unsupported MCP-Protocol-Version
  // (-32000); 404 for an unknown, expired or foreign session (-32001); 406 when the client
  // accepts no JSON; 415 for a body that is not application/json; 401 without the principal
  // the agent_token guard sets (never reached behind it). Thread-safe.
  http::Response Post(http::Request& request);

  // DELETE /mcp: 204 when the session was ended, 400 without a session id, 404 for an unknown
  // one. Thread-safe.
  http::Response Delete(http::Request& request);

 private:
  struct Exchange;  // one POST: owner, session, headers

  // The answer to one message (null for notifications and responses).
  nlohmann::json Answer(const Message& message, Exchange& exchange);
  nlohmann::json Initialize(const Message& message, Exchange& exchange);
  nlohmann::json CallTool(const Message& message, const Exchange& exchange);
  void Count(std::string_view method, std::string_view outcome);

  McpSettings settings_;
  SessionStore& sessions_;
  ToolGateway& tools_;
  observability::Metrics& metrics_;
};

}  // namespace callgate::mcp
