#include "app/backup_commands.hpp"

#include <iostream>

#include "storage/database_url.hpp"
#include "storage/migrator.hpp"
#include "storage/sqlite_backup.hpp"

namespace callgate::app {
namespace {

// The SQLite file of the configuration, or a message for the operator.
Result<std::string> SqlitePath(const Config& config, std::string_view command) {
  auto url = storage::ParseDatabaseUrl(config.database_url);
  if (!url) return tl::unexpected(url.error());
  if (url->dialect != storage::Dialect::kSqlite) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(command) +
                    " handles the embedded SQLite database; for PostgreSQL use " +
                    (command == "backup" ? "pg_dump -Fc" : "pg_restore") + " (docs/deploy.md)");
  }
  if (url->IsInMemory()) {
    return Fail(ErrorCode::kInvalidArgument, "an in-memory database has nothing to back up");
  }
  return url->path;
}

void Describe(const storage::SqliteBackupInfo& info) {
  std::cout << "  " << info.bytes << " bytes, schema version " << info.schema_version << ", "
            << info.calls << " calls, " << info.appointments << " appointments\n";
}

}  // namespace

int RunBackupCommand(const Config& config, const std::string& file) {
  auto path = SqlitePath(config, "backup");
  if (!path) {
    std::cerr << "callgate backup: " << path.error().message << "\n";
    return 2;
  }
  auto info = storage::BackupSqlite(*path, file);
  if (!info) {
    std::cerr << "callgate backup: " << info.error().message << "\n";
    return 1;
  }
  std::cout << "backup: " << *path << " → " << file << " (integrity ok)\n";
  Describe(*info);
  return 0;
}

int RunRestoreCommand(const Config& config, const std::string& file) {
  auto path = SqlitePath(config, "restore");
  if (!path) {
    std::cerr << "callgate restore: " << path.error().message << "\n";
    return 2;
  }
  auto migrations = config.migrations_dir.empty()
                        ? storage::EmbeddedMigrations(storage::Dialect::kSqlite)
                        : storage::LoadMigrations(config.migrations_dir, storage::Dialect::kSqlite);
  if (!migrations) {
    std::cerr << "callgate restore: " << migrations.error().message << "\n";
    return 1;
  }
  auto info = storage::RestoreSqlite(file, *path, *migrations);
  if (!info) {
    std::cerr << "callgate restore: " << info.error().message << " (nothing was changed)\n";
    return 1;
  }
  std::cout << "restore: " << file << " → " << *path << " (previous database kept as " << *path
            << ".pre-restore)\n";
  Describe(*info);
  std::cout << "run `callgate migrate` if this build has newer migrations, then start callgate\n";
  return 0;
}

}  // namespace callgate::app
