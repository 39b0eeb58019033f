#pragma once
// Database: a fixed-size pool of connections to one SQLite file or PostgreSQL database, and the
// only way storage code reaches a connection. SOCI stays out of this header; statements are
// written against storage::Session (storage/session.hpp, included by storage .cpp files only).
//
//   auto company = db.Run([&](Session& s) -> Result<Company> { ... s.Query(...) ... });
//   auto status = db.WithTransaction([&](Session& s) -> Status { ...; return Ok(); });
//
// Callbacks may let SOCI/driver exceptions escape; Run and WithTransaction turn every exception
// into a Result (see ErrorFromCurrentException in session.hpp), so nothing built on them throws.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "core/result.hpp"
#include "storage/database_url.hpp"

namespace callgate::crypto {
class Keyring;
}  // namespace callgate::crypto

namespace callgate::storage {

class Session;

struct DatabaseOptions {
  // Connections in the pool. Forced to 1 for sqlite://:memory: (each connection would see its
  // own empty database). Connections are opened lazily, except one opened by Open().
  std::size_t pool_size = 4;
  // How long Run/WithTransaction wait for a free connection before failing with kUnavailable.
  std::chrono::milliseconds acquire_timeout{5000};
  // SQLite: how long a writer waits for the file lock (PRAGMA busy_timeout) before SQLITE_BUSY.
  std::chrono::milliseconds sqlite_busy_timeout{5000};
  // SQLite files: once a commit leaves at least this many frames (pages) in the write-ahead
  // log, a thread of the Database checkpoints it (PRAGMA wal_checkpoint(PASSIVE), on a
  // connection of its own), so that no transaction pays for copying the log into the database
  // file and syncing both (the cost SQLite's automatic checkpoint puts on the commit that
  // crosses its threshold). A commit that leaves four times as many checkpoints itself, as
  // SQLite would, so the log stays bounded when the thread falls behind. 1000 is SQLite's own
  // threshold. 0: SQLite checkpoints on the committing connection, as by default.
  std::size_t sqlite_checkpoint_frames = 1000;
  // PostgreSQL: TCP connect timeout, unless the URL sets connect_timeout itself.
  std::chrono::seconds postgres_connect_timeout{5};
  // Encryption at rest (crypto/keyring.hpp): repositories seal sensitive columns with it
  // (Session::Seal) and open them when reading (Row::Opened). Without one, writing a sealed
  // column fails (kInternal, "no master key configured") and sealed values do not read;
  // clear-text values still read. app/ always passes one.
  std::shared_ptr<const crypto::Keyring> keyring;
};

class Database {
 public:
  // Opens the pool and one connection, so a wrong URL or an unreachable server fails here
  // (kUnavailable, message with the redacted URL). SQLite: creates the file and its parent
  // directory, switches to WAL, sets busy_timeout and foreign_keys=ON on every connection.
  static Result<std::unique_ptr<Database>> Open(const DatabaseUrl& url,
                                                DatabaseOptions options = {});

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const noexcept;
  // The URL it was opened with; log it with url().Redacted().
  const DatabaseUrl& url() const noexcept;
  std::size_t pool_size() const noexcept;
  // The keyring of DatabaseOptions (nullptr when none was given).
  const crypto::Keyring* keyring() const noexcept;

  // Readiness probe: borrows a connection and runs SELECT 1. kUnavailable when the database
  // cannot be reached. Thread-safe.
  Status Ping();

