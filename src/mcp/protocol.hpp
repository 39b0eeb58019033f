#pragma once
// The Model Context Protocol's JSON-RPC layer as callgate speaks it (shared/reference/mcp.md):
// protocol versions and their negotiation, the classification of incoming messages, and the
// JSON-RPC answers. Pure functions over nlohmann::json; no HTTP, no sessions, no tools.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callgate::mcp {

// The revision callgate implements, and every revision it accepts (newest first).
inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
const std::vector<std::string_view>& SupportedProtocolVersions();
bool IsSupportedProtocolVersion(std::string_view version) noexcept;
// Assumed when a request after initialize carries no MCP-Protocol-Version header.
inline constexpr std::string_view kDefaultProtocolVersion = "2025-03-26";

// The revision of an initialize request's `protocolVersion`: echoed when supported, otherwise
// the latest (the client then decides whether it can go on).
std::string NegotiateProtocolVersion(std::string_view requested);

// True when messages of `version` may come as a JSON-RPC batch (array): only 2025-03-26;
// 2025-06-18 removed batching.
bool AllowsBatches(std::string_view version) noexcept;

// JSON-RPC 2.0 and MCP error codes.
namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;  // also an unknown tool
inline constexpr int kInternalError = -32603;
// Transport-level refusals (SDK servers use these): missing session, bad header values.
inline constexpr int kBadRequest = -32000;
inline constexpr int kSessionNotFound = -32001;
}  // namespace error_code

// What an incoming message is.
enum class MessageKind {
  kRequest,       // method + id: must be answered
  kNotification,  // method without id: answered with HTTP 202 and no body
  kResponse,      // result or error with id (an answer to a request of ours): HTTP 202
  kInvalid,       // not a JSON-RPC 2.0 message: -32600
};

struct Message {
  MessageKind kind = MessageKind::kInvalid;
  std::string method;
  // The request id as sent (a string or an integer; never null). Null for anything else.
  nlohmann::json id;
  nlohmann::json params;  // the params member, or null when absent
  std::string problem;    // for kInvalid: what is wrong, for the error message
};

// Classifies one JSON value. Never throws.
Message ClassifyMessage(const nlohmann::json& value);

// {"jsonrpc":"2.0","id":id,"result":result}
nlohmann::json ResultMessage(const nlohmann::json& id, nlohmann::json result);
// {"jsonrpc":"2.0","id":id,"error":{"code","message"[,"data"]}}; id null when unknown.
nlohmann::json ErrorMessage(const nlohmann::json& id, int code, std::string message,
                            std::optional<nlohmann::json> data = std::nullopt);

}  // namespace callgate::mcp
