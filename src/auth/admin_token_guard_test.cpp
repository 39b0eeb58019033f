// AdminTokenGuard, RequireRole and AgentTokenGuard on a Router, with in-memory repositories.
#include "auth/admin_token_guard.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "auth/agent_token_guard.hpp"
#include "core/testing/fake_clock.hpp"
#include "http/router.hpp"

namespace callgate::auth {
namespace {

class MemoryUsers final : public UserRepository {
 public:
  Result<User> Create(const User& user) override {
    std::lock_guard lock(mutex_);
    User stored = user;
    stored.id = UserId(static_cast<std::int64_t>(users_.size()) + 1);
    users_[stored.id.value] = stored;
    return stored;
  }
  Result<User> FindById(UserId id) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(id.value);
    if (it == users_.end()) return Fail(ErrorCode::kNotFound, "no user");
    return it->second;
  }
  Result<User> FindByEmail(std::string_view email) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, u] : users_) {
      if (u.email == email) return u;
    }
    return Fail(ErrorCode::kNotFound, "no user");
  }

 private:
  std::mutex mutex_;
  std::map<std::int64_t, User> users_;
};

class MemoryTokens final : public TokenRepository {
 public:
  Result<ApiToken> Create(const ApiToken& token) override {
    std::lock_guard lock(mutex_);
    ApiToken stored = token;
    stored.id = TokenId(static_cast<std::int64_t>(tokens_.size()) + 1);
    tokens_[stored.id.value] = stored;
    return stored;
  }
  Result<ApiToken> FindById(TokenId id) override {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(id.value);
    if (it == tokens_.end()) return Fail(ErrorCode::kNotFound, "no token");
    return it->second;
  }
  Result<ApiToken> FindByHash(std::string_view hash) override {
    std::lock_guard lock(mutex_);
    if (fail_) return Fail(ErrorCode::kUnavailable, "database down");
    for (const auto& [id, t] : tokens_) {
      if (t.token_hash == hash) return t;
    }
    return Fail(ErrorCode::kNotFound, "no token");
  }
  Result<ApiToken> Revoke(TokenId id, SystemTimePoint at) override {
    std::lock_guard lock(mutex_);
    auto& t = tokens_.at(id.value);
    if (!t.revoked_at) t.revoked_at = at;
    return t;
  }
  Status TouchLastUsed(TokenId id, SystemTimePoint at) override {
    std::lock_guard lock(mutex_);
    tokens_.at(id.value).last_used_at = at;
    return Ok();
  }
  void SetFailing(bool fail) {
    std::lock_guard lock(mutex_);
    fail_ = fail;
  }

 private:
  std::mutex mutex_;
  std::map<std::int64_t, ApiToken> tokens_;
  bool fail_ = false;
};

// Company 7 (active) and company 8 (deactivated).
class MemoryCompanies final : public tenancy::CompanyRepository {
 public:
  Result<tenancy::Company> Create(const tenancy::Company& c) override { return c; }
  Result<tenancy::Company> Update(tenancy::CompanyId id,
                                  const tenancy::Change<tenancy::Company>&) override {
    return FindById(id);
  }
  Result<tenancy::Company> FindById(tenancy::CompanyId id) override {
    if (id.value != 7 && id.value != 8) return Fail(ErrorCode::kNotFound, "no company");
    tenancy::Company company;
    company.id = id;
    company.is_active = id.value == 7;
    return company;
  }
  Result<tenancy::Company> FindBySlug(std::string_view) override {
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<std::vector<tenancy::Company>> List() override { return std::vector<tenancy::Company>{}; }
};

class AdminTokenGuardTest : public ::testing::Test {
 protected:
  AdminTokenGuardTest() : auth_(Settings(), users_, tokens_, clock_) {
    auto guard = std::make_shared<AdminTokenGuard>(
        auth_, metrics_, [this](std::string_view client, std::string_view outcome) {
          failures_.emplace_back(std::string(client) + "/" + std::string(outcome));
        });
    auto echo = [](http::Request& r) {
      return http::Response::Json(
          200, {{"principal", r.attributes.principal.value_or("")},
                {"company_id", r.attributes.company_id ? nlohmann::json(*r.attributes.company_id)
                                                       : nlohmann::json(nullptr)}});
    };
    router_.Add(http::Method::kGet, "/api/admin/thing", echo, {{guard}});
    router_.Add(http::Method::kPost, "/api/admin/thing", echo, {{guard}});
    router_.Add(http::Method::kGet, "/api/admin/platform", echo,
                {{guard, RequireRole({Role::kPlatformAdmin})}});
    router_.Add(http::Method::kPost, "/mcp", echo,
                {{std::make_shared<AgentTokenGuard>(auth_, metrics_, companies_)}});
  }

