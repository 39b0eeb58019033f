#pragma once
// Ports for users and API tokens; auth/sql_repositories.hpp implements them over
// storage::Database. Same contract as tenancy/repositories.hpp: never throw, thread-safe,
// kNotFound / kAlreadyExists / kInvalidArgument / kUnavailable / kInternal as Result values;
// `id`, `created_at` and `updated_at` of arguments are ignored on writes.

#include <optional>
#include <string_view>

#include "auth/model.hpp"
#include "core/result.hpp"

namespace callgate::auth {

class UserRepository {
 public:
  virtual ~UserRepository() = default;

  // Stores a new user. kAlreadyExists when the e-mail is taken; kNotFound when company_id
  // names no company; kInvalidArgument when role and company_id disagree.
  virtual Result<User> Create(const User& user) = 0;

  virtual Result<User> FindById(UserId id) = 0;
  // `email` is compared as stored (lower-case).
  virtual Result<User> FindByEmail(std::string_view email) = 0;
};

class TokenRepository {
 public:
  virtual ~TokenRepository() = default;

  // Stores a new token (its hash). kAlreadyExists when the hash is taken; kNotFound when the
  // user does not exist.
  virtual Result<ApiToken> Create(const ApiToken& token) = 0;

  virtual Result<ApiToken> FindById(TokenId id) = 0;
  // The token whose stored hash equals `token_hash`; kNotFound otherwise.
  virtual Result<ApiToken> FindByHash(std::string_view token_hash) = 0;

  // Marks the token revoked at `at`. Revoking twice keeps the first time. kNotFound for an
  // unknown id.
  virtual Result<ApiToken> Revoke(TokenId id, SystemTimePoint at) = 0;

  // Records a use of the token at `at`.
  virtual Status TouchLastUsed(TokenId id, SystemTimePoint at) = 0;
};

}  // namespace callgate::auth
