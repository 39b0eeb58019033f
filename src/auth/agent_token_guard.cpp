#include "auth/agent_token_guard.hpp"

#include "auth/admin_token_guard.hpp"
#include "observability/log.hpp"

namespace callgate::auth {

http::Response AgentTokenGuard::Reject(const http::Request& request, std::string_view outcome,
                                       bool token_sent) const {
  metrics_.Increment(kAgentAuthMetric, {{"outcome", std::string(outcome)}});
  observability::LogWarn("agent_auth_rejected", {{"outcome", outcome},
                                                 {"route", request.route_pattern},
                                                 {"client", request.ClientAddress()}});
  auto response =
      http::Response::Error(ErrorCode::kUnauthenticated, "missing, invalid or expired token");
  // RFC 6750 §3: no error code when the request carried no credentials.
  response.headers.Set("WWW-Authenticate", token_sent ? "Bearer realm=\"callgate-mcp\", "
                                                        "error=\"invalid_token\""
                                                      : "Bearer realm=\"callgate-mcp\"");
  return response;
}

http::Response AgentTokenGuard::Handle(http::Request& request, const http::Next& next) const {
  const auto header = request.Header("Authorization");
  if (!header) return Reject(request, "missing", false);
  const auto token = ParseBearerToken(*header);
  if (!token) return Reject(request, "malformed", true);
  auto principal = auth_.Authenticate(*token);
  if (!principal) {
    if (principal.error().code == ErrorCode::kUnauthenticated) {
      return Reject(request, principal.error().message, true);
    }
    metrics_.Increment(kAgentAuthMetric, {{"outcome", "error"}});
    observability::LogError("agent_auth_error", {{"code", ErrorCodeName(principal.error().code)},
                                                 {"message", principal.error().message}});
    return http::Response::Error(ErrorCode::kUnavailable, "authentication is unavailable");
  }
  if (principal->role != Role::kAgent || !principal->company_id) {
    metrics_.Increment(kAgentAuthMetric, {{"outcome", "not_agent"}});
    return http::Response::Error(ErrorCode::kPermissionDenied,
                                 "only tokens of agent users open this endpoint");
  }
  auto company = companies_.FindById(*principal->company_id);
  if (!company) {
    metrics_.Increment(kAgentAuthMetric, {{"outcome", "error"}});
    return http::Response::Error(company.error().code == ErrorCode::kNotFound
                                     ? ErrorCode::kPermissionDenied
                                     : ErrorCode::kUnavailable,
                                 "the company is not available");
  }
  if (!company->is_active) {
    metrics_.Increment(kAgentAuthMetric, {{"outcome", "company_inactive"}});
    return http::Response::Error(ErrorCode::kPermissionDenied, "company deactivated");
  }
  metrics_.Increment(kAgentAuthMetric, {{"outcome", "ok"}});
  request.attributes.principal = FormatPrincipal(*principal);
  request.attributes.company_id = principal->company_id->value;
  // A read-only token reaches only the tools that change nothing (agent::ToolRunner).
  request.attributes.read_only = !principal->CanWrite();
  return next(request);
}

}  // namespace callgate::auth
