#include "http/error_mapping.hpp"

namespace callgate::http {

int HttpStatusFor(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorCodeNameForStatus(int status) noexcept {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return ErrorCodeName(ErrorCode::kUnauthenticated);
    case 403:
      return ErrorCodeName(ErrorCode::kPermissionDenied);
    case 404:
      return ErrorCodeName(ErrorCode::kNotFound);
    case 405:
      return "method_not_allowed";
    // 409 is shared by already_exists and conflict; the more general name wins.
    case 409:
      return ErrorCodeName(ErrorCode::kConflict);
    case 413:
      return ErrorCodeName(ErrorCode::kPayloadTooLarge);
    case 414:
      return "uri_too_long";
    case 429:
      return ErrorCodeName(ErrorCode::kRateLimited);
    case 431:
      return "header_fields_too_large";
    case 500:
      return ErrorCodeName(ErrorCode::kInternal);
    case 503:
      return ErrorCodeName(ErrorCode::kUnavailable);
    case 504:
      return ErrorCodeName(ErrorCode::kTimeout);
    default:
      break;
  }
  return (status >= 400 && status < 500) ? "bad_request" : "internal";
}

std::string_view ReasonPhrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      break;
  }
  return "Unknown";
}

}  // namespace callgate::http
