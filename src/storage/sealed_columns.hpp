#pragma once
// The columns callgate stores encrypted (docs/privacy.md) and re-encryption of all of them
// under the current master key: the work behind `callgate keys rotate`.
//
// Repositories seal these columns with Session::Seal(value, "<table>.<column>") and read them
// with Row::Opened; the context string is the table and column named here. Adding a sealed
// column means: seal/open it in its repository and list it in SealedColumns().

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::storage {

struct SealedColumn {
  std::string_view table;
  std::string_view column;
  std::string Context() const { return std::string(table) + "." + std::string(column); }
};

// Every sealed column, in the order ResealAll visits them.
const std::vector<SealedColumn>& SealedColumns();

// How many values of a sealed column are stored in clear text: written before the column was
// sealed (or before encryption existed), until `callgate keys rotate` seals them. Empty
// strings do not count.
struct ClearTextValues {
  std::string context;  // "customers.name"
  std::int64_t count = 0;
};
// The sealed columns holding clear text, in SealedColumns() order (none: an empty list). Reads
// every row of those tables; for `callgate doctor`, not for a request path.
Result<std::vector<ClearTextValues>> CountClearText(Database& database);

struct ResealOptions {
  int batch_size = 500;  // rows read and rewritten per transaction
  // One line per batch ("calls.transcript: 500 checked, 120 re-encrypted"), for the CLI.
  std::function<void(const std::string&)> progress;
};

struct ResealReport {
  std::int64_t checked = 0;     // non-NULL values looked at
  std::int64_t resealed = 0;    // clear text or older-key values rewritten under the current key
  std::int64_t unreadable = 0;  // values that did not decrypt (key missing, altered): left alone
  std::vector<std::string> problems;  // "calls.transcript id 7: <reason>", at most 20
};

// Rewrites every sealed column's value that is clear text or sealed under an older key so it is
// sealed under the keyring's current key. Each batch is its own transaction, rows are visited
// by ascending id and a row is only rewritten if it did not change meanwhile, so the job can be
// interrupted and run again at any time (values already under the current key are skipped).
// Values that do not decrypt are counted and reported, never overwritten.
// kInternal when the database has no keyring; storage errors as they come.
Result<ResealReport> ResealAll(Database& database, const ResealOptions& options = {});

}  // namespace callgate::storage
