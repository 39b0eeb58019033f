#pragma once
// Versioned schema migrations. Files live in migrations/<dialect>/NNNN_name.sql (dialect =
// "sqlite" or "postgresql"; NNNN = version, ascending; name = [a-z0-9_]+). The same files are
// compiled into the binary, so an installed `callgate migrate` needs no migrations directory;
// a directory can still be given to override them (development, hotfixes).
//
// Applied versions are recorded in schema_migrations(version, name, applied_at). Each pending
// migration runs in its own transaction together with its schema_migrations row, so a failed
// migration leaves no trace and a re-run starts at it again. A migration file must not contain
// BEGIN/COMMIT or statements that cannot run inside a transaction (CREATE INDEX CONCURRENTLY).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"

namespace callgate::storage {

struct Migration {
  int version = 0;
  std::string name;  // "initial_schema" for 0001_initial_schema.sql
  std::string sql;
};

// One row of Migrator::Status().
struct MigrationState {
  int version = 0;
  std::string name;
  std::optional<SystemTimePoint> applied_at;  // empty = pending
  bool known = true;  // false: applied by a newer build, absent from this binary's migrations

  bool applied() const noexcept { return applied_at.has_value(); }
};

// Reads <root>/<dialect name>/*.sql, sorted by version. kInvalidArgument for a file name not
// of the form NNNN_name.sql or a duplicate version; kNotFound when the folder does not exist.
Result<std::vector<Migration>> LoadMigrations(const std::filesystem::path& root, Dialect dialect);

// The migrations compiled into this binary (from migrations/<dialect>/ at build time).
Result<std::vector<Migration>> EmbeddedMigrations(Dialect dialect);

// The source tree's migrations directory at build time (CALLGATE_MIGRATIONS_DIR); for tests
// and `make run` from a checkout.
std::filesystem::path DefaultMigrationsDir();

// Applies and reports migrations of one database. Thread-safe; concurrent Migrate() calls from
// several processes are safe too (PostgreSQL: transaction-scoped advisory lock; SQLite: the
// write lock taken by BEGIN IMMEDIATE).
class Migrator {
 public:
  // `migrations` must be for database.dialect(); `clock` stamps applied_at.
  Migrator(Database& database, std::vector<Migration> migrations, const Clock& clock);

  // Applies every pending migration in version order; returns the versions applied now (empty
  // when already current, so re-running is a no-op). Stops at the first failure, returning its
  // error (prefixed with the migration's file name); earlier migrations stay applied.
  Result<std::vector<int>> Migrate();

  // Every known migration with its state, plus applied versions this binary does not know,
  // ordered by version. Read-only: does not create schema_migrations.
  Result<std::vector<MigrationState>> Status();

  // True when every known migration is applied (readiness check). Read-only.
  Result<bool> IsCurrent();

 private:
  Result<std::vector<MigrationState>> AppliedVersions();

  Database& database_;
  std::vector<Migration> migrations_;
  const Clock& clock_;
};

}  // namespace callgate::storage