  // Runs `fn(Session&)` on a pooled connection in autocommit mode and returns its Result.
  // `fn` must return a Result<T> (or Status). Exceptions escaping `fn` become errors:
  // unique violation → kAlreadyExists, foreign-key violation → kNotFound, check/not-null →
  // kInvalidArgument, lost connection / busy → kUnavailable, anything else → kInternal.
  // Called inside another Run/WithTransaction of this Database on the same thread, it reuses
  // that connection (and its transaction, guarded by a savepoint so a failing statement does
  // not abort the outer transaction on PostgreSQL). Thread-safe.
  template <typename Fn>
  auto Run(Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  // Like Run, for a callback whose failure ends the surrounding transaction anyway (its caller
  // returns the error, and the transaction rolls back): inside a transaction it joins without a
  // savepoint, saving two statements. On PostgreSQL a failed statement leaves that transaction
  // unusable, so never continue the transaction after this returned an error. Thread-safe.
  template <typename Fn>
  auto RunWithoutSavepoint(Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  // Like Run, inside a transaction: commits when `fn` returns a value, rolls back when it
  // returns an error or throws. SQLite transactions start with BEGIN IMMEDIATE (take the write
  // lock up front, so they never fail half-way with SQLITE_BUSY). Nested calls on the same
  // thread become savepoints. Repository calls made inside `fn` on this thread join the
  // transaction. Thread-safe.
  template <typename Fn>
  auto WithTransaction(Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  // Like Run, for reads that must see the database as it was at one moment (an export that reads
  // many pages): `fn` runs in a read-only transaction over one snapshot, PostgreSQL's REPEATABLE
  // READ READ ONLY, on SQLite a deferred transaction whose first read fixes the snapshot (WAL
  // mode). Writers are not held up: it takes no write lock. `fn` must only read: a transaction
  // started inside it is refused (kInternal), PostgreSQL refuses a write statement, and on
  // SQLite a write fails once anything was committed after the snapshot began. Nested in
  // another snapshot it joins it; inside a transaction of this Database on this thread it is
  // refused (kInternal: that transaction's reads may have seen other moments). Thread-safe.
  template <typename Fn>
  auto ReadSnapshot(Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  // Like WithTransaction, for short write transactions that many threads run at once
  // (webhooks). On SQLite, transactions that arrive while another batch is being written are
  // committed together (group commit): one thread runs the waiting callbacks, each in its own
  // savepoint, inside one BEGIN IMMEDIATE … COMMIT, so a burst costs one commit instead of one
  // per callback, and a caller that finds no batch running starts one at once. Each caller
  // still gets its own outcome: a callback that fails is rolled back alone, and when the commit
  // fails (or the database rolled the transaction back by itself) every callback of the batch
  // fails. Nothing is reported committed that is not. `fn` may run on another thread than the
  // caller's, while the caller waits: it must not rely on thread-local state (set the log's
  // request id inside it; slow-statement log lines carry the writing caller's) and reaches
  // storage only through this Database. On PostgreSQL, or
  // when this thread is already inside a Run of this Database, it is WithTransaction.
  // Thread-safe.
  template <typename Fn>
  auto WithGroupedTransaction(Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  // WithGroupedTransaction without waiting, for callers that must not (an I/O thread that
  // answers its request later, http::PendingAnswer): on SQLite `fn` is queued for the group
  // commit and this returns at once; the group commit's writer thread (or a caller writing a
  // batch) runs it in its batch and then calls `done` with its outcome, after the batch's
  // COMMIT (or with the error that failed it). `fn` owns what it needs and follows
  // WithGroupedTransaction's rules; `done` must be quick and must not throw (hand the outcome
  // on). On PostgreSQL, or inside a Run of this Database on this thread, it is
  // WithGroupedTransaction on this thread (which may block: MayBlock applies), and `done` runs
  // before this returns. Nothing queued is lost: the Database writes it before it is gone.
  void WithGroupedTransactionLater(std::function<Status(Session&)> fn,
                                   std::function<void(Status)> done);

  // Transactions committed together at most (WithGroupedTransaction).
  static constexpr std::size_t kMaxGroupedTransactions = 64;

  // WithGroupedTransaction callers waiting for the batch being written to end (not counting
  // that batch); batches committed by the group commit (SQLite), and the transactions they
  // held. Thread-safe.
  std::size_t grouped_waiting() const;
  std::uint64_t grouped_batches() const;
  std::uint64_t grouped_transactions() const;

  // True inside a Run, RunWithoutSavepoint or transaction of this Database on this thread
  // (repository calls made now join it). Group commits of their own (SqlCallEventStore) write
  // inline then, so the write stays inside the caller's transaction.
  bool InsideRun() const noexcept;

  // SQLite files: copies the whole write-ahead log into the database file and truncates the
  // log to zero bytes (PRAGMA wal_checkpoint(TRUNCATE): it waits, up to the busy timeout, for
  // readers and writers), after the checkpoint this Database may be running on its own thread.
  // When a reader on an older snapshot (a ReadSnapshot here or in another process) keeps part
  // of the log from being copied, the log is left as it is rather than holding every writer up
  // while waiting for that reader (no error: check the log's size). No-op on PostgreSQL and
  // in-memory SQLite. Thread-safe; not inside a Run.
  Status TruncateLog();

  // Checkpoints run by the Database's checkpoint thread (DatabaseOptions::
  // sqlite_checkpoint_frames), those that failed (the next commit over the threshold asks
  // again), and those a commit ran itself because the thread fell behind by four times the
  // threshold (which bounds the log). Thread-safe.
  std::uint64_t checkpoints() const noexcept;
  std::uint64_t failed_checkpoints() const noexcept;
  std::uint64_t commit_checkpoints() const noexcept;

 private:
  enum class Mode { kAutocommit, kJoined, kTransaction, kGrouped, kSnapshot };
  struct Impl;

  explicit Database(std::unique_ptr<Impl> impl);
  Status Execute(Mode mode, const std::function<Status(Session&)>& fn);

  template <typename Fn>
  auto RunIn(Mode mode, Fn&& fn) -> std::invoke_result_t<Fn&, Session&>;

  std::unique_ptr<Impl> impl_;
};

namespace internal {
template <typename T>
struct IsResult : std::false_type {};
template <typename T>
struct IsResult<Result<T>> : std::true_type {};
}  // namespace internal

template <typename Fn>
auto Database::RunIn(Mode mode, Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  using R = std::invoke_result_t<Fn&, Session&>;
  static_assert(internal::IsResult<R>::value, "the callback must return a Result<T> or Status");
  std::optional<R> out;
  const Status status = Execute(mode, [&](Session& session) -> Status {
    out.emplace(fn(session));
    if (out->has_value()) return Ok();
    return tl::unexpected(out->error());
  });
  if (!status) return tl::unexpected(status.error());
  return std::move(*out);
}

template <typename Fn>
auto Database::Run(Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  return RunIn(Mode::kAutocommit, std::forward<Fn>(fn));
}

template <typename Fn>
auto Database::RunWithoutSavepoint(Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  return RunIn(Mode::kJoined, std::forward<Fn>(fn));
}

template <typename Fn>
auto Database::WithTransaction(Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  return RunIn(Mode::kTransaction, std::forward<Fn>(fn));
}

template <typename Fn>
auto Database::ReadSnapshot(Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  return RunIn(Mode::kSnapshot, std::forward<Fn>(fn));
}

template <typename Fn>
auto Database::WithGroupedTransaction(Fn&& fn) -> std::invoke_result_t<Fn&, Session&> {
  return RunIn(Mode::kGrouped, std::forward<Fn>(fn));
}

}  // namespace callgate::storage
