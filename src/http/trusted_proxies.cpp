#include "http/trusted_proxies.hpp"

#include <optional>

#include "core/text.hpp"

namespace callgate::http {
namespace {

// The address part of one hop: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]" or "[v6]:port".
// nullopt when it is not an IP literal.
bool IsPort(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::string> HopAddress(std::string_view hop) {
  hop = TrimBlanks(hop);
  if (hop.empty()) return std::nullopt;
  if (hop.front() == '[') {
    const auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = hop.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) return std::nullopt;
    hop = hop.substr(1, close - 1);
  } else if (const auto colon = hop.find(':'); colon != std::string_view::npos &&
                                               hop.find(':', colon + 1) == std::string_view::npos) {
    // Exactly one colon: IPv4 with a port (IPv6 literals have at least two).
    if (!IsPort(hop.substr(colon + 1))) return std::nullopt;
    hop = hop.substr(0, colon);
  }
  if (!ParseIpAddress(hop)) return std::nullopt;
  return std::string(hop);
}

std::vector<std::string_view> SplitHops(const std::vector<std::string_view>& fields) {
  std::vector<std::string_view> hops;
  for (std::string_view field : fields) {
    std::size_t start = 0;
    while (start <= field.size()) {
      const std::size_t comma = field.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? field.size() : comma;
      hops.push_back(TrimBlanks(field.substr(start, end - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  return hops;
}

}  // namespace

bool TrustedProxies::IsTrusted(std::string_view address) const {
  if (networks_.empty()) return false;
  auto parsed = ParseIpAddress(address);
  if (!parsed) return false;
  for (const IpNetwork& network : networks_) {
    if (network.Contains(*parsed)) return true;
  }
  return false;
}

std::string TrustedProxies::ResolveClient(
    std::string_view peer, const std::vector<std::string_view>& forwarded_for) const {
  if (!IsTrusted(peer)) return std::string(peer);
  std::string client(peer);
  const std::vector<std::string_view> hops = SplitHops(forwarded_for);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;  // "a,,b" or a trailing comma: no hop at all
    auto address = HopAddress(*it);
    if (!address) break;
    client = std::move(*address);
    if (!IsTrusted(client)) break;
  }
  return client;
}

Response TrustedProxyMiddleware::Handle(Request& request, const Next& next) const {
  if (!proxies_.IsTrusted(request.peer_address)) {
    request.headers.Remove(kForwardedForHeader);
    request.headers.Remove(kForwardedProtoHeader);
    request.attributes.client_address = request.peer_address;
    return next(request);
  }
  std::vector<std::string_view> forwarded_for;
  std::optional<std::string> proto;
  for (const auto& [name, value] : request.headers.All()) {
    if (EqualsIgnoreCase(name, kForwardedForHeader)) forwarded_for.push_back(value);
    if (EqualsIgnoreCase(name, kForwardedProtoHeader)) {
      // The right-most value is the one our proxy set.
      std::string_view last = value;
      if (const auto comma = last.rfind(','); comma != std::string_view::npos) {
        last = last.substr(comma + 1);
      }
      last = TrimBlanks(last);
      if (EqualsIgnoreCase(last, "https"))
        proto = "https";
      else if (EqualsIgnoreCase(last, "http"))
        proto = "http";
      else
        proto.reset();
    }
  }
  request.attributes.client_address = proxies_.ResolveClient(request.peer_address, forwarded_for);
  request.headers.Remove(kForwardedProtoHeader);
  if (proto) request.headers.Set(std::string(kForwardedProtoHeader), *proto);
  return next(request);
}

MiddlewarePtr MakeTrustedProxyMiddleware(std::vector<IpNetwork> networks) {
  return std::make_shared<TrustedProxyMiddleware>(TrustedProxies(std::move(networks)));
}

MiddlewarePtr MakeIpAllowlistGuard(std::vector<IpNetwork> allowed,
                                   AllowlistRejectCallback on_reject) {
  TrustedProxies list(std::move(allowed));  // same membership test
  return MakeFilter(
      "ip_allowlist",
      [list = std::move(list),
       on_reject = std::move(on_reject)](Request& request) -> std::optional<Response> {
        if (list.IsTrusted(request.ClientAddress())) return std::nullopt;
        if (on_reject) {
          try {
            on_reject(request);
          } catch (...) {
            // Reporting is best effort; the request is refused either way.
          }
        }
        return Response::Error(ErrorCode::kPermissionDenied, "client address not allowed");
      });
}

}  // namespace callgate::http
