#pragma once
// Trusted proxies and the IP allowlist (SPEC §4).
//
// TrustedProxyMiddleware decides the client address of every request and stores it in
// Request::attributes.client_address (read it through Request::ClientAddress()):
// - X-Forwarded-For and X-Forwarded-Proto count only when the direct TCP peer lies in one of the
//   configured networks (default: none, so a client can never choose its own address);
// - the client is then the right-most X-Forwarded-For hop that is not itself a trusted proxy;
//   when every hop is trusted, the left-most one;
// - a malformed hop ("unknown", garbage, an obfuscated name) stops the walk: the client is the
//   trusted hop that reported it, since nothing left of it can be vouched for;
// - hops may carry a port ("192.0.2.1:5060", "[2001:db8::1]:443"), which is dropped;
// - from an untrusted peer both headers are removed, so later code cannot be fooled by them;
//   from a trusted peer X-Forwarded-Proto is kept only as "http" or "https" (its right-most
//   value), so after this middleware the header is either absent or trustworthy.
//
// Install it first in the router's global chain (Router::Use) so every guard sees the result.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.hpp"
#include "http/middleware.hpp"

namespace callgate::http {

inline constexpr std::string_view kForwardedForHeader = "X-Forwarded-For";
inline constexpr std::string_view kForwardedProtoHeader = "X-Forwarded-Proto";

// The set of trusted proxy networks. Immutable; thread-safe.
class TrustedProxies {
 public:
  // Empty = trust no proxy.
  explicit TrustedProxies(std::vector<IpNetwork> networks = {}) : networks_(std::move(networks)) {}

  // True when `address` (an IP literal, optionally bracketed) lies in a trusted network; false
  // for anything that does not parse.
  bool IsTrusted(std::string_view address) const;

  // The client address for a request from `peer` carrying these X-Forwarded-For values (every
  // header field in order; each may hold a comma-separated list). Returns `peer` unchanged
  // when it is not trusted. Pure; thread-safe.
  std::string ResolveClient(std::string_view peer,
                            const std::vector<std::string_view>& forwarded_for) const;

  bool empty() const noexcept { return networks_.empty(); }

 private:
  std::vector<IpNetwork> networks_;
};

// Middleware (Name() "trusted_proxies") applying TrustedProxies to every request as described
// above. Thread-safe.
class TrustedProxyMiddleware final : public Middleware {
 public:
  explicit TrustedProxyMiddleware(TrustedProxies proxies) : proxies_(std::move(proxies)) {}
  std::string_view Name() const noexcept override { return "trusted_proxies"; }
  Response Handle(Request& request, const Next& next) const override;

 private:
  TrustedProxies proxies_;
};

// Shorthand for std::make_shared<TrustedProxyMiddleware>(TrustedProxies(networks)).
MiddlewarePtr MakeTrustedProxyMiddleware(std::vector<IpNetwork> networks);

// Told about every request the allowlist refuses (e.g. to count it). Must be thread-safe and
// must not throw.
using AllowlistRejectCallback = std::function<void(const Request&)>;

// An extra route guard (Name() "ip_allowlist"): requests whose client address
// (Request::ClientAddress(), i.e. after trusted-proxy processing) is not in `allowed` get 403
// JSON; the others are passed on to the next guard. It never answers a request itself, so it
// can only add a condition to the signature guard, never replace it: put it in the same route's
// guard list, before or after the signature guard. An empty list refuses everything (install
// the guard only when an allowlist is configured). Thread-safe.
MiddlewarePtr MakeIpAllowlistGuard(std::vector<IpNetwork> allowed,
                                   AllowlistRejectCallback on_reject = {});

}  // namespace callgate::http
