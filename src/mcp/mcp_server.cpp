#include "mcp/mcp_server.hpp"

#include <algorithm>
#include <cctype>

#include "agent/tools.hpp"
#include "core/text.hpp"
#include "observability/log.hpp"

namespace callgate::mcp {
namespace {

using nlohmann::json;
namespace obs = observability;

// The media type of a Content-Type or Accept element, without parameters, lower-case.
std::string MediaType(std::string_view value) {
  return LowerAscii(TrimBlanks(value.substr(0, value.find(';'))));
}

bool AcceptsJson(std::string_view accept) {
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const std::string type = MediaType(accept.substr(0, comma));
    if (type == "application/json" || type == "application/*" || type == "*/*") return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

http::Response Refuse(int status, int code, std::string message, const json& id = nullptr) {
  return http::Response::Json(status, ErrorMessage(id, code, std::move(message)));
}

http::Response Accepted() {
  http::Response response;
  response.status = 202;
  return response;
}

std::string_view MethodLabel(const Message& message) {
  switch (message.kind) {
    case MessageKind::kNotification:
      return "notification";
    case MessageKind::kResponse:
      return "response";
    case MessageKind::kInvalid:
      return "other";
    case MessageKind::kRequest:
      break;
  }
  for (std::string_view known : {"initialize", "ping", "tools/list", "tools/call"}) {
    if (message.method == known) return known;
  }
  return "other";
}

std::string_view OutcomeOf(const json& answer) {
  if (answer.is_null()) return "ok";
  const auto error = answer.find("error");
  if (error == answer.end()) {
    const auto& result = answer["result"];
    return result.is_object() && result.value("isError", false) ? "tool_error" : "ok";
  }
  switch (error->value("code", 0)) {
    case error_code::kParseError:
      return "parse_error";
    case error_code::kInvalidRequest:
      return "invalid_request";
    case error_code::kMethodNotFound:
      return "method_not_found";
    case error_code::kInvalidParams:
      return "invalid_params";
    default:
      return "internal_error";
  }
}

// A client-chosen text shortened for an error message or a log line, never inside a character.
std::string Clip(std::string_view text) { return std::string(Utf8Prefix(text, 100)); }

}  // namespace

struct McpServer::Exchange {
  SessionOwner owner;
  bool read_only = false;  // the token's abilities
  std::optional<Session> session;
  std::optional<std::string> call_id;
  std::string opened_session_id;  // set by initialize: goes out as Mcp-Session-Id
};

void McpServer::Count(std::string_view method, std::string_view outcome) {
  metrics_.Increment(kMessagesMetric,
                     {{"method", std::string(method)}, {"outcome", std::string(outcome)}});
}

http::Response McpServer::Post(http::Request& request) {
  if (!request.attributes.principal || !request.attributes.company_id) {
    return http::Response::Error(ErrorCode::kUnauthenticated, "authentication required");
  }
  Exchange exchange;
  exchange.owner = {*request.attributes.principal, *request.attributes.company_id};
  exchange.read_only = request.attributes.read_only;
  if (const auto call_id = request.Header(kCallIdHeader);
      call_id && !TrimBlanks(*call_id).empty()) {
    exchange.call_id = std::string(TrimBlanks(*call_id));
  }

  const auto content_type = request.Header("Content-Type");
  if (!content_type || MediaType(*content_type) != "application/json") {
    return Refuse(415, error_code::kBadRequest,
                  "Unsupported Media Type: Content-Type must be application/json");
  }
  if (const auto accept = request.Header("Accept"); accept && !AcceptsJson(*accept)) {
    return Refuse(406, error_code::kBadRequest,
                  "Not Acceptable: the client must accept application/json");
  }
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    Count("other", "parse_error");
    return Refuse(400, error_code::kParseError, "Parse error");
  }

