#include "app/command_database.hpp"

#include <iostream>

#include "storage/migrator.hpp"

namespace callgate::app {

Result<std::unique_ptr<storage::Database>> OpenMigratedDatabase(const Config& config,
                                                                const Clock& clock,
                                                                std::size_t pool_size) {
  auto url = storage::ParseDatabaseUrl(config.database_url);
  if (!url) return tl::unexpected(url.error());
  storage::DatabaseOptions options;
  options.pool_size = pool_size;
  auto keyring = ResolveKeyring(config);
  if (!keyring) return tl::unexpected(keyring.error());
  options.keyring = std::move(*keyring);
  auto db = storage::Database::Open(*url, options);
  if (!db) return tl::unexpected(db.error());
  auto migrations = config.migrations_dir.empty()
                        ? storage::EmbeddedMigrations((*db)->dialect())
                        : storage::LoadMigrations(config.migrations_dir, (*db)->dialect());
  if (!migrations) return tl::unexpected(migrations.error());
  storage::Migrator migrator(**db, std::move(*migrations), clock);
  auto current = migrator.IsCurrent();
  if (!current) return tl::unexpected(current.error());
  if (!*current) {
    return Fail(ErrorCode::kUnavailable,
                "the database schema is not current: run `callgate migrate`");
  }
  return db;
}

int CommandFailed(std::string_view prefix, std::string_view what, const Error& error) {
  std::cerr << prefix << ": " << what << ": " << error.message << "\n";
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace callgate::app
