// AuthService over the SQL repositories, on SQLite and PostgreSQL.
#include "auth/auth_service.hpp"

#include <gtest/gtest.h>

#include "auth/sql_repositories.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::auth {
namespace {

using namespace std::chrono_literals;

class AuthServiceTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    users_ = std::make_unique<SqlUserRepository>(db(), clock_);
    tokens_ = std::make_unique<SqlTokenRepository>(db(), clock_);
    AuthSettings settings;
    settings.password_cost = PasswordHashCost::Minimum();
    auth_ = std::make_unique<AuthService>(settings, *users_, *tokens_, clock_);
    storage::SqlCompanyRepository companies(db(), clock_);
    tenancy::Company company;
    company.name = "Praxis";
    company.slug = "praxis";
    auto created = companies.Create(company);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    company_id_ = created->id;
  }

  User MakeUser(std::string email, Role role, std::optional<Secret> password = std::nullopt) {
    NewUser u;
    u.email = std::move(email);
    u.role = role;
    if (role != Role::kPlatformAdmin) u.company_id = company_id_;
    u.password = std::move(password);
    auto created = auth_->CreateUser(u);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(User{});
  }

  // Every text column of every api_tokens row, concatenated.
  std::string AllTokenColumns() {
    auto text = db().Run([&](storage::Session& s) -> Result<std::string> {
      std::string out;
      s.Query("name, token_hash, abilities", "FROM api_tokens", {}, [&](const storage::Row& r) {
        out += r.String("name") + "|" + r.String("token_hash") + "|" + r.String("abilities") + "\n";
      });
      return out;
    });
    return text.value_or("");
  }

  std::unique_ptr<SqlUserRepository> users_;
  std::unique_ptr<SqlTokenRepository> tokens_;
  std::unique_ptr<AuthService> auth_;
  tenancy::CompanyId company_id_;
};

TEST_P(AuthServiceTest, CreatesUsersFollowingTheRoleRules) {
  const User admin = MakeUser("  Admin@Example.COM ", Role::kPlatformAdmin);
  EXPECT_EQ(admin.email, "admin@example.com");
  EXPECT_FALSE(admin.company_id.has_value());
  EXPECT_EQ(admin.password_hash, kNoPassword);

  NewUser bad;
  bad.email = "x@example.com";
  bad.role = Role::kPlatformAdmin;
  bad.company_id = company_id_;
  EXPECT_EQ(auth_->CreateUser(bad).error().code, ErrorCode::kInvalidArgument);
  bad.role = Role::kCompanyAdmin;
  bad.company_id.reset();
  EXPECT_EQ(auth_->CreateUser(bad).error().code, ErrorCode::kInvalidArgument);
  bad.company_id = tenancy::CompanyId(9999);
  EXPECT_EQ(auth_->CreateUser(bad).error().code, ErrorCode::kNotFound);
  bad.company_id = company_id_;
  bad.email = "not-an-email";
  EXPECT_EQ(auth_->CreateUser(bad).error().code, ErrorCode::kInvalidArgument);
  bad.email = "ADMIN@example.com";
  bad.role = Role::kViewer;
  EXPECT_EQ(auth_->CreateUser(bad).error().code, ErrorCode::kAlreadyExists);
  bad.email = "short@example.com";
  bad.password = Secret("short");
  auto short_password = auth_->CreateUser(bad);
  ASSERT_FALSE(short_password.has_value());
  EXPECT_NE(short_password.error().message.find("password"), std::string::npos);
}

TEST_P(AuthServiceTest, StoresOnlyAnArgon2HashOfThePassword) {
  const Secret password("correct horse battery");
  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin, password);
  EXPECT_EQ(user.password_hash.rfind("$argon2id$", 0), 0u);
  auto stored = db().Run([&](storage::Session& s) -> Result<std::string> {
    std::string hash;
    s.Query("password_hash", "FROM users WHERE id = :id", storage::Params().Add(user.id.value),
            [&](const storage::Row& r) { hash = r.String("password_hash"); });
    return hash;
  });
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->find(password.Reveal()), std::string::npos);
  EXPECT_TRUE(auth_->VerifyPassword("ANNA@example.com", password).has_value());
  EXPECT_EQ(auth_->VerifyPassword("anna@example.com", Secret("wrong password!")).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(auth_->VerifyPassword("nobody@example.com", password).error().code,
            ErrorCode::kUnauthenticated);
  // A user created without a password cannot log in with any.
  MakeUser("tokens-only@example.com", Role::kViewer);
  EXPECT_FALSE(auth_->VerifyPassword("tokens-only@example.com", Secret("!")).has_value());
}

TEST_P(AuthServiceTest, IssuesTokensThatAreStoredOnlyAsHashes) {
  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin);
  auto issued = auth_->CreateToken(user.id, {"ci", std::nullopt, {}});
  ASSERT_TRUE(issued.has_value()) << issued.error().message;
  const std::string text = issued->text.Reveal();
  EXPECT_TRUE(LooksLikeToken(text));
  EXPECT_EQ(issued->token.token_hash, HashToken(text));
  EXPECT_EQ(issued->token.abilities, std::vector<std::string>{"*"});
  ASSERT_TRUE(issued->token.expires_at.has_value());
  EXPECT_EQ(*issued->token.expires_at, clock_.Now() + std::chrono::hours(24 * 90));

  const std::string columns = AllTokenColumns();
  EXPECT_NE(columns.find(HashToken(text)), std::string::npos);
  EXPECT_EQ(columns.find(text), std::string::npos);
  EXPECT_EQ(columns.find(text.substr(3)), std::string::npos);

  auto principal = auth_->Authenticate(text);
  ASSERT_TRUE(principal.has_value()) << principal.error().message;
  EXPECT_EQ(principal->user_id, user.id);
  EXPECT_EQ(principal->role, Role::kCompanyAdmin);
  EXPECT_EQ(principal->company_id, company_id_);
  EXPECT_EQ(principal->token_id, issued->token.id);
}

