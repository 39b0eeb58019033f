#include "storage/migrator.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "storage/embedded_migrations.hpp"
#include "storage/session.hpp"

#ifndef CALLGATE_MIGRATIONS_DIR
#define CALLGATE_MIGRATIONS_DIR "migrations"
#endif

namespace callgate::storage {
namespace {

// Any 64-bit constant works as long as every callgate process uses the same one; it only
// serialises concurrent migrators on one PostgreSQL database.
constexpr const char* kAdvisoryLock = "SELECT pg_advisory_xact_lock(7236143055318297190)";

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// "0001_initial_schema.sql" → {1, "initial_schema"}.
Result<Migration> ParseFileName(std::string_view file_name) {
  auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                "migration file name must look like 0001_some_name.sql, got \"" +
                    std::string(file_name) + "\"");
  };
  constexpr std::string_view kSuffix = ".sql";
  if (!file_name.ends_with(kSuffix) || file_name.size() < 4 + 1 + 1 + kSuffix.size()) return bad();
  int version = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (file_name[i] < '0' || file_name[i] > '9') return bad();
    version = version * 10 + (file_name[i] - '0');
  }
  if (file_name[4] != '_' || version == 0) return bad();
  std::string_view name = file_name.substr(5, file_name.size() - 5 - kSuffix.size());
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return bad();
  }
  Migration migration;
  migration.version = version;
  migration.name = std::string(name);
  return migration;
}

Status SortAndCheck(std::vector<Migration>& migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      return Fail(ErrorCode::kInvalidArgument,
                  "two migrations with version " + std::to_string(migrations[i].version) + ": " +
                      migrations[i - 1].name + " and " + migrations[i].name);
    }
  }
  return Ok();
}

std::string FileName(const Migration& m) {
  std::string version = std::to_string(m.version);
  if (version.size() < 4) version.insert(0, 4 - version.size(), '0');
  return version + "_" + m.name + ".sql";
}

}  // namespace

Result<std::vector<Migration>> LoadMigrations(const std::filesystem::path& root, Dialect dialect) {
  const std::filesystem::path folder = root / std::string(DialectName(dialect));
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return Fail(ErrorCode::kNotFound, "migrations folder not found: " + folder.string());
  }
  std::vector<Migration> migrations;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    auto migration = ParseFileName(entry.path().filename().string());
    if (!migration) return tl::unexpected(migration.error());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      return Fail(ErrorCode::kInternal, "cannot read migration " + entry.path().string());
    }
    migration->sql = text.str();
    migrations.push_back(std::move(*migration));
  }
  if (ec) return Fail(ErrorCode::kInternal, "cannot list " + folder.string() + ": " + ec.message());
  if (auto sorted = SortAndCheck(migrations); !sorted) return tl::unexpected(sorted.error());
  return migrations;
}

Result<std::vector<Migration>> EmbeddedMigrations(Dialect dialect) {
  std::vector<Migration> migrations;
  for (std::size_t i = 0; i < internal::kEmbeddedMigrationFileCount; ++i) {
    const auto& file = internal::kEmbeddedMigrationFiles[i];
    if (DialectName(dialect) != file.dialect) continue;
    auto migration = ParseFileName(file.file_name);
    if (!migration) return tl::unexpected(migration.error());
    migration->sql = file.sql;
    migrations.push_back(std::move(*migration));
  }
  if (auto sorted = SortAndCheck(migrations); !sorted) return tl::unexpected(sorted.error());
  return migrations;
}

std::filesystem::path DefaultMigrationsDir() { return CALLGATE_MIGRATIONS_DIR; }

Migrator::Migrator(Database& database, std::vector<Migration> migrations, const Clock& clock)
    : database_(database), migrations_(std::move(migrations)), clock_(clock) {}

Result<std::vector<MigrationState>> Migrator::AppliedVersions() {
  return database_.Run([&](Session& s) -> Result<std::vector<MigrationState>> {
    // Checked first so that Status() and IsCurrent() stay read-only on an empty database.
    const char* exists_query =
        s.dialect() == Dialect::kSqlite
            ? "FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            : "FROM information_schema.tables WHERE table_schema = current_schema() "
              "AND table_name = 'schema_migrations'";
    std::vector<MigrationState> applied;
    if (s.Query("1 AS present", exists_query, {}, [](const Row&) {}) == 0) return applied;
    s.Query("version, name, applied_at", "FROM schema_migrations ORDER BY version", {},
            [&](const Row& row) {
              MigrationState state;
              state.version = row.Int("version");
              state.name = row.String("name");
              state.applied_at = row.Time("applied_at");
              applied.push_back(std::move(state));
            });
    return applied;
  });
}

Result<std::vector<MigrationState>> Migrator::Status() {
  auto applied = AppliedVersions();
  if (!applied) return tl::unexpected(applied.error());
  std::map<int, MigrationState> by_version;
  for (const Migration& m : migrations_) {
    by_version[m.version] = MigrationState{m.version, m.name, std::nullopt, true};
  }
  for (MigrationState& state : *applied) {
    auto it = by_version.find(state.version);
    if (it == by_version.end()) {
      state.known = false;
      by_version.emplace(state.version, std::move(state));
    } else {
      it->second.applied_at = state.applied_at;
    }
  }
  std::vector<MigrationState> result;
  result.reserve(by_version.size());
  for (auto& [version, state] : by_version) result.push_back(std::move(state));
  return result;
}

Result<bool> Migrator::IsCurrent() {
  auto status = Status();
  if (!status) return tl::unexpected(status.error());
  return std::all_of(status->begin(), status->end(),
                     [](const MigrationState& s) { return !s.known || s.applied(); });
}

Result<std::vector<int>> Migrator::Migrate() {
  if (auto sorted = SortAndCheck(migrations_); !sorted) return tl::unexpected(sorted.error());
  const bool postgres = database_.dialect() == Dialect::kPostgresql;

  // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin on PostgreSQL (both may
  // try to insert the catalog row), hence the lock.
  auto created = database_.WithTransaction([&](Session& s) -> ::callgate::Status {
    if (postgres) s.Execute(kAdvisoryLock);
    s.Execute(kCreateTable);
    return Ok();
  });
  if (!created) return tl::unexpected(created.error());

  auto applied = AppliedVersions();
  if (!applied) return tl::unexpected(applied.error());
  std::set<int> done;
  for (const auto& state : *applied) done.insert(state.version);

  std::vector<int> applied_now;
  for (const Migration& migration : migrations_) {
    if (done.contains(migration.version)) continue;
    auto result = database_.WithTransaction([&](Session& s) -> Result<bool> {
      if (postgres) s.Execute(kAdvisoryLock);
      // Another process may have applied it between our read and our lock.
      const std::size_t present =
          s.Query("version", "FROM schema_migrations WHERE version = :version",
                  Params().Add(migration.version), [](const Row&) {});
      if (present != 0) return false;
      s.ExecuteScript(migration.sql);
      s.Execute(
          "INSERT INTO schema_migrations (version, name, applied_at) "
          "VALUES (:version, :name, :applied_at)",
          Params().Add(migration.version).Add(migration.name).Add(clock_.Now()));
      return true;
    });
    if (!result) {
      Error error = result.error();
      error.message = "migration " + FileName(migration) + ": " + error.message;
      return tl::unexpected(std::move(error));
    }
    if (*result) applied_now.push_back(migration.version);
  }
  return applied_now;
}

}  // namespace callgate::storage
