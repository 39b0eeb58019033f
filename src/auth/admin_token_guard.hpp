#pragma once
// Route guards of the admin API (SPEC.md §4): AdminTokenGuard turns "Authorization: Bearer
// cg_..." into a Principal on the request; RequireRole() admits only some roles.
//
// Order on a route: [failed-auth rate limit (ratelimit::MakeFailedAuthGuard)] → admin_token →
// role_* → handler. The rate limiter counts the 401s this guard answers per client address;
// FailedAuthHook is the in-process hook for anything else that wants to see them.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_service.hpp"
#include "auth/model.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::auth {

// Told about every refused credential: the client address (after trusted-proxy processing) and
// the outcome label. Runs on the request thread; must be thread-safe, fast and not throw.
using FailedAuthHook =
    std::function<void(std::string_view client_address, std::string_view outcome)>;

// Counter of every decision: callgate_admin_auth_total{outcome} with outcome = ok | missing |
// malformed | unknown | expired | revoked | inactive_user | read_only_token | agent_token |
// company_inactive | error.
inline constexpr std::string_view kAdminAuthMetric = "callgate_admin_auth_total";

// Name() "admin_token". Without a valid token: 401 JSON {"error":{"code":"unauthenticated"}}
// with `WWW-Authenticate: Bearer` and the same message whatever was wrong (the reason goes to
// the counter and the log only; the token never does). A token without the "write" ability
// gets 403 on anything but GET/HEAD. An agent's token (Role::kAgent, it opens /mcp only) gets
// 403 on every admin route (outcome "agent_token"). Storage down: 503. On success sets
// attributes.principal (see FormatPrincipal) and, for company users, attributes.company_id.
// Thread-safe; `auth` and `metrics` must outlive it.
class AdminTokenGuard final : public http::Middleware {
 public:
  // With `companies`, a user of a deactivated company is refused (403 "company deactivated",
  // outcome "company_inactive") on every admin route: deactivating a company ends its access.
  AdminTokenGuard(AuthService& auth, observability::Metrics& metrics,
                  FailedAuthHook on_failure = {}, tenancy::CompanyRepository* companies = nullptr)
      : auth_(auth), metrics_(metrics), on_failure_(std::move(on_failure)), companies_(companies) {}

  std::string_view Name() const noexcept override { return "admin_token"; }
  http::Response Handle(http::Request& request, const http::Next& next) const override;

 private:
  http::Response Reject(const http::Request& request, std::string_view outcome) const;

  AuthService& auth_;
  observability::Metrics& metrics_;
  FailedAuthHook on_failure_;
  tenancy::CompanyRepository* companies_;
};

// The token of an `Authorization: Bearer <token>` header value (case-insensitive scheme,
// surrounding blanks trimmed); nullopt for any other scheme or an empty token.
std::optional<std::string_view> ParseBearerToken(std::string_view header);

// What the admin guard leaves on a request, read back by RequireRole and the handlers.
struct RequestActor {
  UserId user_id;
  Role role = Role::kViewer;
  std::optional<tenancy::CompanyId> company_id;  // empty for platform admins
};

// "user:<id>:<role>", the form of attributes.principal for admin users. RequestAttributes has
// no typed slot for a role, so it travels in the principal; ActorOf() is the only reader.
std::string FormatPrincipal(const Principal& principal);

// The admin user of a request that passed AdminTokenGuard; nullopt for any other request
// (no principal, or a non-user principal such as "retell").
std::optional<RequestActor> ActorOf(const http::Request& request);

// A guard named "role_<role>[_<role>...]" that admits requests whose admin user has one of
// `roles` and answers 403 JSON otherwise (401 when no admin user is on the request, i.e. when
// it was placed without AdminTokenGuard before it).
http::MiddlewarePtr RequireRole(std::initializer_list<Role> roles);

}  // namespace callgate::auth
