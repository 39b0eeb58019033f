#pragma once
// The admin identity domain (SPEC.md §1 user / api_token): users with a role, API tokens that
// act for a user, and the Principal an authenticated request carries. Plain value types.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "tenancy/model.hpp"

namespace callgate::auth {

using UserId = tenancy::Id<struct UserTag>;
using TokenId = tenancy::Id<struct TokenTag>;

// What a user may do. Platform admins run the platform and belong to no company; company
// admins manage their own company; viewers read their own company only; agents are an agent
// platform's MCP client for their own company: their tokens open /mcp and nothing of the admin
// API (docs/agents.md "MCP").
enum class Role { kPlatformAdmin, kCompanyAdmin, kViewer, kAgent };

// "platform_admin" | "company_admin" | "viewer" | "agent" (the stored and wire form).
std::string_view RoleName(Role role) noexcept;
// Parses RoleName(); kInvalidArgument for anything else.
Result<Role> ParseRole(std::string_view name);

// Token abilities. A token is limited to its abilities on top of its user's role:
// "*" everything the role allows, "write" reads and writes, "read" reads only.
inline constexpr std::string_view kAbilityAll = "*";
inline constexpr std::string_view kAbilityRead = "read";
inline constexpr std::string_view kAbilityWrite = "write";

// True for the abilities above.
bool IsKnownAbility(std::string_view ability) noexcept;

// A person or machine that may use the admin API. `company_id` is empty exactly for platform
// admins (a database CHECK enforces it too).
struct User {
  UserId id;
  std::optional<tenancy::CompanyId> company_id;
  std::string email;  // unique, stored lower-case
  std::string name;
  // argon2id hash in libsodium's string format ("$argon2id$v=19$..."), or kNoPassword.
  std::string password_hash;
  Role role = Role::kViewer;
  bool is_active = true;
  std::optional<SystemTimePoint> last_login_at;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// Stored instead of a hash for users without a password: matches no password.
inline constexpr std::string_view kNoPassword = "!";

// An API token as stored: only the SHA-256 of the token text is kept, never the token.
struct ApiToken {
  TokenId id;
  UserId user_id;
  std::string name;
  std::string token_hash;  // lower-case hex SHA-256 of the whole token text ("cg_...")
  std::vector<std::string> abilities;
  std::optional<SystemTimePoint> expires_at;  // empty = never (not issued by AuthService)
  std::optional<SystemTimePoint> last_used_at;
  std::optional<SystemTimePoint> revoked_at;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// Who an authenticated request acts for.
struct Principal {
  UserId user_id;
  Role role = Role::kViewer;
  std::optional<tenancy::CompanyId> company_id;  // empty for platform admins
  TokenId token_id;
  std::vector<std::string> abilities;

  // Whether the token allows reading / writing (the role is checked separately).
  bool CanRead() const noexcept;
  bool CanWrite() const noexcept;
};

}  // namespace callgate::auth
