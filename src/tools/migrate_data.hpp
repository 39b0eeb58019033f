#pragma once
// migrate-data: copies every table from one database to another (the usual direction: the
// embedded SQLite file → PostgreSQL) in dependency order and in batches, keeping ids, then
// verifies the copy: row counts, key columns (ids and the natural keys such as number_e164 and
// retell_call_id) and a checksum per table over the columns both dialects store identically.
// Re-running is safe: rows already present (by id) are skipped, so an interrupted copy resumes.

#include <functional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::tools {

struct TableReport {
  std::string table;
  long long source_rows = 0;
  long long target_rows = 0;
  long long copied = 0;
  std::string source_checksum;
  std::string target_checksum;
  std::vector<std::string> differences;  // human-readable, empty when the table matches

  bool Matches() const { return differences.empty(); }
};

struct MigrateDataOptions {
  int batch_size = 500;
  bool verify_only = false;
  // Progress lines ("calls: 1500/4200 rows"); may be empty.
  std::function<void(const std::string&)> progress;
};

// Copies (unless verify_only) and verifies. The target's schema must be current (run the
// migrator first). Returns one report per table; the copy is correct when every report Matches.
// kUnavailable when a database cannot be reached.
Result<std::vector<TableReport>> MigrateData(storage::Database& source, storage::Database& target,
                                             const MigrateDataOptions& options);

}  // namespace callgate::tools
