#include "auth/sql_repositories.hpp"

#include <nlohmann/json.hpp>

#include "storage/query_helpers.hpp"
#include "storage/session.hpp"

namespace callgate::auth {
namespace {

using storage::Params;
using storage::Row;
using storage::Session;
using storage::internal::QueryOne;

constexpr std::string_view kUserColumns =
    "id, company_id, email, name, password_hash, role, is_active, last_login_at, created_at, "
    "updated_at";

User DecodeUser(const Row& row) {
  User u;
  u.id = UserId(row.Int64("id"));
  if (auto company = row.OptionalInt64("company_id")) u.company_id = tenancy::CompanyId(*company);
  u.email = row.String("email");
  u.name = row.String("name");
  u.password_hash = row.String("password_hash");
  auto role = ParseRole(row.String("role"));
  if (!role) throw storage::StorageError(ErrorCode::kInternal, "stored user has an unknown role");
  u.role = *role;
  u.is_active = row.Bool("is_active");
  u.last_login_at = row.OptionalTime("last_login_at");
  u.created_at = row.Time("created_at");
  u.updated_at = row.Time("updated_at");
  return u;
}

constexpr std::string_view kTokenColumns =
    "id, user_id, name, token_hash, abilities, expires_at, last_used_at, revoked_at, created_at, "
    "updated_at";

std::string EncodeAbilities(const std::vector<std::string>& abilities) {
  return nlohmann::json(abilities).dump();
}

std::vector<std::string> DecodeAbilities(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!parsed.is_array()) return out;  // an unreadable list grants nothing
  for (const auto& item : parsed) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

ApiToken DecodeToken(const Row& row) {
  ApiToken t;
  t.id = TokenId(row.Int64("id"));
  t.user_id = UserId(row.Int64("user_id"));
  t.name = row.String("name");
  t.token_hash = row.String("token_hash");
  t.abilities = DecodeAbilities(row.String("abilities"));
  t.expires_at = row.OptionalTime("expires_at");
  t.last_used_at = row.OptionalTime("last_used_at");
  t.revoked_at = row.OptionalTime("revoked_at");
  t.created_at = row.Time("created_at");
  t.updated_at = row.Time("updated_at");
  return t;
}

std::optional<std::int64_t> CompanyColumn(const User& u) {
  if (!u.company_id) return std::nullopt;
  return u.company_id->value;
}

std::string UserNotFound(UserId id) { return "user " + std::to_string(id.value) + " not found"; }
std::string TokenNotFound(TokenId id) { return "token " + std::to_string(id.value) + " not found"; }

}  // namespace

Result<User> SqlUserRepository::Create(const User& user) {
  return database_.Run([&](Session& s) -> Result<User> {
    User stored = user;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = UserId(s.InsertReturningId(
        "INSERT INTO users (company_id, email, name, password_hash, role, is_active, created_at, "
        "updated_at) VALUES (:company_id, :email, :name, :password_hash, :role, :is_active, "
        ":created_at, :updated_at) RETURNING id",
        Params()
            .Add(CompanyColumn(stored))
            .Add(stored.email)
            .Add(stored.name)
            .Add(stored.password_hash)
            .Add(RoleName(stored.role))
            .Add(stored.is_active)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<User> SqlUserRepository::FindById(UserId id) {
  return database_.Run([&](Session& s) {
    return QueryOne(s, kUserColumns, "FROM users WHERE id = :id", Params().Add(id.value),
                    DecodeUser, UserNotFound(id));
  });
}

Result<User> SqlUserRepository::FindByEmail(std::string_view email) {
  return database_.Run([&](Session& s) {
    return QueryOne(s, kUserColumns, "FROM users WHERE email = :email", Params().Add(email),
                    DecodeUser, "user not found");
  });
}

Result<ApiToken> SqlTokenRepository::Create(const ApiToken& token) {
  return database_.Run([&](Session& s) -> Result<ApiToken> {
    ApiToken stored = token;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.last_used_at.reset();
    stored.revoked_at.reset();
    stored.id = TokenId(s.InsertReturningId(
        "INSERT INTO api_tokens (user_id, name, token_hash, abilities, expires_at, created_at, "
        "updated_at) VALUES (:user_id, :name, :token_hash, :abilities, :expires_at, "
        ":created_at, :updated_at) RETURNING id",
        Params()
            .Add(stored.user_id.value)
            .Add(stored.name)
            .Add(stored.token_hash)
            .Add(EncodeAbilities(stored.abilities))
            .Add(stored.expires_at)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<ApiToken> SqlTokenRepository::FindById(TokenId id) {
  return database_.Run([&](Session& s) {
    return QueryOne(s, kTokenColumns, "FROM api_tokens WHERE id = :id", Params().Add(id.value),
                    DecodeToken, TokenNotFound(id));
  });
}

Result<ApiToken> SqlTokenRepository::FindByHash(std::string_view token_hash) {
  return database_.Run([&](Session& s) {
    return QueryOne(s, kTokenColumns, "FROM api_tokens WHERE token_hash = :token_hash",
                    Params().Add(token_hash), DecodeToken, "token not found");
  });
}

Result<ApiToken> SqlTokenRepository::Revoke(TokenId id, SystemTimePoint at) {
  return database_.Run([&](Session& s) -> Result<ApiToken> {
    s.Execute(
        "UPDATE api_tokens SET revoked_at = :revoked_at, updated_at = :updated_at "
        "WHERE id = :id AND revoked_at IS NULL",
        Params().Add(at).Add(clock_.Now()).Add(id.value));
    return QueryOne(s, kTokenColumns, "FROM api_tokens WHERE id = :id", Params().Add(id.value),
                    DecodeToken, TokenNotFound(id));
  });
}

Status SqlTokenRepository::TouchLastUsed(TokenId id, SystemTimePoint at) {
  return database_.Run([&](Session& s) -> Status {
    const long long changed =
        s.Execute("UPDATE api_tokens SET last_used_at = :last_used_at WHERE id = :id",
                  Params().Add(at).Add(id.value));
    if (changed == 0) return Fail(ErrorCode::kNotFound, TokenNotFound(id));
    return Ok();
  });
}

}  // namespace callgate::auth
