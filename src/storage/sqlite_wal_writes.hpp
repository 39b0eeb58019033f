#pragma once
// SQLite's write-ahead log written with one system call per commit instead of two per page.
//
// SQLite appends a commit to the log as frames, each a 24-byte header and a page, and writes
// each part with its own pwrite: a webhook's commit of ~18 pages made ~36 system calls, the
// largest cost of SQLite's serial writer on a virtual machine where every system call is dear.
// InstallSqliteWalWrites() makes a thin VFS over SQLite's default one the default: files other
// than write-ahead logs are opened by the default VFS itself and never pass through it; a log's
// appends, contiguous by construction, are gathered in memory and written at once when the
// frame that completes a commit arrives (its header names the database size after the commit,
// https://www.sqlite.org/fileformat2.html#walformat). The write of that last page therefore
// returns the outcome of the whole commit's write, so a full disk fails the commit as before,
// and the log is complete before SQLite publishes the commit in the shared-memory index.
// Anything else done to a log (read, sync, size, truncate, a write elsewhere, close) writes what
// is gathered first, so the file's content and the order of writes to it are what SQLite asked
// for.
//
// It also keeps statement journals (a savepoint's copies of the pages it changes; the group
// commit opens one savepoint per caller) in memory up to 4 MiB instead of SQLite's 64 KiB, past
// which a connection's statement journal becomes a temporary file for good, written with two
// pwrite calls per page.

#include <cstdint>

namespace callgate::storage {

// Installs the VFS and the statement-journal size (once per process, before SQLite's first use:
// Session::Connect calls it; thread-safe). Connections opened afterwards use them. False when
// SQLite refused the VFS; connections then use SQLite's own VFS unchanged.
bool InstallSqliteWalWrites();

// Writes SQLite asked for on write-ahead logs and system calls made for them, and statement
// journals that spilled to a file, since start.
struct SqliteWalWriteCounts {
  std::uint64_t requested = 0;
  std::uint64_t issued = 0;
  std::uint64_t statement_journal_files = 0;
};
SqliteWalWriteCounts SqliteWalWritesSoFar();

}  // namespace callgate::storage
