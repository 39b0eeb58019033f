#include "app/admin_commands.hpp"

#include <iostream>
#include <string>

#include "app/command_database.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "core/time_zone.hpp"
#include "privacy/audit_log.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::app {
namespace {

int CreateUser(storage::Database& db, const Clock& clock, auth::AuthService& service,
               const AdminCommandOptions& options, std::istream& in) {
  auto role = auth::ParseRole(options.role);
  if (!role) return CommandFailed("callgate admin", "--role", role.error());
  auth::NewUser user;
  user.email = options.email;
  user.name = options.name;
  user.role = *role;
  if (!options.company_slug.empty()) {
    storage::SqlCompanyRepository companies(db, clock);
    auto company = companies.FindBySlug(options.company_slug);
    if (!company) return CommandFailed("callgate admin", "--company", company.error());
    user.company_id = company->id;
  }
  if (options.password_stdin) {
    std::string line;
    if (!std::getline(in, line)) {
      std::cerr << "callgate admin: --password-stdin: no password on standard input\n";
      return 2;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    user.password = Secret(std::move(line));
  }
  auto created = service.CreateUser(user);
  if (!created) return CommandFailed("callgate admin", "create-user", created.error());
  std::cout << "created user " << created->id.value << " " << created->email << " ("
            << auth::RoleName(created->role);
  if (created->company_id) std::cout << ", company " << options.company_slug;
  std::cout << ")" << (options.password_stdin ? ", password set" : ", no password (tokens only)")
            << "\n";
  return 0;
}

// Operator commands act as "system" in the audit log (docs/privacy.md).
void Audit(privacy::AuditLog& audit, std::optional<tenancy::CompanyId> company, std::string action,
           std::string target) {
  privacy::AppendOrLog(audit, {0,
                               company ? std::optional(company->value) : std::nullopt,
                               std::string(privacy::kSystemActor),
                               std::move(action),
                               std::move(target),
                               "",
                               std::nullopt,
                               {}});
}

int CreateToken(auth::AuthService& service, privacy::AuditLog& audit,
                const AdminCommandOptions& options) {
  auto user = service.FindUserByEmail(options.email);
  if (!user) return CommandFailed("callgate admin", "--email", user.error());
  auth::TokenRequest request;
  request.name = options.name;
  if (options.days < 0) {
    std::cerr << "callgate admin: --days must be positive\n";
    return 2;
  }
  if (options.days > 0) request.lifetime = std::chrono::hours(24LL * options.days);
  request.abilities = options.abilities;
  auto issued = service.CreateToken(user->id, request);
  if (!issued) return CommandFailed("callgate admin", "create-token", issued.error());
  Audit(audit, user->company_id, "tokens.create",
        "token:" + std::to_string(issued->token.id.value));
  std::string abilities;
  for (const auto& a : issued->token.abilities) abilities += (abilities.empty() ? "" : ",") + a;
  std::cout << "token " << issued->token.id.value << " for " << user->email << " ("
            << auth::RoleName(user->role) << "), abilities " << abilities << ", expires "
            << FormatIso8601Utc(*issued->token.expires_at) << "\n";
  std::cerr << "This is the only time the token is shown; store it now.\n";
  std::cout << issued->text.Reveal() << std::endl;
  return 0;
}

int RevokeToken(auth::AuthService& service, privacy::AuditLog& audit,
                const AdminCommandOptions& options) {
  if (options.token_id <= 0) {
    std::cerr << "callgate admin: --id must be a token id\n";
    return 2;
  }
  auto revoked = service.RevokeToken(auth::TokenId(options.token_id));
  if (!revoked) return CommandFailed("callgate admin", "revoke-token", revoked.error());
  Audit(audit, std::nullopt, "tokens.revoke", "token:" + std::to_string(revoked->id.value));
  std::cout << "revoked token " << revoked->id.value << " at "
            << FormatIso8601Utc(*revoked->revoked_at) << "\n";
  return 0;
}

}  // namespace

int RunAdminCommand(const Config& config, const Clock& clock, const AdminCommandOptions& options,
                    std::istream& in) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return CommandFailed("callgate admin", "cannot open the database", db.error());
  auth::SqlUserRepository users(**db, clock);
  auth::SqlTokenRepository tokens(**db, clock);
  auth::AuthService service(auth::AuthSettings{}, users, tokens, clock);
  if (options.action == "create-user") return CreateUser(**db, clock, service, options, in);
  privacy::SqlAuditLog audit(**db, clock);
  if (options.action == "create-token") return CreateToken(service, audit, options);
  if (options.action == "revoke-token") return RevokeToken(service, audit, options);
  std::cerr << "callgate admin: unknown action " << options.action << "\n";
  return 2;
}

}  // namespace callgate::app
