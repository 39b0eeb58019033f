#pragma once
// Response: what a handler or middleware answers. Holds the already-serialised body, so this
// header needs neither RESTinio nor the full nlohmann/json (only its forward declarations).

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/headers.hpp"

namespace callgate::http {

inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";
inline constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// The structured part of an error response; the body is rendered from it as
// {"error":{"code":"not_found","message":"...","request_id":"..."}}.
struct ErrorDetails {
  std::string code;     // stable snake_case, e.g. "not_found", "method_not_allowed"
  std::string message;  // human-readable; never secrets or exception texts
  // For the log only, never rendered: what a 5xx built from a callgate::Error really was.
  std::string detail;
};

class PendingAnswer;

// An HTTP response. Value type; build with the factory functions below. Not thread-safe for
// concurrent mutation.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Set only by the Error() factories. While set, the body is owned by the error: the server
  // re-renders it with the request id just before sending (see AttachRequestId).
  std::optional<ErrorDetails> error;
  // Set only by Later(): the answer comes after the handler returned (http/pending_answer.hpp);
  // status, headers and body are not used then.
  std::shared_ptr<PendingAnswer> pending;

  // Plain text body with the given content type.
  static Response Text(int status, std::string body,
                       std::string_view content_type = kTextContentType);
  // JSON body serialised from `body` (compact, UTF-8; invalid UTF-8 is replaced, never thrown).
  static Response Json(int status, const nlohmann::json& body);
  // JSON body that the caller serialised already (e.g. cached); not validated.
  static Response RawJson(int status, std::string serialized_json);
  // 204 without body.
  static Response NoContent();
  // The answer comes later, through `pending` (PendingAnswer::Answer).
  static Response Later(std::shared_ptr<PendingAnswer> pending);

  // Error responses with the JSON error body. The status comes from http/error_mapping.
  static Response Error(ErrorCode code, std::string message);
  // From a domain/storage error: 4xx keep their message; 5xx get a generic public message and
  // keep error.message as ErrorDetails::detail for the access log (never sent).
  static Response Error(const callgate::Error& error);
  // For edge conditions without an ErrorCode (405, 414, ...): the code name is derived from
  // the status (ErrorCodeNameForStatus).
  static Response Error(int status, std::string message);

  // Puts the request id into an error body (no-op for non-error responses). Called by the
  // server before sending; safe to call more than once.
  void AttachRequestId(std::string_view request_id);
};

// Renders the JSON error body; request_id is omitted when empty.
std::string RenderErrorBody(const ErrorDetails& error, std::string_view request_id);

}  // namespace callgate::http
