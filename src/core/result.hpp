#pragma once
// Result<T>: the return type of every operation whose failure is expected on the request
// path. Failures are values (an ErrorCode plus a human-readable message), never exceptions.

#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace callgate {

// What went wrong, independent of transport. One place (http/error_mapping) maps these to
// HTTP status codes; keep the list short and meaningful.
enum class ErrorCode {
  kInvalidArgument,   // the caller's input is malformed or incomplete
  kUnauthenticated,   // no or bad credentials / signature
  kPermissionDenied,  // authenticated, but not allowed to touch this
  kNotFound,          // the thing does not exist (for this tenant)
  kAlreadyExists,     // a unique key is taken
  kConflict,          // the state does not allow it (slot taken, stale version)
  kPayloadTooLarge,   // request exceeds a size limit
  kRateLimited,       // too many requests
  kUnavailable,       // a dependency is down or the circuit is open; retry later
  kTimeout,           // a dependency did not answer in time
  kInternal,          // a bug or an unexpected dependency answer
};

// Stable snake_case name for logs, metrics and JSON error bodies.
std::string_view ErrorCodeName(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for a failed Result: `return Fail(ErrorCode::kNotFound, "no such company");`
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Result of an operation that yields nothing on success.
using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace callgate