  static AuthSettings Settings() {
    AuthSettings s;
    s.password_cost = PasswordHashCost::Minimum();
    return s;
  }

  std::string TokenFor(Role role, std::vector<std::string> abilities = {},
                       std::int64_t company = 7) {
    NewUser u;
    u.email = "user" + std::to_string(++users_made_) + "@example.com";
    u.role = role;
    if (role != Role::kPlatformAdmin) u.company_id = tenancy::CompanyId(company);
    auto user = auth_.CreateUser(u);
    EXPECT_TRUE(user.has_value());
    auto token = auth_.CreateToken(user->id, {"", std::nullopt, std::move(abilities)});
    EXPECT_TRUE(token.has_value());
    return token->text.Reveal();
  }

  http::Response Send(http::Method method, std::string path,
                      std::optional<std::string> authorization) {
    http::Request request;
    request.method = method;
    request.path = std::move(path);
    request.peer_address = "203.0.113.9";
    if (authorization) request.headers.Add("Authorization", *authorization);
    return router_.Handle(request);
  }

  double Count(std::string outcome) {
    return metrics_.Value(kAdminAuthMetric, {{"outcome", std::move(outcome)}});
  }

  callgate::testing::FakeClock clock_;
  observability::Metrics metrics_;
  MemoryCompanies companies_;
  MemoryUsers users_;
  MemoryTokens tokens_;
  AuthService auth_;
  http::Router router_;
  std::vector<std::string> failures_;
  int users_made_ = 0;
};

TEST_F(AdminTokenGuardTest, AnswersUnauthorizedWithoutAValidToken) {
  auto missing = Send(http::Method::kGet, "/api/admin/thing", std::nullopt);
  EXPECT_EQ(missing.status, 401);
  ASSERT_TRUE(missing.error.has_value());
  EXPECT_EQ(missing.error->code, "unauthenticated");
  EXPECT_TRUE(missing.headers.Has("WWW-Authenticate"));
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Basic dXNlcjpwYXNz").status, 401);
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer cg_nonsense").status, 401);
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer " + GenerateToken()->text.Reveal())
                .status,
            401);
  EXPECT_EQ(Count("missing"), 1);
  EXPECT_EQ(Count("malformed"), 2);
  EXPECT_EQ(Count("unknown"), 1);
  // The failed-authentication hook sees every refusal with the client address.
  ASSERT_EQ(failures_.size(), 4u);
  EXPECT_EQ(failures_[0], "203.0.113.9/missing");
}