  // The session every message but initialize must name, and the protocol version header.
  auto require_session = [&]() -> std::optional<http::Response> {
    const auto id = request.Header(kSessionHeader);
    if (!id || TrimBlanks(*id).empty()) {
      Count("other", "bad_request");
      return Refuse(400, error_code::kBadRequest, "Bad Request: Mcp-Session-Id header is required");
    }
    exchange.session = sessions_.Find(TrimBlanks(*id), exchange.owner);
    if (!exchange.session) {
      Count("other", "session_not_found");
      return Refuse(404, error_code::kSessionNotFound, "Session not found");
    }
    if (const auto version = request.Header(kProtocolVersionHeader);
        version && !IsSupportedProtocolVersion(TrimBlanks(*version))) {
      Count("other", "bad_request");
      std::string supported;
      for (auto v : SupportedProtocolVersions()) {
        supported += (supported.empty() ? "" : ", ") + std::string(v);
      }
      return Refuse(400, error_code::kBadRequest,
                    "Bad Request: Unsupported protocol version: " + Clip(TrimBlanks(*version)) +
                        " (supported versions: " + supported + ")");
    }
    return std::nullopt;
  };

  if (body.is_array()) {
    if (auto refused = require_session()) return *refused;
    // Batches need a session that negotiated a revision with them, and a request that does not
    // name a revision without them: a header cannot bring them back into a newer session.
    const auto header = request.Header(kProtocolVersionHeader);
    std::string version = exchange.session->protocol_version;
    if (header && AllowsBatches(version)) version = std::string(TrimBlanks(*header));
    if (body.empty() || !AllowsBatches(version)) {
      Count("other", "invalid_request");
      return Refuse(400, error_code::kInvalidRequest,
                    body.empty() ? "Invalid Request: empty batch"
                                 : "Invalid Request: protocol version " + version +
                                       " does not allow JSON-RPC batches");
    }
    if (body.size() > agent::kMaxToolCallsPerMessage) {
      Count("other", "invalid_request");
      return Refuse(400, error_code::kInvalidRequest,
                    "Invalid Request: a batch holds at most " +
                        std::to_string(agent::kMaxToolCallsPerMessage) + " messages");
    }
    json answers = json::array();
    for (const auto& element : body) {
      const Message message = ClassifyMessage(element);
      json answer = Answer(message, exchange);
      Count(MethodLabel(message), OutcomeOf(answer));
      if (!answer.is_null()) answers.push_back(std::move(answer));
    }
    if (answers.empty()) return Accepted();
    return http::Response::Json(200, answers);
  }

