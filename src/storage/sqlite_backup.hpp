#pragma once
// Backup and restore of the embedded SQLite database (`callgate backup|restore`, docs/deploy.md).
//
// BackupSqlite copies a live database with SQLite's online backup API in one step: the copy is
// the snapshot of one read transaction, so it is consistent while `serve` keeps writing (WAL
// mode: readers block no writer). It writes `<target>.partial` (mode 0600, the database holds
// secrets), checks it and renames it over `target`, so a target never holds half a copy.
//
// RestoreSqlite checks a backup before it touches anything: PRAGMA integrity_check must say
// "ok", schema_migrations must exist and every applied version must be one of `migrations` (a
// backup from a newer build is refused). It then saves the current database to
// `<database>.pre-restore` and copies the backup into the database with the backup API (which
// takes the database's write lock, so a running process cannot interleave). Stop `serve` and
// `worker` first: running processes would keep state (caches, in-flight jobs) of the replaced
// data.
//
// Errors: kNotFound (no such file), kInvalidArgument (not an SQLite database, fails the
// integrity check, no or newer schema), kUnavailable (locked or I/O error). Thread-safe: no
// shared state.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "storage/migrator.hpp"

namespace callgate::storage {

struct SqliteBackupInfo {
  std::int64_t bytes = 0;         // size of the copy
  int schema_version = 0;         // highest applied migration
  std::int64_t calls = 0;         // rows in calls, for the operator's eye
  std::int64_t appointments = 0;  // rows in appointments
};

// Online copy of `database_path` to `target_path` (see above).
Result<SqliteBackupInfo> BackupSqlite(const std::string& database_path,
                                      const std::string& target_path);

// Integrity and schema checks of `backup_path` against this build's `migrations`.
Result<SqliteBackupInfo> CheckSqliteBackup(const std::string& backup_path,
                                           const std::vector<Migration>& migrations);

// Checks `backup_path`, keeps the current database as `<database_path>.pre-restore` (when it
// exists), then copies the backup into `database_path`.
Result<SqliteBackupInfo> RestoreSqlite(const std::string& backup_path,
                                       const std::string& database_path,
                                       const std::vector<Migration>& migrations);

}  // namespace callgate::storage
