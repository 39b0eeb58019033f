#include "http/response.hpp"

#include <nlohmann/json.hpp>

#include "http/error_mapping.hpp"

namespace callgate::http {

Response Response::Text(int status, std::string body, std::string_view content_type) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", std::string(content_type));
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, const nlohmann::json& body) {
  // Replace invalid UTF-8 instead of throwing: a handler echoing caller input must not turn
  // a well-formed answer into a 500.
  return RawJson(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response Response::RawJson(int status, std::string serialized_json) {
  return Text(status, std::move(serialized_json), kJsonContentType);
}

Response Response::Later(std::shared_ptr<PendingAnswer> pending) {
  Response response;
  response.pending = std::move(pending);
  return response;
}

Response Response::NoContent() {
  Response response;
  response.status = 204;
  return response;
}

Response Response::Error(ErrorCode code, std::string message) {
  Response response = RawJson(HttpStatusFor(code), {});
  response.error = ErrorDetails{std::string(ErrorCodeName(code)), std::move(message), {}};
  response.body = RenderErrorBody(*response.error, {});
  return response;
}

Response Response::Error(const callgate::Error& error) {
  const int status = HttpStatusFor(error.code);
  if (status < 500) return Error(error.code, error.message);
  // Server-side failures carry storage or dependency texts: the client gets a generic message
  // and the request id, the log gets the detail (SPEC §4).
  Response response =
      Error(error.code, status == 500 ? "internal error" : "temporarily unavailable; retry later");
  response.error->detail = error.message;
  return response;
}

Response Response::Error(int status, std::string message) {
  Response response = RawJson(status, {});
  response.error =
      ErrorDetails{std::string(ErrorCodeNameForStatus(status)), std::move(message), {}};
  response.body = RenderErrorBody(*response.error, {});
  return response;
}

void Response::AttachRequestId(std::string_view request_id) {
  if (error) body = RenderErrorBody(*error, request_id);
}

std::string RenderErrorBody(const ErrorDetails& error, std::string_view request_id) {
  nlohmann::json inner = {{"code", error.code}, {"message", error.message}};
  if (!request_id.empty()) inner["request_id"] = request_id;
  return nlohmann::json{{"error", std::move(inner)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

}  // namespace callgate::http
