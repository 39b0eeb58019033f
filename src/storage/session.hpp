#pragma once
// Session: one borrowed database connection, handed to the callbacks of Database::Run and
// Database::WithTransaction. Include this header only from storage .cpp files.
//
// On PostgreSQL every statement is a one-shot statement (libpq PQexecParams with the unnamed
// statement), never a named prepared statement, so PgBouncer in transaction mode works
// (docs/adr/0002-storage-conventions.md); SQLite keeps its prepared statements per connection.
// Do not use soci::statement with session.prepare or soci::rowset through sql(): those create
// named server-side statements on PostgreSQL.
//
// Parameters are bound by position: the n-th Params::Add fills the n-th placeholder (":name"
// placeholders are cosmetic). On PostgreSQL the server infers each parameter's type from its
// context; a bare placeholder without context (":x IS NULL") needs CAST(:x AS BIGINT).
//
// Methods throw (soci::soci_error, StorageError) on failure; Database::Run/WithTransaction turn
// that into a Result. Not thread-safe: a Session belongs to one callback at a time.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"

namespace soci {
class session;
}  // namespace soci

namespace callgate::storage {

// Thrown inside a Run/WithTransaction callback to fail with a specific error code, e.g. when
// a stored row cannot be decoded. Becomes that Error.
class StorageError : public std::runtime_error {
 public:
  StorageError(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Positional statement parameters. Values are copied in, so temporaries are fine.
class Params {
 public:
  template <std::integral T>
  Params& Add(T value) {
    values_.push_back(Value{Kind::kInt, false, static_cast<long long>(value), 0, {}});
    return *this;
  }
  Params& Add(double value) {
    values_.push_back(Value{Kind::kDouble, false, 0, value, {}});
    return *this;
  }
  Params& Add(std::string_view value) {
    values_.push_back(Value{Kind::kText, false, 0, 0, std::string(value)});
    return *this;
  }
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  // Milliseconds since the Unix epoch (the storage convention for time).
  Params& Add(SystemTimePoint value) { return Add(ToUnixMillis(value)); }
  // NULL when empty.
  template <typename T>
  Params& Add(const std::optional<T>& value) {
    if (value) return Add(*value);
    values_.push_back(Value{Kind::kText, true, 0, 0, {}});
    return *this;
  }

  std::size_t size() const noexcept { return values_.size(); }

  // The stored values, for Session's binding code.
  enum class Kind { kInt, kDouble, kText };
  struct Value {
    Kind kind;
    bool is_null;
    long long integer;
    double real;
    std::string text;
  };
  const std::vector<Value>& values() const noexcept { return values_; }

 private:
  std::vector<Value> values_;
};

// One result row. Every column is fetched in its text form, which both dialects produce for
// every type, and parsed here; accessors throw StorageError(kInternal) for an unknown column,
// a NULL where a value is required, or text that does not parse.
class Row {
 public:
  bool IsNull(std::string_view column) const;
  std::string String(std::string_view column) const;
  std::optional<std::string> OptionalString(std::string_view column) const;
  std::int64_t Int64(std::string_view column) const;
  std::optional<std::int64_t> OptionalInt64(std::string_view column) const;
  int Int(std::string_view column) const;
  std::optional<int> OptionalInt(std::string_view column) const;
  bool Bool(std::string_view column) const;  // INTEGER 0/1
  double Double(std::string_view column) const;
  SystemTimePoint Time(std::string_view column) const;  // BIGINT ms since the epoch
  std::optional<SystemTimePoint> OptionalTime(std::string_view column) const;
  // A column written with Session::Seal, decrypted; `context` is the one given to Seal
  // ("table.column"). Legacy clear text reads unchanged. Throws StorageError(kInternal) with the
  // keyring's message when the value does not decrypt (wrong or missing key, altered data).
  std::string Opened(std::string_view column, std::string_view context) const;
  std::optional<std::string> OptionalOpened(std::string_view column,
                                            std::string_view context) const;

 private:
  friend class Session;
  std::size_t Index(std::string_view column) const;
  const std::string* Raw(std::string_view column) const;  // nullptr for NULL

  std::vector<std::string> names_;
  std::vector<std::string> values_;
  std::vector<int> null_;  // soci::indicator per column, as int to keep SOCI out of here
  const crypto::Keyring* keyring_ = nullptr;
};

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Dialect dialect() const noexcept { return dialect_; }

  // Encrypts a value for a sensitive column under the current master key (crypto/keyring.hpp),
  // bound to `context` ("table.column"); nullopt stays NULL. Throws StorageError(kInternal)
  // when the Database has no keyring: there is no clear-text fallback.
  std::string Seal(std::string_view plaintext, std::string_view context) const;
  std::optional<std::string> SealNullable(const std::optional<std::string>& plaintext,
                                          std::string_view context) const;
  // The keyring of this connection's Database, or nullptr.
  const crypto::Keyring* keyring() const noexcept { return keyring_.get(); }

  // Runs one statement; returns the number of rows it changed.
  long long Execute(std::string_view sql, const Params& params = {});

  // Runs "INSERT ... RETURNING id" and returns the id.
  std::int64_t InsertReturningId(std::string_view sql, const Params& params);
  // The same, for statements that may legitimately return no row (an upsert whose
  // DO UPDATE ... WHERE did not match): nullopt then.
  std::optional<std::int64_t> InsertReturningOptionalId(std::string_view sql, const Params& params);

  // Runs "SELECT <columns> <rest>" and calls `on_row` for every row; returns the row count.
  // `columns` is a comma-separated list; Row accessors take each item's name: the alias after
  // " AS ", else the part after the last '.', e.g. "c.id, COUNT(*) AS n" → "id", "n".
  std::size_t Query(std::string_view columns, std::string_view rest, const Params& params,
                    const std::function<void(const Row&)>& on_row);

  // Runs "<statement> RETURNING <columns>" (an INSERT, UPDATE or upsert) and calls `on_row` for
  // every row it returns, like Query; returns the row count. Saves reading the row back.
  std::size_t Returning(std::string_view statement, std::string_view columns, const Params& params,
                        const std::function<void(const Row&)>& on_row);

  // Runs a script of several statements (a migration file) through the native driver: the
  // text is sent verbatim (no placeholder rewriting) and every statement runs.
  void ExecuteScript(const std::string& script);

  // False once the server connection is gone (PostgreSQL); the pool then replaces it.
  bool IsConnected() const noexcept;

  // Whether a transaction is open on this connection. False after BEGIN's transaction ended,
  // including when the database rolled it back by itself (SQLite does after some errors, such
  // as a full disk); on PostgreSQL also false when the connection is gone.
  bool InTransaction() const noexcept;

  // The SOCI session, for what the methods above do not cover. Only one-shot statements
  // (`sql << "...", soci::use(x), soci::into(y)`) — see the header comment.
  soci::session& sql() noexcept { return *sql_; }

  // SQLite: calls `on_commit(frames, checkpoint_here)` on the committing thread after every
  // commit of this connection, with the number of frames now in the write-ahead log, instead of
  // SQLite's own automatic checkpoint, which this turns off for the connection (Database runs
  // checkpoints on a thread of its own). Calling `checkpoint_here()` checkpoints the log right
  // there on this connection (PASSIVE), as SQLite's automatic checkpoint would. `on_commit` must
  // not throw and must not use this connection otherwise. No effect on PostgreSQL.
  using WalCommitHook =
      std::function<void(int frames, const std::function<void()>& checkpoint_here)>;
  void OnWalCommit(WalCommitHook on_commit);

  // Opens a connection configured as described at Database::Open. Throws soci::soci_error.
  static std::unique_ptr<Session> Connect(const DatabaseUrl& url, const DatabaseOptions& options);

  // Runs a whole statement `sql` (e.g. one that starts with WITH) whose result columns are
  // `columns` (named as for Query), and calls `on_row` for every row; returns the row count.
  std::size_t Rows(const std::string& sql, std::string_view columns, const Params& params,
                   const std::function<void(const Row&)>& on_row);

 private:
  class SqliteStatements;    // prepared statements of this SQLite connection (session.cpp)
  class PostgresStatements;  // libpq statements of this PostgreSQL connection (session.cpp)

  Session(Dialect dialect, std::unique_ptr<soci::session> sql);

  Dialect dialect_;
  std::shared_ptr<const crypto::Keyring> keyring_;
  // OnWalCommit's function; the connection (sql_, destroyed first) points to it.
  std::unique_ptr<WalCommitHook> wal_commit_;
  std::unique_ptr<soci::session> sql_;
  // SQLite only, destroyed before sql_ (statements are finalized before the connection closes).
  std::unique_ptr<SqliteStatements> sqlite_statements_;
  std::unique_ptr<PostgresStatements> postgres_statements_;  // PostgreSQL only
};

// Session::Seal and SealNullable without a connection, for parameters built before a
// transaction (on the caller's thread rather than on the one that writes a group commit).
// Throws StorageError(kInternal) when `keyring` is null.
std::string SealValue(const crypto::Keyring* keyring, std::string_view plaintext,
                      std::string_view context);
std::optional<std::string> SealNullableValue(const crypto::Keyring* keyring,
                                             const std::optional<std::string>& plaintext,
                                             std::string_view context);

// Observability hook (docs/operations.md, slow queries): called after every statement a Session
// runs through Execute, InsertReturningId or Query (failed ones included) with its SQL text
// and how long it took, fetching rows included. Runs on the statement's thread; must be quick,
// thread-safe and must not throw.
using StatementObserver =
    std::function<void(std::string_view sql, std::chrono::nanoseconds elapsed)>;

// Installs the process-wide statement observer (an empty function removes it). Thread-safe;
// statements already running may still report to the previous observer.
void SetStatementObserver(StatementObserver observer);

// Maps the exception being handled (call only inside a catch block) to an Error. Pass
// `connection_lost` when the session reports IsConnected() == false after the failure:
//   unique violation → kAlreadyExists; foreign-key violation → kNotFound; NOT NULL/CHECK/bad
//   value → kInvalidArgument; lost connection, busy/locked database, too many connections →
//   kUnavailable; statement timeout → kTimeout; StorageError → its code; else kInternal.
// The message is the driver's first line only (no DETAIL with row values, no SQL text).
Error ErrorFromCurrentException(bool connection_lost = false) noexcept;

}  // namespace callgate::storage
