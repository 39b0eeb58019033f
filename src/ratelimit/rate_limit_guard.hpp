#pragma once
// HTTP guards that apply rate limits (SPEC §4). Rejections answer 429 JSON
// {"error":{"code":"rate_limited",...}} with a Retry-After header (whole seconds, ≥ 1).
//
// Keys are chosen per route by a BucketFn: company + function for signed Retell traffic
// (ByCompanyAndRouteParam), client address for public and admin routes (ByClientAddress, which
// reads Request::ClientAddress(), i.e. after trusted-proxy processing). Retell calls come from
// few addresses, so never put ByClientAddress on a Retell route; use MakeFailedAuthGuard there.
//
// Counters per guard scope:
//   callgate_ratelimit_requests_total{scope,outcome}  outcome = allowed | rejected | unlimited |
//                                                     error (limiter failed: let through) |
//                                                     counted (failed_auth: a 401 was charged)
//   callgate_ratelimit_rejected_total{scope}          429 answers

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace callgate::ratelimit {

// What a request is counted against.
struct Bucket {
  std::string key;  // without the scope; the guard prefixes "<scope>:"
  Limit limit;
};

// Picks the bucket of a request, or nullopt to let it through unlimited. Must be thread-safe.
using BucketFn = std::function<std::optional<Bucket>(const http::Request&)>;

// Key = the client address ("ip:<address>").
BucketFn ByClientAddress(Limit limit);

// Key = "company:<attributes.company_id>:<route param>" (e.g. the Retell function name), with
// the limit from `overrides` for that param value or `default_limit`. Requests without a
// company id (no earlier guard resolved the tenant) or without the param are not limited, so
// put it after the guard that sets attributes.company_id.
BucketFn ByCompanyAndRouteParam(std::string param, Limit default_limit,
                                std::map<std::string, Limit, std::less<>> overrides = {});

// A route guard (Name() "rate_limit") counting each request against `bucket(request)` in
// `limiter` under "<scope>:"; 429 when over the limit. A failing limiter lets the request
// through (counted as outcome=error): limits protect, they must not cause outages. `limiter`
// and `metrics` must outlive the guard. Thread-safe.
http::MiddlewarePtr MakeRateLimitGuard(std::string scope, BucketFn bucket, RateLimiter& limiter,
                                       observability::Metrics& metrics);

// A guard (Name() "failed_auth_limit") for authenticated routes, placed BEFORE the
// authentication guard. Credentials are always checked; every 401 that comes back through it
// is counted against the client address, and once the address is over `limit` its failures
// are answered 429 instead of 401. A request that authenticates is never refused by it, so
// legitimate traffic from shared addresses (Retell) cannot be locked out by bad requests from
// the same address. Scope label "failed_auth". Thread-safe.
http::MiddlewarePtr MakeFailedAuthGuard(Limit limit, RateLimiter& limiter,
                                        observability::Metrics& metrics);

// The 429 response for a denied decision (Retry-After = retry_after rounded up to seconds).
http::Response RateLimitedResponse(const Decision& decision);

}  // namespace callgate::ratelimit