TEST_F(AdminTokenGuardTest, SetsPrincipalAndCompanyForAValidToken) {
  const std::string token = TokenFor(Role::kCompanyAdmin);
  auto ok = Send(http::Method::kGet, "/api/admin/thing", "bearer " + token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto body = nlohmann::json::parse(ok.body);
  EXPECT_EQ(body["principal"], "user:1:company_admin");
  EXPECT_EQ(body["company_id"], 7);
  EXPECT_EQ(Count("ok"), 1);

  http::Request request;
  request.attributes.principal = "user:1:company_admin";
  request.attributes.company_id = 7;
  auto actor = ActorOf(request);
  ASSERT_TRUE(actor.has_value());
  EXPECT_EQ(actor->user_id, UserId(1));
  EXPECT_EQ(actor->role, Role::kCompanyAdmin);
  EXPECT_EQ(actor->company_id, tenancy::CompanyId(7));
  request.attributes.principal = "retell";
  EXPECT_FALSE(ActorOf(request).has_value());
}

TEST_F(AdminTokenGuardTest, RefusesExpiredAndRevokedTokens) {
  const std::string token = TokenFor(Role::kViewer);
  clock_.Advance(std::chrono::hours(24 * 90));
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer " + token).status, 401);
  EXPECT_EQ(Count("expired"), 1);
  const std::string other = TokenFor(Role::kViewer);
  ASSERT_TRUE(auth_.RevokeToken(TokenId(2)).has_value());
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer " + other).status, 401);
  EXPECT_EQ(Count("revoked"), 1);
}

TEST_F(AdminTokenGuardTest, ReadOnlyTokensMayNotWrite) {
  const std::string token = TokenFor(Role::kCompanyAdmin, {"read"});
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer " + token).status, 200);
  EXPECT_EQ(Send(http::Method::kPost, "/api/admin/thing", "Bearer " + token).status, 403);
  EXPECT_EQ(Count("read_only_token"), 1);
}

TEST_F(AdminTokenGuardTest, RequireRoleAdmitsOnlyTheGivenRoles) {
  EXPECT_EQ(
      Send(http::Method::kGet, "/api/admin/platform", "Bearer " + TokenFor(Role::kPlatformAdmin))
          .status,
      200);
  EXPECT_EQ(
      Send(http::Method::kGet, "/api/admin/platform", "Bearer " + TokenFor(Role::kCompanyAdmin))
          .status,
      403);
  EXPECT_EQ(
      Send(http::Method::kGet, "/api/admin/platform", "Bearer " + TokenFor(Role::kViewer)).status,
      403);
  const auto routes = router_.Describe();
  EXPECT_EQ(routes[2].guards, (std::vector<std::string>{"admin_token", "role_platform_admin"}));
}

TEST_F(AdminTokenGuardTest, StorageFailureIsServiceUnavailableNotUnauthorized) {
  const std::string token = TokenFor(Role::kCompanyAdmin);
  tokens_.SetFailing(true);
  EXPECT_EQ(Send(http::Method::kGet, "/api/admin/thing", "Bearer " + token).status, 503);
  EXPECT_EQ(Count("error"), 1);
}

TEST_F(AdminTokenGuardTest, AgentTokensOpenNothingOfTheAdminApi) {
  const std::string token = TokenFor(Role::kAgent);
  for (auto [method, path] : {std::pair{http::Method::kGet, "/api/admin/thing"},
                              std::pair{http::Method::kPost, "/api/admin/thing"},
                              std::pair{http::Method::kGet, "/api/admin/platform"}}) {
    auto refused = Send(method, path, "Bearer " + token);
    EXPECT_EQ(refused.status, 403) << path;
    EXPECT_EQ(refused.body.find("user:"), std::string::npos);
  }
  EXPECT_EQ(Count("agent_token"), 3);
  EXPECT_TRUE(failures_.empty());  // a valid credential is not a failed authentication
}

TEST_F(AdminTokenGuardTest, AgentGuardAdmitsOnlyAgentsAndSetsTheirCompany) {
  auto ok = Send(http::Method::kPost, "/mcp", "Bearer " + TokenFor(Role::kAgent));
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto body = nlohmann::json::parse(ok.body);
  EXPECT_EQ(body["principal"], "user:1:agent");
  EXPECT_EQ(body["company_id"], 7);
  EXPECT_EQ(metrics_.Value(kAgentAuthMetric, {{"outcome", "ok"}}), 1);

  for (Role role : {Role::kPlatformAdmin, Role::kCompanyAdmin, Role::kViewer}) {
    EXPECT_EQ(Send(http::Method::kPost, "/mcp", "Bearer " + TokenFor(role)).status, 403)
        << RoleName(role);
  }
  EXPECT_EQ(metrics_.Value(kAgentAuthMetric, {{"outcome", "not_agent"}}), 3);
  // An agent of a deactivated company is refused like its admins.
  EXPECT_EQ(Send(http::Method::kPost, "/mcp", "Bearer " + TokenFor(Role::kAgent, {}, 8)).status,
            403);
  EXPECT_EQ(metrics_.Value(kAgentAuthMetric, {{"outcome", "company_inactive"}}), 1);
}

TEST_F(AdminTokenGuardTest, AgentGuardAnswersUnauthorizedWithABearerChallenge) {
  auto missing = Send(http::Method::kPost, "/mcp", std::nullopt);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.headers.Get("WWW-Authenticate").value_or(""), "Bearer realm=\"callgate-mcp\"");
  const std::vector<std::string> bad_headers = {"Bearer cg_nonsense", "Basic dXNlcjpwYXNz",
                                                "Bearer " + GenerateToken()->text.Reveal()};
  for (const std::string& bad : bad_headers) {
    auto refused = Send(http::Method::kPost, "/mcp", bad);
    EXPECT_EQ(refused.status, 401) << bad;
    EXPECT_EQ(refused.headers.Get("WWW-Authenticate").value_or("").substr(0, 7), "Bearer ");
    EXPECT_NE(refused.headers.Get("WWW-Authenticate").value_or("").find("invalid_token"),
              std::string::npos);
  }
  const std::string expired = TokenFor(Role::kAgent);
  clock_.Advance(std::chrono::hours(24 * 91));
  EXPECT_EQ(Send(http::Method::kPost, "/mcp", "Bearer " + expired).status, 401);
  EXPECT_EQ(metrics_.Value(kAgentAuthMetric, {{"outcome", "expired"}}), 1);
  EXPECT_EQ(metrics_.Value(kAgentAuthMetric, {{"outcome", "missing"}}), 1);
}

TEST(Roles, AgentIsARoleWithItsOwnName) {
  EXPECT_EQ(RoleName(Role::kAgent), "agent");
  EXPECT_EQ(ParseRole("agent").value(), Role::kAgent);
  EXPECT_FALSE(ParseRole("Agent").has_value());
}

}  // namespace
}  // namespace callgate::auth
