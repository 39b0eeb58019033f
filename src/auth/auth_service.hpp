#pragma once
// AuthService: the rules around admin users and API tokens — who may exist, how tokens are
// issued (shown once, stored as SHA-256), expire and are revoked, and how a bearer token
// becomes a Principal. Used by the admin token guard and the `callgate admin` commands.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/credentials.hpp"
#include "auth/model.hpp"
#include "auth/repositories.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::auth {

struct AuthSettings {
  // Lifetime of a token when the request names none.
  std::chrono::hours default_token_lifetime{24 * 90};
  // Longest lifetime anyone may ask for.
  std::chrono::hours max_token_lifetime{24 * 366};
  // Shortest password accepted (when one is given at all).
  std::size_t min_password_length = 12;
  PasswordHashCost password_cost = PasswordHashCost::Interactive();
  // last_used_at is written at most this often per token, so busy tokens do not turn every
  // admin read into a database write.
  std::chrono::seconds last_used_resolution{60};
};

// A new user. Without a password the user cannot log in with one (tokens still work).
struct NewUser {
  std::string email;
  std::string name;
  Role role = Role::kViewer;
  std::optional<tenancy::CompanyId> company_id;  // required unless platform admin
  std::optional<Secret> password;
};

// What to issue.
struct TokenRequest {
  std::string name;
  std::optional<std::chrono::hours> lifetime;  // default: settings.default_token_lifetime
  std::vector<std::string> abilities;          // empty = {"*"}
};

// A token just issued: `text` is shown to its owner once and never again.
struct IssuedToken {
  ApiToken token;
  Secret text;
};

class AuthService {
 public:
  AuthService(AuthSettings settings, UserRepository& users, TokenRepository& tokens,
              const Clock& clock)
      : settings_(settings), users_(users), tokens_(tokens), clock_(clock) {}

  // Validates and stores a user: e-mail lower-cased and of the form local@domain; platform
  // admins have no company, everyone else exactly one; a given password has at least
  // min_password_length characters and is stored as an argon2id hash. kInvalidArgument
  // (message names the field), kAlreadyExists for a taken e-mail, kNotFound for an unknown
  // company. Thread-safe.
  Result<User> CreateUser(const NewUser& user);

  Result<User> FindUserByEmail(std::string_view email);

  // Issues a token for an active user. kInvalidArgument for an unknown ability or a lifetime
  // that is not positive or exceeds max_token_lifetime; kNotFound for an unknown user;
  // kPermissionDenied for a deactivated user. Thread-safe.
  Result<IssuedToken> CreateToken(UserId user_id, const TokenRequest& request);

  // Revokes a token for good (idempotent). kNotFound for an unknown id. Thread-safe.
  Result<ApiToken> RevokeToken(TokenId id);

  // The principal a bearer token acts for. kUnauthenticated for malformed, unknown, expired or
  // revoked tokens and for deactivated users (the message says which, for counters and logs;
  // never show it to the client); kUnavailable when storage is down. Thread-safe.
  Result<Principal> Authenticate(std::string_view bearer_token);

  // The active user with this e-mail and password. kUnauthenticated otherwise (same answer
  // for unknown e-mail and wrong password). Thread-safe.
  Result<User> VerifyPassword(std::string_view email, const Secret& password);

 private:
  AuthSettings settings_;
  UserRepository& users_;
  TokenRepository& tokens_;
  const Clock& clock_;
};

// Lower-cases and trims an e-mail address; kInvalidArgument unless it looks like
// local@domain.tld without spaces. Thread-safe.
Result<std::string> NormalizeEmail(std::string_view email);

}  // namespace callgate::auth
