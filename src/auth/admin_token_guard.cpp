#include "auth/admin_token_guard.hpp"

#include <algorithm>
#include <charconv>

#include "http/headers.hpp"
#include "observability/log.hpp"

namespace callgate::auth {
namespace {

bool IsReadMethod(http::Method method) {
  return method == http::Method::kGet || method == http::Method::kHead;
}

}  // namespace

std::optional<std::string_view> ParseBearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !http::EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

http::Response AdminTokenGuard::Reject(const http::Request& request,
                                       std::string_view outcome) const {
  metrics_.Increment(kAdminAuthMetric, {{"outcome", std::string(outcome)}});
  observability::LogWarn("admin_auth_rejected", {{"outcome", outcome},
                                                 {"route", request.route_pattern},
                                                 {"client", request.ClientAddress()}});
  if (on_failure_) on_failure_(request.ClientAddress(), outcome);
  auto response =
      http::Response::Error(ErrorCode::kUnauthenticated, "missing, invalid or expired token");
  response.headers.Set("WWW-Authenticate", "Bearer realm=\"callgate-admin\"");
  return response;
}

http::Response AdminTokenGuard::Handle(http::Request& request, const http::Next& next) const {
  const auto header = request.Header("Authorization");
  if (!header) return Reject(request, "missing");
  const auto token = ParseBearerToken(*header);
  if (!token) return Reject(request, "malformed");
  auto principal = auth_.Authenticate(*token);
  if (!principal) {
    if (principal.error().code == ErrorCode::kUnauthenticated) {
      return Reject(request, principal.error().message);
    }
    metrics_.Increment(kAdminAuthMetric, {{"outcome", "error"}});
    observability::LogError("admin_auth_error", {{"code", ErrorCodeName(principal.error().code)},
                                                 {"message", principal.error().message}});
    return http::Response::Error(ErrorCode::kUnavailable, "authentication is unavailable");
  }
  if (principal->role == Role::kAgent) {
    metrics_.Increment(kAdminAuthMetric, {{"outcome", "agent_token"}});
    return http::Response::Error(ErrorCode::kPermissionDenied,
                                 "an agent token opens only the MCP endpoint");
  }
  if (IsReadMethod(request.method) ? !principal->CanRead() : !principal->CanWrite()) {
    metrics_.Increment(kAdminAuthMetric, {{"outcome", "read_only_token"}});
    return http::Response::Error(ErrorCode::kPermissionDenied, "this token may not make changes");
  }
  if (principal->company_id && companies_ != nullptr) {
    auto company = companies_->FindById(*principal->company_id);
    if (!company) {
      metrics_.Increment(kAdminAuthMetric, {{"outcome", "error"}});
      return http::Response::Error(company.error().code == ErrorCode::kNotFound
                                       ? ErrorCode::kPermissionDenied
                                       : ErrorCode::kUnavailable,
                                   "the company is not available");
    }
    if (!company->is_active) {
      metrics_.Increment(kAdminAuthMetric, {{"outcome", "company_inactive"}});
      return http::Response::Error(ErrorCode::kPermissionDenied, "company deactivated");
    }
  }
  metrics_.Increment(kAdminAuthMetric, {{"outcome", "ok"}});
  request.attributes.principal = FormatPrincipal(*principal);
  if (principal->company_id) {
    request.attributes.company_id = principal->company_id->value;
  } else {
    request.attributes.company_id.reset();
  }
  return next(request);
}

std::string FormatPrincipal(const Principal& principal) {
  return "user:" + std::to_string(principal.user_id.value) + ":" +
         std::string(RoleName(principal.role));
}

std::optional<RequestActor> ActorOf(const http::Request& request) {
  if (!request.attributes.principal) return std::nullopt;
  std::string_view text = *request.attributes.principal;
  constexpr std::string_view kPrefix = "user:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::int64_t id = 0;
  const auto digits = text.substr(0, colon);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0) return std::nullopt;
  auto role = ParseRole(text.substr(colon + 1));
  if (!role) return std::nullopt;
  RequestActor actor;
  actor.user_id = UserId(id);
  actor.role = *role;
  if (*role != Role::kPlatformAdmin) {
    // A company user without a company on the request is not an admin request at all.
    if (!request.attributes.company_id) return std::nullopt;
    actor.company_id = tenancy::CompanyId(*request.attributes.company_id);
  }
  return actor;
}

http::MiddlewarePtr RequireRole(std::initializer_list<Role> roles) {
  std::string name = "role";
  for (Role r : roles) name += "_" + std::string(RoleName(r));
  std::vector<Role> allowed(roles);
  return http::MakeFilter(
      std::move(name), [allowed](http::Request& request) -> std::optional<http::Response> {
        const auto actor = ActorOf(request);
        if (!actor) {
          return http::Response::Error(ErrorCode::kUnauthenticated, "authentication required");
        }
        if (std::find(allowed.begin(), allowed.end(), actor->role) == allowed.end()) {
          return http::Response::Error(ErrorCode::kPermissionDenied,
                                       "your role may not use this endpoint");
        }
        return std::nullopt;
      });
}

}  // namespace callgate::auth
