#include "auth/model.hpp"

#include <algorithm>

namespace callgate::auth {

std::string_view RoleName(Role role) noexcept {
  switch (role) {
    case Role::kPlatformAdmin:
      return "platform_admin";
    case Role::kCompanyAdmin:
      return "company_admin";
    case Role::kViewer:
      return "viewer";
    case Role::kAgent:
      return "agent";
  }
  return "viewer";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "platform_admin") return Role::kPlatformAdmin;
  if (name == "company_admin") return Role::kCompanyAdmin;
  if (name == "viewer") return Role::kViewer;
  if (name == "agent") return Role::kAgent;
  return Fail(ErrorCode::kInvalidArgument,
              "role must be platform_admin, company_admin, viewer or agent, not \"" +
                  std::string(name) + "\"");
}

bool IsKnownAbility(std::string_view ability) noexcept {
  return ability == kAbilityAll || ability == kAbilityRead || ability == kAbilityWrite;
}

namespace {
bool Has(const std::vector<std::string>& abilities, std::string_view ability) {
  return std::find(abilities.begin(), abilities.end(), ability) != abilities.end();
}
}  // namespace

bool Principal::CanRead() const noexcept {
  return Has(abilities, kAbilityAll) || Has(abilities, kAbilityWrite) ||
         Has(abilities, kAbilityRead);
}

bool Principal::CanWrite() const noexcept {
  return Has(abilities, kAbilityAll) || Has(abilities, kAbilityWrite);
}

}  // namespace callgate::auth
