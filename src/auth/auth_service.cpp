#include "auth/auth_service.hpp"

#include <algorithm>
#include <cctype>

namespace callgate::auth {

Result<std::string> NormalizeEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  std::string out;
  for (char c : email)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const auto at = out.find('@');
  const bool shaped = !out.empty() && out.size() <= 254 && at != std::string::npos && at > 0 &&
                      out.find('@', at + 1) == std::string::npos &&
                      out.find('.', at + 2) != std::string::npos && out.back() != '.' &&
                      std::none_of(out.begin(), out.end(), [](char c) {
                        return std::isspace(static_cast<unsigned char>(c)) ||
                               std::iscntrl(static_cast<unsigned char>(c));
                      });
  if (!shaped) return Fail(ErrorCode::kInvalidArgument, "email: not a valid e-mail address");
  return out;
}

Result<User> AuthService::CreateUser(const NewUser& request) {
  auto email = NormalizeEmail(request.email);
  if (!email) return tl::unexpected(email.error());
  if (request.role == Role::kPlatformAdmin && request.company_id) {
    return Fail(ErrorCode::kInvalidArgument, "company: platform admins belong to no company");
  }
  if (request.role != Role::kPlatformAdmin && !request.company_id) {
    return Fail(ErrorCode::kInvalidArgument,
                "company: required for role " + std::string(RoleName(request.role)));
  }
  User user;
  user.email = *email;
  user.name = request.name;
  user.role = request.role;
  user.company_id = request.company_id;
  user.password_hash = std::string(kNoPassword);
  if (request.password) {
    if (request.password->Reveal().size() < settings_.min_password_length) {
      return Fail(
          ErrorCode::kInvalidArgument,
          "password: at least " + std::to_string(settings_.min_password_length) + " characters");
    }
    auto hash = HashPassword(*request.password, settings_.password_cost);
    if (!hash) return tl::unexpected(hash.error());
    user.password_hash = std::move(*hash);
  }
  auto created = users_.Create(user);
  if (!created && created.error().code == ErrorCode::kAlreadyExists) {
    return Fail(ErrorCode::kAlreadyExists, "email: a user with this e-mail exists");
  }
  if (!created && created.error().code == ErrorCode::kNotFound) {
    return Fail(ErrorCode::kNotFound, "company: no such company");
  }
  return created;
}

Result<User> AuthService::FindUserByEmail(std::string_view email) {
  auto normalized = NormalizeEmail(email);
  if (!normalized) return tl::unexpected(normalized.error());
  return users_.FindByEmail(*normalized);
}

Result<IssuedToken> AuthService::CreateToken(UserId user_id, const TokenRequest& request) {
  const auto lifetime = request.lifetime.value_or(settings_.default_token_lifetime);
  if (lifetime <= std::chrono::hours(0) || lifetime > settings_.max_token_lifetime) {
    return Fail(ErrorCode::kInvalidArgument,
                "days: token lifetime must be between 1 hour and " +
                    std::to_string(settings_.max_token_lifetime.count() / 24) + " days");
  }
  std::vector<std::string> abilities = request.abilities;
  if (abilities.empty()) abilities.emplace_back(kAbilityAll);
  for (const auto& ability : abilities) {
    if (!IsKnownAbility(ability)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "ability: unknown ability \"" + ability + "\" (use *, read or write)");
    }
  }
  auto user = users_.FindById(user_id);
  if (!user) return tl::unexpected(user.error());
  if (!user->is_active) return Fail(ErrorCode::kPermissionDenied, "the user is deactivated");
  auto generated = GenerateToken();
  if (!generated) return tl::unexpected(generated.error());
  ApiToken token;
  token.user_id = user_id;
  token.name = request.name;
  token.token_hash = generated->hash;
  token.abilities = std::move(abilities);
  token.expires_at = clock_.Now() + std::chrono::duration_cast<std::chrono::milliseconds>(lifetime);
  auto stored = tokens_.Create(token);
  if (!stored) return tl::unexpected(stored.error());
  return IssuedToken{std::move(*stored), std::move(generated->text)};
}

Result<ApiToken> AuthService::RevokeToken(TokenId id) { return tokens_.Revoke(id, clock_.Now()); }

Result<Principal> AuthService::Authenticate(std::string_view bearer_token) {
  if (!LooksLikeToken(bearer_token)) return Fail(ErrorCode::kUnauthenticated, "malformed");
  // The lookup is by SHA-256 of the token: response timing can at most reveal something about
  // a hash, which gives no handle on a token. The stored hash is compared again in constant
  // time so that a lenient index collation could never admit a near match.
  const std::string hash = HashToken(bearer_token);
  auto token = tokens_.FindByHash(hash);
  if (!token) {
    if (token.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kUnauthenticated, "unknown");
    }
    return tl::unexpected(token.error());
  }
  if (!ConstantTimeEquals(token->token_hash, hash)) {
    return Fail(ErrorCode::kUnauthenticated, "unknown");
  }
  const auto now = clock_.Now();
  if (token->revoked_at) return Fail(ErrorCode::kUnauthenticated, "revoked");
  if (token->expires_at && *token->expires_at <= now) {
    return Fail(ErrorCode::kUnauthenticated, "expired");
  }
  auto user = users_.FindById(token->user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kUnauthenticated, "unknown");
    }
    return tl::unexpected(user.error());
  }
  if (!user->is_active) return Fail(ErrorCode::kUnauthenticated, "inactive_user");
  if (!token->last_used_at || now - *token->last_used_at >= settings_.last_used_resolution) {
    // Best effort: a failed bookkeeping write must not refuse a valid token.
    (void)tokens_.TouchLastUsed(token->id, now);
  }
  Principal principal;
  principal.user_id = user->id;
  principal.role = user->role;
  principal.company_id = user->role == Role::kPlatformAdmin ? std::nullopt : user->company_id;
  principal.token_id = token->id;
  principal.abilities = token->abilities;
  return principal;
}

Result<User> AuthService::VerifyPassword(std::string_view email, const Secret& password) {
  auto user = FindUserByEmail(email);
  if (!user) {
    if (user.error().code == ErrorCode::kUnavailable || user.error().code == ErrorCode::kInternal) {
      return tl::unexpected(user.error());
    }
    // Spend the time of a hash anyway, so unknown e-mails do not answer faster.
    (void)HashPassword(password, settings_.password_cost);
    return Fail(ErrorCode::kUnauthenticated, "invalid e-mail or password");
  }
  if (!user->is_active || !auth::VerifyPassword(user->password_hash, password)) {
    return Fail(ErrorCode::kUnauthenticated, "invalid e-mail or password");
  }
  return user;
}

}  // namespace callgate::auth