  const Message message = ClassifyMessage(body);
  if (message.kind == MessageKind::kInvalid) {
    Count("other", "invalid_request");
    return Refuse(400, error_code::kInvalidRequest, "Invalid Request: " + message.problem,
                  message.id);
  }
  if (message.kind == MessageKind::kRequest && message.method == "initialize") {
    json answer = Initialize(message, exchange);
    Count("initialize", OutcomeOf(answer));
    auto response = http::Response::Json(200, answer);
    if (!exchange.opened_session_id.empty()) {
      response.headers.Set(std::string(kSessionHeader), exchange.opened_session_id);
    }
    return response;
  }
  if (auto refused = require_session()) return *refused;
  json answer = Answer(message, exchange);
  Count(MethodLabel(message), OutcomeOf(answer));
  if (answer.is_null()) return Accepted();
  return http::Response::Json(200, answer);
}

json McpServer::Answer(const Message& message, Exchange& exchange) {
  switch (message.kind) {
    case MessageKind::kNotification:
    case MessageKind::kResponse:
      return nullptr;
    case MessageKind::kInvalid:
      return ErrorMessage(message.id, error_code::kInvalidRequest,
                          "Invalid Request: " + message.problem);
    case MessageKind::kRequest:
      break;
  }
  if (message.method == "ping") return ResultMessage(message.id, json::object());
  if (message.method == "tools/list") return ResultMessage(message.id, tools_.ToolList());
  if (message.method == "tools/call") return CallTool(message, exchange);
  if (message.method == "initialize") {
    return ErrorMessage(message.id, error_code::kInvalidRequest,
                        "Invalid Request: initialize opens a session and must be sent alone, "
                        "without Mcp-Session-Id");
  }
  return ErrorMessage(message.id, error_code::kMethodNotFound,
                      "Method not found: " + Clip(message.method));
}

json McpServer::Initialize(const Message& message, Exchange& exchange) {
  const json& params = message.params;
  if (!params.is_object() || !params.contains("protocolVersion") ||
      !params["protocolVersion"].is_string()) {
    return ErrorMessage(message.id, error_code::kInvalidParams,
                        "Invalid params: protocolVersion is required");
  }
  const std::string requested = params["protocolVersion"].get<std::string>();
  const std::string version = NegotiateProtocolVersion(requested);
  const auto session = sessions_.Open(exchange.owner, version);
  if (!session) {
    obs::LogWarn("mcp_session_refused",
                 {{"company_id", exchange.owner.company_id}, {"reason", session.error().message}});
    return ErrorMessage(message.id, error_code::kInternalError,
                        "Server busy: too many sessions, try again later");
  }
  exchange.opened_session_id = session->id;
  std::string client = "-";
  if (const auto info = params.find("clientInfo"); info != params.end() && info->is_object()) {
    client = Clip(info->value("name", "-"));
  }
  obs::LogInfo("mcp_session_opened", {{"company_id", exchange.owner.company_id},
                                      {"protocol_version", version},
                                      {"requested_version", Clip(requested)},
                                      {"client", client}});
  json result = {
      {"protocolVersion", version},
      {"capabilities", {{"tools", {{"listChanged", false}}}}},
      {"serverInfo", {{"name", settings_.server_name}, {"version", settings_.server_version}}}};
  if (!settings_.instructions.empty()) result["instructions"] = settings_.instructions;
  return ResultMessage(message.id, std::move(result));
}

json McpServer::CallTool(const Message& message, const Exchange& exchange) {
  const json& params = message.params;
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string() ||
      params["name"].get_ref<const std::string&>().empty()) {
    return ErrorMessage(message.id, error_code::kInvalidParams, "Invalid params: name is required");
  }
  ToolRequest call;
  call.company = tenancy::CompanyId(exchange.owner.company_id);
  call.session_id = exchange.session ? exchange.session->id : std::string();
  call.call_id = exchange.call_id;
  call.may_write = !exchange.read_only;
  call.name = params["name"].get<std::string>();
  if (const auto args = params.find("arguments"); args != params.end() && !args->is_null()) {
    if (!args->is_object()) {
      return ErrorMessage(message.id, error_code::kInvalidParams,
                          "Invalid params: arguments must be an object");
    }
    call.arguments = *args;
  }
  auto result = tools_.Call(call);
  if (!result) {
    if (result.error().code == ErrorCode::kNotFound) {
      return ErrorMessage(message.id, error_code::kInvalidParams,
                          "Unknown tool: " + Clip(call.name));
    }
    obs::LogError("mcp_tool_failed", {{"tool", Clip(call.name)},
                                      {"code", ErrorCodeName(result.error().code)},
                                      {"message", result.error().message}});
    return ErrorMessage(message.id, error_code::kInternalError, "Internal error");
  }
  json out = {{"content", json::array({{{"type", "text"}, {"text", result->text}}})},
              {"isError", result->is_error}};
  if (result->structured.is_object()) out["structuredContent"] = std::move(result->structured);
  return ResultMessage(message.id, std::move(out));
}

http::Response McpServer::Delete(http::Request& request) {
  if (!request.attributes.principal || !request.attributes.company_id) {
    return http::Response::Error(ErrorCode::kUnauthenticated, "authentication required");
  }
  const SessionOwner owner{*request.attributes.principal, *request.attributes.company_id};
  const auto id = request.Header(kSessionHeader);
  if (!id || TrimBlanks(*id).empty()) {
    return Refuse(400, error_code::kBadRequest, "Bad Request: Mcp-Session-Id header is required");
  }
  if (!sessions_.Close(TrimBlanks(*id), owner)) {
    return Refuse(404, error_code::kSessionNotFound, "Session not found");
  }
  obs::LogInfo("mcp_session_closed", {{"company_id", owner.company_id}});
  return http::Response::NoContent();
}

}  // namespace callgate::mcp
