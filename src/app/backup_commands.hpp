#pragma once
// `callgate backup <file>` and `callgate restore <file>`: the embedded SQLite database
// (storage/sqlite_backup.hpp). PostgreSQL deployments use pg_dump/pg_restore (docs/deploy.md);
// both commands say so and exit 2 there.

#include <string>

#include "app/config.hpp"

namespace callgate::app {

// Online copy of the configured SQLite database to `file`. 0 on success, 1 on failure, 2 when
// the configuration has no SQLite database file.
int RunBackupCommand(const Config& config, const std::string& file);

// Checks `file` and puts it in place of the configured SQLite database (the current one is kept
// as <database>.pre-restore). Same exit codes.
int RunRestoreCommand(const Config& config, const std::string& file);

}  // namespace callgate::app
