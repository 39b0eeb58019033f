#include "mcp/protocol.hpp"

#include <algorithm>

namespace callgate::mcp {

const std::vector<std::string_view>& SupportedProtocolVersions() {
  static const std::vector<std::string_view> versions = {kLatestProtocolVersion, "2025-06-18",
                                                         "2025-03-26"};
  return versions;
}

bool IsSupportedProtocolVersion(std::string_view version) noexcept {
  const auto& all = SupportedProtocolVersions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

std::string NegotiateProtocolVersion(std::string_view requested) {
  return std::string(IsSupportedProtocolVersion(requested) ? requested : kLatestProtocolVersion);
}

bool AllowsBatches(std::string_view version) noexcept { return version == "2025-03-26"; }

Message ClassifyMessage(const nlohmann::json& value) {
  Message m;
  auto invalid = [&m](std::string problem) {
    m.kind = MessageKind::kInvalid;
    m.problem = std::move(problem);
    return m;
  };
  if (!value.is_object()) return invalid("a message must be a JSON object");
  const auto jsonrpc = value.find("jsonrpc");
  if (jsonrpc == value.end() || !jsonrpc->is_string() || *jsonrpc != "2.0") {
    return invalid("\"jsonrpc\" must be \"2.0\"");
  }
  const auto id = value.find("id");
  const bool has_id = id != value.end();
  // Ids are strings or integers, never null (MCP is stricter than JSON-RPC here).
  const bool valid_id = has_id && (id->is_string() || id->is_number_integer());
  if (has_id && valid_id) m.id = *id;
  const auto method = value.find("method");
  if (method != value.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
      return invalid("\"method\" must be a non-empty string");
    }
    m.method = method->get<std::string>();
    if (const auto params = value.find("params"); params != value.end()) {
      if (!params->is_object()) {
        return invalid("\"params\" must be an object");
      }
      m.params = *params;
    }
    if (!has_id) {
      m.kind = MessageKind::kNotification;
      return m;
    }
    if (!valid_id) return invalid("\"id\" must be a string or an integer");
    m.kind = MessageKind::kRequest;
    return m;
  }
  if (valid_id && (value.contains("result") || value.contains("error"))) {
    m.kind = MessageKind::kResponse;
    return m;
  }
  return invalid("neither a request, a notification nor a response");
}

nlohmann::json ResultMessage(const nlohmann::json& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json ErrorMessage(const nlohmann::json& id, int code, std::string message,
                            std::optional<nlohmann::json> data) {
  nlohmann::json error = {{"code", code}, {"message", std::move(message)}};
  if (data) error["data"] = std::move(*data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

}  // namespace callgate::mcp
