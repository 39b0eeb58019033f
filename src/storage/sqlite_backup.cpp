#include "storage/sqlite_backup.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

namespace callgate::storage {
namespace {

namespace fs = std::filesystem;

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

Result<DbHandle> OpenFile(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return Fail(ErrorCode::kUnavailable,
                "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

// Runs a query whose rows are one text column each.
Result<std::vector<std::string>> Column(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return Fail(ErrorCode::kInvalidArgument, sqlite3_errmsg(db));
  }
  std::vector<std::string> rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Fail(ErrorCode::kInvalidArgument, sqlite3_errmsg(db));
  return rows;
}

// Copies every page of `from` into `to` in one step (one read transaction on `from`).
Status CopyAll(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return Fail(ErrorCode::kUnavailable, sqlite3_errmsg(to));
  int rc = sqlite3_backup_step(backup, -1);
  // Busy or locked: another connection holds the write lock (restore) or a checkpoint runs.
  for (int attempt = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < 100; ++attempt) {
    sqlite3_sleep(100);
    rc = sqlite3_backup_step(backup, -1);
  }
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return Fail(ErrorCode::kUnavailable, std::string("backup: ") + sqlite3_errstr(rc));
  }
  if (finished != SQLITE_OK) return Fail(ErrorCode::kUnavailable, sqlite3_errmsg(to));
  return Ok();
}

std::int64_t CountRows(sqlite3* db, const std::string& table) {
  auto n = Column(db, "SELECT COUNT(*) FROM " + table);
  return n && !n->empty() ? std::stoll(n->front()) : -1;
}

// Checks an open database: integrity, schema_migrations, versions known to `migrations` (when
// given).
Result<SqliteBackupInfo> Inspect(sqlite3* db, const std::string& path,
                                 const std::vector<Migration>* migrations) {
  auto integrity = Column(db, "PRAGMA integrity_check");
  if (!integrity) {
    return Fail(ErrorCode::kInvalidArgument,
                path + " is not an SQLite database: " + integrity.error().message);
  }
  if (integrity->size() != 1 || integrity->front() != "ok") {
    return Fail(ErrorCode::kInvalidArgument,
                path + " fails the integrity check: " +
                    (integrity->empty() ? std::string("no answer") : integrity->front()));
  }
  auto versions = Column(db, "SELECT version FROM schema_migrations ORDER BY version");
  if (!versions || versions->empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                path + " has no callgate schema (no applied migrations in schema_migrations)");
  }
  SqliteBackupInfo info;
  std::set<int> known;
  if (migrations) {
    for (const auto& m : *migrations) known.insert(m.version);
  }
  for (const auto& v : *versions) {
    const int version = std::stoi(v);
    info.schema_version = std::max(info.schema_version, version);
    if (migrations && !known.contains(version)) {
      return Fail(ErrorCode::kInvalidArgument,
                  path + " has migration " + v +
                      ", unknown to this build: restore it with the callgate version that made it");
    }
  }
  std::error_code ec;
  info.bytes = static_cast<std::int64_t>(fs::file_size(path, ec));
  info.calls = CountRows(db, "calls");
  info.appointments = CountRows(db, "appointments");
  return info;
}

}  // namespace

Result<SqliteBackupInfo> BackupSqlite(const std::string& database_path,
                                      const std::string& target_path) {
  if (!fs::exists(database_path)) {
    return Fail(ErrorCode::kNotFound, "no database at " + database_path);
  }
  auto source = OpenFile(database_path, SQLITE_OPEN_READWRITE);
  if (!source) return tl::unexpected(source.error());
  const std::string partial = target_path + ".partial";
  std::error_code ec;
  fs::remove(partial, ec);
  {
    // Created 0600 before SQLite opens it: the copy holds the same secrets as the database.
    const mode_t old_mask = ::umask(0077);
    auto target = OpenFile(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ::umask(old_mask);
    if (!target) return tl::unexpected(target.error());
    if (auto copied = CopyAll(source->get(), target->get()); !copied) {
      target->reset();
      fs::remove(partial, ec);
      return tl::unexpected(copied.error());
    }
    // A single self-contained file: no -wal beside the copy.
    Column(target->get(), "PRAGMA journal_mode=DELETE");
    auto info = Inspect(target->get(), partial, nullptr);
    if (!info) {
      target->reset();
      fs::remove(partial, ec);
      return tl::unexpected(info.error());
    }
  }
  fs::rename(partial, target_path, ec);
  if (ec)
    return Fail(ErrorCode::kUnavailable, "cannot rename to " + target_path + ": " + ec.message());
  auto check = OpenFile(target_path, SQLITE_OPEN_READONLY);
  if (!check) return tl::unexpected(check.error());
  return Inspect(check->get(), target_path, nullptr);
}

Result<SqliteBackupInfo> CheckSqliteBackup(const std::string& backup_path,
                                           const std::vector<Migration>& migrations) {
  if (!fs::exists(backup_path)) return Fail(ErrorCode::kNotFound, "no file " + backup_path);
  auto db = OpenFile(backup_path, SQLITE_OPEN_READONLY);
  if (!db) return tl::unexpected(db.error());
  return Inspect(db->get(), backup_path, &migrations);
}

Result<SqliteBackupInfo> RestoreSqlite(const std::string& backup_path,
                                       const std::string& database_path,
                                       const std::vector<Migration>& migrations) {
  auto info = CheckSqliteBackup(backup_path, migrations);
  if (!info) return info;
  if (fs::exists(database_path)) {
    auto saved = BackupSqlite(database_path, database_path + ".pre-restore");
    if (!saved) {
      return Fail(saved.error().code,
                  "cannot keep the current database before restoring: " + saved.error().message);
    }
  }
  auto backup = OpenFile(backup_path, SQLITE_OPEN_READONLY);
  if (!backup) return tl::unexpected(backup.error());
  auto target = OpenFile(database_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!target) return tl::unexpected(target.error());
  if (auto copied = CopyAll(backup->get(), target->get()); !copied) {
    return tl::unexpected(copied.error());
  }
  // The restored file keeps WAL mode, as callgate's own connections set it.
  Column(target->get(), "PRAGMA journal_mode=WAL");
  return Inspect(target->get(), database_path, &migrations);
}

}  // namespace callgate::storage
