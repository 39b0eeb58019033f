#pragma once
// The one place that maps transport-independent ErrorCodes to HTTP statuses.
//
//   invalid_argument  400   unauthenticated  401   permission_denied 403   not_found 404
//   already_exists    409   conflict         409   payload_too_large 413   rate_limited 429
//   internal          500   unavailable      503   timeout           504
//
// invalid_argument is 400, not 422: one code covers both malformed JSON and failed validation,
// and 400 is what every client (Retell included) treats as "fix your request"; the body's
// "code" field carries the precise reason. See docs/adr/0003-http-server.md.

#include <string_view>

#include "core/result.hpp"

namespace callgate::http {

// HTTP status for an error code. Pure, thread-safe.
int HttpStatusFor(ErrorCode code) noexcept;

// The "code" string of a JSON error body for a status that the edge produces itself: the
// ErrorCodeName when one code maps to the status (404 → "not_found", 409 → "conflict"), else a
// status-specific name ("bad_request", "method_not_allowed", "uri_too_long",
// "header_fields_too_large"), else "bad_request" for 4xx and "internal" for anything else.
std::string_view ErrorCodeNameForStatus(int status) noexcept;

// Standard reason phrase ("Not Found"); "Unknown" for unlisted codes.
std::string_view ReasonPhrase(int status) noexcept;

}  // namespace callgate::http
