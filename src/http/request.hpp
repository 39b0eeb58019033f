#pragma once
// Request: one parsed HTTP request as handlers and middleware see it. Independent of the HTTP
// server library (RESTinio stays inside server.cpp), so handlers are unit-testable by building
// a Request by hand.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "http/headers.hpp"

namespace callgate::http {

// HTTP request methods the router distinguishes. Anything else is kOther (never routed).
enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// Upper-case token ("GET", "POST", ...; "OTHER" for kOther).
std::string_view MethodName(Method method) noexcept;
// Parses an upper-case method token; unknown tokens give kOther.
Method ParseMethod(std::string_view token) noexcept;

// Decoded query parameters in order of appearance; a name may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes (and '+' as space when plus_as_space). Malformed escapes are kept
// literally rather than rejected: lenient, like most servers; handlers validate values anyway.
std::string PercentDecode(std::string_view input, bool plus_as_space);
// Splits "a=1&b=x%20y" into decoded pairs (form-style: '+' is a space). Empty pieces are skipped;
// "flag" without '=' gives an empty value.
QueryParams ParseQueryString(std::string_view query);

// Results that middleware attach to the request for later middleware and the handler. Typed on
// purpose: no string-keyed bag. Extend with a field when a new middleware needs one.
struct RequestAttributes {
  // Tenant resolved by a guard (e.g. from the Retell call or an admin token).
  std::optional<std::int64_t> company_id;
  // Authenticated principal, e.g. "retell" or "user:42"; empty when unauthenticated.
  std::optional<std::string> principal;
  // True when the principal's token may only read (its abilities): set by the token guards.
  bool read_only = false;
  // Client address after trusted-proxy processing; empty = use Request::peer_address.
  std::optional<std::string> client_address;
};

// A request. Filled by the server on a handler worker thread; owned by one thread at a time.
struct Request {
  Method method = Method::kGet;
  // Raw method token as received (useful for logs when method == kOther).
  std::string method_token = "GET";
  // Raw request target ("/api/retell/x?call_id=1"), path part only ("/api/retell/x", still
  // percent-encoded) and raw query string ("call_id=1").
  std::string target;
  std::string path;
  std::string raw_query;
  QueryParams query;
  Headers headers;
  // Raw body bytes exactly as received; signatures are computed over these.
  std::string body;
  // TCP peer ("127.0.0.1" / "::1") and port.
  std::string peer_address;
  std::uint16_t peer_port = 0;
  // Set by the request id middleware before anything else runs.
  std::string request_id;
  // Filled by the router: the matched pattern ("/api/retell/{function}", for logs and metric
  // labels; empty when nothing matched) and the decoded {param} values.
  std::string route_pattern;
  std::vector<std::pair<std::string, std::string>> route_params;
  RequestAttributes attributes;
  // When the server finished reading the request (steady clock).
  SteadyTimePoint received_at{};

  // First header / query parameter / route parameter with this name, or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const { return headers.Get(name); }
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  std::optional<std::string_view> RouteParam(std::string_view name) const;
  // The client's address: attributes.client_address when set, otherwise peer_address.
  std::string_view ClientAddress() const noexcept;
};

}  // namespace callgate::http
