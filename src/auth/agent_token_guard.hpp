#pragma once
// AgentTokenGuard: the route guard of the MCP endpoint (docs/agents.md "MCP"). Admits only
// tokens of users with role `agent`, each bound to one company: the token decides the company
// the MCP client works for. Admin roles' tokens never open it, and agent tokens open nothing
// of the admin API (AdminTokenGuard refuses them).
//
// Order on a route: [failed-auth rate limit (ratelimit::MakeFailedAuthGuard)] → agent_token →
// handler.

#include <string_view>

#include "auth/auth_service.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::auth {

// Counter of every decision: callgate_agent_auth_total{outcome} with outcome = ok | missing |
// malformed | unknown | expired | revoked | inactive_user | not_agent | company_inactive |
// error.
inline constexpr std::string_view kAgentAuthMetric = "callgate_agent_auth_total";

// Name() "agent_token". Without a valid token: 401 JSON {"error":{"code":"unauthenticated"}}
// with `WWW-Authenticate: Bearer realm="callgate-mcp"` (plus `error="invalid_token"` when a
// token was sent), the same message whatever was wrong. A valid token of another role, or of a
// deactivated company: 403. Storage down: 503. On success sets attributes.principal
// (FormatPrincipal, "user:<id>:agent") and attributes.company_id. Thread-safe; `auth`,
// `metrics` and `companies` must outlive it.
class AgentTokenGuard final : public http::Middleware {
 public:
  AgentTokenGuard(AuthService& auth, observability::Metrics& metrics,
                  tenancy::CompanyRepository& companies)
      : auth_(auth), metrics_(metrics), companies_(companies) {
    metrics_.Describe(kAgentAuthMetric, "Agent token checks on /mcp, by outcome.");
  }

  std::string_view Name() const noexcept override { return "agent_token"; }
  http::Response Handle(http::Request& request, const http::Next& next) const override;

 private:
  http::Response Reject(const http::Request& request, std::string_view outcome,
                        bool token_sent) const;

  AuthService& auth_;
  observability::Metrics& metrics_;
  tenancy::CompanyRepository& companies_;
};

}  // namespace callgate::auth