TEST_P(AuthServiceTest, RefusesTokensAfterTheirExpiry) {
  const User user = MakeUser("anna@example.com", Role::kViewer);
  auto issued = auth_->CreateToken(user.id, {"", std::chrono::hours(24 * 7), {}});
  ASSERT_TRUE(issued.has_value());
  const std::string text = issued->text.Reveal();
  clock_.Advance(std::chrono::hours(24 * 7) - 1ms);
  EXPECT_TRUE(auth_->Authenticate(text).has_value());
  clock_.Advance(1ms);
  auto expired = auth_->Authenticate(text);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(expired.error().message, "expired");

  // The default lifetime is 90 days.
  auto standard = auth_->CreateToken(user.id, {});
  ASSERT_TRUE(standard.has_value());
  clock_.Advance(std::chrono::hours(24 * 90));
  EXPECT_EQ(auth_->Authenticate(standard->text.Reveal()).error().message, "expired");
}

TEST_P(AuthServiceTest, RefusesRevokedTokensForGood) {
  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin);
  auto issued = auth_->CreateToken(user.id, {});
  ASSERT_TRUE(issued.has_value());
  ASSERT_TRUE(auth_->Authenticate(issued->text.Reveal()).has_value());
  auto revoked = auth_->RevokeToken(issued->token.id);
  ASSERT_TRUE(revoked.has_value());
  ASSERT_TRUE(revoked->revoked_at.has_value());
  const auto first = *revoked->revoked_at;
  EXPECT_EQ(auth_->Authenticate(issued->text.Reveal()).error().message, "revoked");
  clock_.Advance(1h);
  EXPECT_EQ(auth_->RevokeToken(issued->token.id)->revoked_at, first);
  EXPECT_EQ(auth_->RevokeToken(TokenId(424242)).error().code, ErrorCode::kNotFound);
}

TEST_P(AuthServiceTest, RefusesUnknownMalformedAndDeactivatedUsersTokens) {
  EXPECT_EQ(auth_->Authenticate("").error().message, "malformed");
  EXPECT_EQ(auth_->Authenticate("Bearer something").error().message, "malformed");
  auto made_up = GenerateToken();
  EXPECT_EQ(auth_->Authenticate(made_up->text.Reveal()).error().message, "unknown");

  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin);
  auto issued = auth_->CreateToken(user.id, {});
  ASSERT_TRUE(issued.has_value());
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                    s.Execute("UPDATE users SET is_active = 0 WHERE id = :id",
                              storage::Params().Add(user.id.value));
                    return Ok();
                  })
                  .has_value());
  EXPECT_EQ(auth_->Authenticate(issued->text.Reveal()).error().message, "inactive_user");
  EXPECT_EQ(auth_->CreateToken(user.id, {}).error().code, ErrorCode::kPermissionDenied);
}

TEST_P(AuthServiceTest, ValidatesAbilitiesAndLifetimes) {
  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin);
  EXPECT_EQ(auth_->CreateToken(user.id, {"", std::nullopt, {"admin"}}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_->CreateToken(user.id, {"", std::chrono::hours(0), {}}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_->CreateToken(user.id, {"", std::chrono::hours(24 * 400), {}}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(auth_->CreateToken(UserId(9999), {}).error().code, ErrorCode::kNotFound);
  auto read_only = auth_->CreateToken(user.id, {"dashboard", std::nullopt, {"read"}});
  ASSERT_TRUE(read_only.has_value());
  auto principal = auth_->Authenticate(read_only->text.Reveal());
  ASSERT_TRUE(principal.has_value());
  EXPECT_TRUE(principal->CanRead());
  EXPECT_FALSE(principal->CanWrite());
}

TEST_P(AuthServiceTest, RecordsLastUseAtMostOncePerMinute) {
  const User user = MakeUser("anna@example.com", Role::kCompanyAdmin);
  auto issued = auth_->CreateToken(user.id, {});
  ASSERT_TRUE(issued.has_value());
  EXPECT_FALSE(tokens_->FindById(issued->token.id)->last_used_at.has_value());
  const auto first = clock_.Now();
  ASSERT_TRUE(auth_->Authenticate(issued->text.Reveal()).has_value());
  EXPECT_EQ(tokens_->FindById(issued->token.id)->last_used_at, first);
  clock_.Advance(30s);
  ASSERT_TRUE(auth_->Authenticate(issued->text.Reveal()).has_value());
  EXPECT_EQ(tokens_->FindById(issued->token.id)->last_used_at, first);
  clock_.Advance(31s);
  ASSERT_TRUE(auth_->Authenticate(issued->text.Reveal()).has_value());
  EXPECT_EQ(tokens_->FindById(issued->token.id)->last_used_at, clock_.Now());
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthServiceTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::auth
