#pragma once
// SQL implementations of the auth ports over storage::Database (SQLite and PostgreSQL, one-shot
// statements only). Tables: users, api_tokens (migrations 0001 and 0003_admin).

#include "auth/repositories.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"

namespace callgate::auth {

class SqlUserRepository final : public UserRepository {
 public:
  SqlUserRepository(storage::Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<User> Create(const User& user) override;
  Result<User> FindById(UserId id) override;
  Result<User> FindByEmail(std::string_view email) override;

 private:
  storage::Database& database_;
  const Clock& clock_;
};

class SqlTokenRepository final : public TokenRepository {
 public:
  SqlTokenRepository(storage::Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<ApiToken> Create(const ApiToken& token) override;
  Result<ApiToken> FindById(TokenId id) override;
  Result<ApiToken> FindByHash(std::string_view token_hash) override;
  Result<ApiToken> Revoke(TokenId id, SystemTimePoint at) override;
  Status TouchLastUsed(TokenId id, SystemTimePoint at) override;

 private:
  storage::Database& database_;
  const Clock& clock_;
};

}  // namespace callgate::auth
