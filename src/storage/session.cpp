#include "storage/session.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "core/digest.hpp"
#include "crypto/keyring.hpp"
#include "storage/postgres_placeholders.hpp"
#include "storage/sqlite_wal_writes.hpp"

namespace callgate::storage {
namespace {

// observability: the statement observer (SetStatementObserver) and a timer reporting to it.
std::mutex observer_mutex;
std::shared_ptr<const StatementObserver> statement_observer;

class StatementTimer {
 public:
  StatementTimer() {
    std::lock_guard lock(observer_mutex);
    observer_ = statement_observer;
  }
  ~StatementTimer() {
    if (observer_ && !sql_.empty()) {
      try {
        (*observer_)(sql_, std::chrono::steady_clock::now() - start_);
      } catch (...) {
        // An observer must not turn a statement into a failure.
      }
    }
  }
  StatementTimer(const StatementTimer&) = delete;
  StatementTimer& operator=(const StatementTimer&) = delete;
  // Starts timing `sql` (which must outlive the timer).
  void Start(std::string_view sql) {
    sql_ = sql;
    start_ = std::chrono::steady_clock::now();
  }

 private:
  std::shared_ptr<const StatementObserver> observer_;
  std::string_view sql_;
  std::chrono::steady_clock::time_point start_;
};

std::string FirstLine(std::string_view text) {
  const auto end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

// libpq messages start with "Cannot execute query. Fatal error. ERROR:  ..."; keep what the
// server said.
std::string ServerMessage(std::string_view text) {
  std::string line = FirstLine(text);
  if (auto pos = line.find("ERROR:"); pos != std::string::npos) {
    line = line.substr(pos + 6);
    line.erase(0, line.find_first_not_of(' '));
  }
  return line;
}

Error Make(ErrorCode code, std::string message) {
  return Error{code, "database: " + std::move(message)};
}

Error FromPostgres(const soci::postgresql_soci_error& e, bool connection_lost) {
  const std::string state = e.sqlstate();
  const std::string message = ServerMessage(e.get_error_message());
  if (state == "23505") return Make(ErrorCode::kAlreadyExists, message);
  if (state == "23503") return Make(ErrorCode::kNotFound, message);
  if (state == "42501") return Make(ErrorCode::kPermissionDenied, message);
  if (state == "23502" || state == "23514" || state.starts_with("22")) {
    return Make(ErrorCode::kInvalidArgument, message);
  }
  if (state == "57014") return Make(ErrorCode::kTimeout, message);
  // 08: connection exceptions; 57P0x: server shutting down / starting; 53300: too many
  // connections; 40001/40P01: serialization failure / deadlock — all worth a retry.
  if (connection_lost || state.starts_with("08") || state.starts_with("57P") || state == "53300" ||
      state == "40001" || state == "40P01") {
    return Make(ErrorCode::kUnavailable, message);
  }
  return Make(ErrorCode::kInternal, message);
}

Error FromSqlite(const soci::sqlite3_soci_error& e) {
  std::string message = FirstLine(e.get_error_message());
  // "sqlite3_statement_backend::loadOne: UNIQUE constraint failed: ..." → drop SOCI's prefix.
  if (auto pos = message.find(": ");
      pos != std::string::npos && message.substr(0, pos).find("::") != std::string::npos) {
    message.erase(0, pos + 2);
  }
  switch (e.result() & 0xff) {  // primary result code
    case 19:                    // SQLITE_CONSTRAINT: tell the kinds apart by the message
      if (message.find("UNIQUE") != std::string::npos ||
          message.find("PRIMARY KEY") != std::string::npos) {
        return Make(ErrorCode::kAlreadyExists, message);
      }
      if (message.find("FOREIGN KEY") != std::string::npos) {
        return Make(ErrorCode::kNotFound, message);
      }
      return Make(ErrorCode::kInvalidArgument, message);
    case 5:   // SQLITE_BUSY
    case 6:   // SQLITE_LOCKED
    case 10:  // SQLITE_IOERR
    case 13:  // SQLITE_FULL
    case 14:  // SQLITE_CANTOPEN
      return Make(ErrorCode::kUnavailable, message);
    default:
      return Make(ErrorCode::kInternal, message);
  }
}

std::string ColumnName(std::string_view item) {
  auto trim = [](std::string_view s) {
    const auto b = s.find_first_not_of(" \t\n");
    if (b == std::string_view::npos) return std::string_view();
    const auto e = s.find_last_not_of(" \t\n");
    return s.substr(b, e - b + 1);
  };
  item = trim(item);
  for (std::string_view as : {" AS ", " as "}) {
    if (auto pos = item.rfind(as); pos != std::string_view::npos) {
      return std::string(trim(item.substr(pos + as.size())));
    }
  }
  if (auto dot = item.rfind('.'); dot != std::string_view::npos && item.find('(') == item.npos) {
    return std::string(item.substr(dot + 1));
  }
  return std::string(item);
}

// Splits a select list on top-level commas (commas inside parentheses belong to functions).
std::vector<std::string> ColumnNames(std::string_view columns) {
  std::vector<std::string> names;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= columns.size(); ++i) {
    const char c = i < columns.size() ? columns[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      names.push_back(ColumnName(columns.substr(start, i - start)));
      start = i + 1;
    }
  }
  return names;
}

void IgnoreNotice(void*, const char*) {}

// The native handles, for what SOCI does not offer (multi-statement scripts, notice handling,
// connection status). no_sanitize("vptr"): SOCI's shared libraries do not export the backends'
// typeinfo that UBSan's downcast check would reference; the dialect tells the type for sure.
__attribute__((no_sanitize("vptr"))) PGconn* NativePostgres(soci::session& sql) {
  return static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
}

__attribute__((no_sanitize("vptr"))) sqlite_api::sqlite3* NativeSqlite(soci::session& sql) {
  return static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
}

// Opens a plain libpq connection and runs one statement on it. SOCI 4.0 runs its first statement
// (`SET extra_float_digits`) before it owns the new connection, so when that statement fails the
// connection leaks. Behind PgBouncer that is how every connection attempt fails while PostgreSQL
// is down or restarting: PgBouncer completes the login and fails the first statement. A failed
// probe throws here, before SOCI connects; SOCI then only sees a server that just answered.
void ProbePostgres(const std::string& conninfo) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw soci::soci_error("Cannot establish connection to the database.\n" +
                           std::string(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), "SELECT 1"), &PQclear);
  if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw soci::postgresql_soci_error(PQerrorMessage(conn.get()),
                                      state != nullptr ? state : "08006");
  }
}

}  // namespace

// ---- SQLite prepared statements ---------------------------------------------------------------

// SQLite runs each statement through the native API with the connection's own prepared
// statements, kept by SQL text: compiling the SQL again for every statement was the largest
// single cost of a webhook on SQLite (docs/performance.md). An embedded database has no pooler
// in front, so keeping statements is safe here; PostgreSQL keeps using one-shot statements.
// Parameters bind by position (`:name` placeholders are numbered in order, as SOCI binds them).
class Session::SqliteStatements {
 public:
  explicit SqliteStatements(sqlite_api::sqlite3* db) : db_(db) {}
  ~SqliteStatements() {
    for (auto& [text, entry] : cache_) sqlite_api::sqlite3_finalize(entry.stmt);
  }
  SqliteStatements(const SqliteStatements&) = delete;
  SqliteStatements& operator=(const SqliteStatements&) = delete;

  // A statement in use: reset and unbound again when it goes out of scope, so it never holds a
  // read transaction open or points at parameters that are gone. A statement prepared only for
  // this use (its cached twin was in use, e.g. the same query nested in a row callback, or the
  // cache was full of statements in use) is finalized instead.
  class Use {
   public:
    Use(SqliteStatements& owner, sqlite_api::sqlite3_stmt* stmt, bool* in_use)
        : owner_(owner), stmt_(stmt), in_use_(in_use) {
      if (in_use_ != nullptr) *in_use_ = true;
    }
    Use(Use&& other) noexcept
        : owner_(other.owner_),
          stmt_(std::exchange(other.stmt_, nullptr)),
          in_use_(std::exchange(other.in_use_, nullptr)) {}
    ~Use() {
      if (stmt_ == nullptr) return;
      if (in_use_ == nullptr) {
        sqlite_api::sqlite3_finalize(stmt_);
        return;
      }
      sqlite_api::sqlite3_reset(stmt_);
      sqlite_api::sqlite3_clear_bindings(stmt_);
      *in_use_ = false;
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Use& operator=(Use&&) = delete;

    // Steps once: true for a row, false when done; throws on an error.
    bool Step() {
      const int rc = sqlite_api::sqlite3_step(stmt_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      owner_.Throw(rc);
    }
    sqlite_api::sqlite3_stmt* get() const { return stmt_; }

   private:
    SqliteStatements& owner_;
    sqlite_api::sqlite3_stmt* stmt_;
    bool* in_use_;  // the cache entry's flag; nullptr for a statement prepared for this use only
  };

  // The prepared statement for `sql` (compiled on first use), bound to `params`.
  Use Prepare(std::string_view sql, const Params& params) {
    auto it = cache_.find(sql);
    if (it == cache_.end() || it->second.in_use) {
      // A full cache drops the statements nobody is using (one in use belongs to an outer
      // caller that will still step and reset it).
      if (it == cache_.end() && cache_.size() >= kMaxStatements) DropIdle();
      const bool cached = it == cache_.end() && cache_.size() < kMaxStatements;
      sqlite_api::sqlite3_stmt* stmt = nullptr;
      const int rc =
          sqlite_api::sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                         cached ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        sqlite_api::sqlite3_finalize(stmt);
        Throw(rc);
      }
      if (cached) {
        it = cache_.emplace(std::string(sql), Entry{stmt, false}).first;
      } else {
        return Bind(Use(*this, stmt, nullptr), params);
      }
    }
    return Bind(Use(*this, it->second.stmt, &it->second.in_use), params);
  }

  [[noreturn]] void Throw(int rc) const {
    throw soci::sqlite3_soci_error(sqlite_api::sqlite3_errmsg(db_), rc);
  }

 private:
  static constexpr std::size_t kMaxStatements = 256;

  struct Entry {
    sqlite_api::sqlite3_stmt* stmt;
    bool in_use;
  };

  // Finalizes and forgets every cached statement not in use.
  void DropIdle() {
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (it->second.in_use) {
        ++it;
        continue;
      }
      sqlite_api::sqlite3_finalize(it->second.stmt);
      it = cache_.erase(it);
    }
  }

  // Binds `params` by position; on failure `use` resets the statement as it goes.
  Use Bind(Use use, const Params& params) {
    sqlite_api::sqlite3_stmt* stmt = use.get();
    const auto& values = params.values();
    const int expected = sqlite_api::sqlite3_bind_parameter_count(stmt);
    if (static_cast<int>(values.size()) != expected) {
      throw soci::sqlite3_soci_error("statement has " + std::to_string(expected) + " parameters, " +
                                         std::to_string(values.size()) + " given",
                                     SQLITE_RANGE);
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto& v = values[i];
      const int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (v.is_null) {
        rc = sqlite_api::sqlite3_bind_null(stmt, index);
      } else if (v.kind == Params::Kind::kInt) {
        rc = sqlite_api::sqlite3_bind_int64(stmt, index, v.integer);
      } else if (v.kind == Params::Kind::kDouble) {
        rc = sqlite_api::sqlite3_bind_double(stmt, index, v.real);
      } else {
        rc = sqlite_api::sqlite3_bind_text64(stmt, index, v.text.data(), v.text.size(),
                                             SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) Throw(rc);
    }
    return use;
  }

  sqlite_api::sqlite3* db_;
  std::map<std::string, Entry, std::less<>> cache_;
};

// ---- PostgreSQL statements --------------------------------------------------------------------

// PostgreSQL runs each statement through libpq directly, as the unnamed statement
// (PQexecParams; PQexec for a statement without parameters, which may hold several), never a
// named prepared statement, so PgBouncer in transaction mode works. SOCI's statement machinery
// around the same libpq calls (rewriting the placeholders, allocating a text buffer per
// parameter, binding and describing results) was ~14 % of callgate's samples per webhook on
// PostgreSQL; going around it saved ~6 % of its CPU (docs/performance.md, eighth round). Parameters
// go as text and results come back as text, as they did through SOCI; errors are the
// soci::postgresql_soci_error SOCI threw (same message, same SQLSTATE), so
// ErrorFromCurrentException maps them as before.
class Session::PostgresStatements {
 public:
  using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

  // Runs `sql` (":name" placeholders) with `params` on `conn`; throws on an error.
  Result Run(PGconn* conn, std::string_view sql, const Params& params) {
    const std::string& text = Numbered(sql);
    const auto& values = params.values();
    if (values.empty()) return Checked(conn, PQexec(conn, text.c_str()));
    // Numbers are written into `numbers` (one slot per parameter), text is passed as it is.
    std::vector<std::array<char, 32>> numbers(values.size());
    std::vector<const char*> pointers(values.size(), nullptr);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto& v = values[i];
      if (v.is_null) continue;
      char* slot = numbers[i].data();
      if (v.kind == Params::Kind::kText) {
        pointers[i] = v.text.c_str();
      } else if (v.kind == Params::Kind::kInt) {
        *std::to_chars(slot, slot + numbers[i].size() - 1, v.integer).ptr = '\0';
        pointers[i] = slot;
      } else {
        std::snprintf(slot, numbers[i].size(), "%.17g", v.real);  // round-trips exactly
        pointers[i] = slot;
      }
    }
    return Checked(conn, PQexecParams(conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                                      pointers.data(), nullptr, nullptr, 0));
  }

 private:
  static constexpr std::size_t kMaxStatements = 256;

  // The statement with "$n" placeholders, rewritten once per SQL text and connection.
  const std::string& Numbered(std::string_view sql) {
    auto it = numbered_.find(sql);
    if (it != numbered_.end()) return it->second;
    if (numbered_.size() >= kMaxStatements) numbered_.clear();
    return numbered_.emplace(std::string(sql), NumberPlaceholders(sql)).first->second;
  }

 public:
  // The result, or the error SOCI's PostgreSQL backend threw for it (also for ExecuteScript).
  static Result Checked(PGconn* conn, PGresult* raw) {
    Result result(raw, &PQclear);
    const ExecStatusType status = PQresultStatus(raw);  // PGRES_FATAL_ERROR for nullptr
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return result;
    }
    std::string message = "Cannot execute query.";
    const char* fallback_state = "     ";
    if (status == PGRES_FATAL_ERROR) {
      message += " Fatal error.";
      if (PQstatus(conn) == CONNECTION_BAD) {
        message += " Connection failed.";
        fallback_state = "08000";  // connection_exception: the server sends no SQLSTATE then
      }
    }
    const char* detail = raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn);
    if (detail != nullptr && *detail != '\0') message.append(" ").append(detail);
    const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    throw soci::postgresql_soci_error(message, state != nullptr ? state : fallback_state);
  }

 private:
  std::map<std::string, std::string, std::less<>> numbered_;
};

namespace {

[[noreturn]] void ThrowColumn(std::string_view column, std::string_view problem) {
  throw StorageError(ErrorCode::kInternal,
                     "database: column " + std::string(column) + ": " + std::string(problem));
}

// A PostgreSQL BIGINT in its text form.
std::int64_t PostgresInteger(const char* text, int size) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text, text + size, value);
  if (error != std::errc() || end != text + size) {
    throw StorageError(ErrorCode::kInternal, "database: RETURNING id gave no integer");
  }
  return value;
}

}  // namespace

// ---- Row --------------------------------------------------------------------------------------

std::size_t Row::Index(std::string_view column) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == column) return i;
  }
  ThrowColumn(column, "not in the select list");
}

const std::string* Row::Raw(std::string_view column) const {
  const std::size_t i = Index(column);
  return null_[i] == soci::i_null ? nullptr : &values_[i];
}

bool Row::IsNull(std::string_view column) const { return Raw(column) == nullptr; }

std::optional<std::string> Row::OptionalString(std::string_view column) const {
  const std::string* raw = Raw(column);
  if (raw == nullptr) return std::nullopt;
  return *raw;
}

std::string Row::String(std::string_view column) const {
  const std::string* raw = Raw(column);
  if (raw == nullptr) ThrowColumn(column, "unexpected NULL");
  return *raw;
}

std::optional<std::string> Row::OptionalOpened(std::string_view column,
                                               std::string_view context) const {
  const std::string* raw = Raw(column);
  if (raw == nullptr) return std::nullopt;
  if (!crypto::IsSealed(*raw)) return *raw;
  if (keyring_ == nullptr) {
    throw StorageError(ErrorCode::kInternal, "database: " + std::string(context) +
                                                 " is encrypted and no master key is configured");
  }
  auto opened = keyring_->Open(*raw, context);
  if (!opened) {
    throw StorageError(ErrorCode::kInternal,
                       "database: " + std::string(context) + ": " + opened.error().message);
  }
  return std::move(*opened);
}

std::string Row::Opened(std::string_view column, std::string_view context) const {
  auto value = OptionalOpened(column, context);
  if (!value) ThrowColumn(column, "unexpected NULL");
  return std::move(*value);
}

std::optional<std::int64_t> Row::OptionalInt64(std::string_view column) const {
  const std::string* raw = Raw(column);
  if (raw == nullptr) return std::nullopt;
  std::int64_t value = 0;
  const char* end = raw->data() + raw->size();
  auto [ptr, ec] = std::from_chars(raw->data(), end, value);
  if (ec != std::errc() || ptr != end) ThrowColumn(column, "not an integer: " + *raw);
  return value;
}

std::int64_t Row::Int64(std::string_view column) const {
  auto value = OptionalInt64(column);
  if (!value) ThrowColumn(column, "unexpected NULL");
  return *value;
}

std::optional<int> Row::OptionalInt(std::string_view column) const {
  auto value = OptionalInt64(column);
  if (!value) return std::nullopt;
  if (*value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    ThrowColumn(column, "out of int range");
  }
  return static_cast<int>(*value);
}

int Row::Int(std::string_view column) const {
  auto value = OptionalInt(column);
  if (!value) ThrowColumn(column, "unexpected NULL");
  return *value;
}

bool Row::Bool(std::string_view column) const {
  const std::int64_t value = Int64(column);
  if (value != 0 && value != 1) ThrowColumn(column, "boolean must be 0 or 1");
  return value == 1;
}

double Row::Double(std::string_view column) const {
  const std::string text = String(column);
  char* end = nullptr;
  // strtod: from_chars for double needs GCC 11+ and libstdc++ support; strtod is fine here
  // because the process never changes LC_NUMERIC.
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) ThrowColumn(column, "not a number");
  return value;
}

SystemTimePoint Row::Time(std::string_view column) const { return FromUnixMillis(Int64(column)); }

std::optional<SystemTimePoint> Row::OptionalTime(std::string_view column) const {
  auto value = OptionalInt64(column);
  if (!value) return std::nullopt;
  return FromUnixMillis(*value);
}

// ---- Session ----------------------------------------------------------------------------------

Session::Session(Dialect dialect, std::unique_ptr<soci::session> sql)
    : dialect_(dialect), sql_(std::move(sql)) {
  if (dialect_ == Dialect::kSqlite) {
    sqlite_statements_ = std::make_unique<SqliteStatements>(NativeSqlite(*sql_));
  } else {
    postgres_statements_ = std::make_unique<PostgresStatements>();
  }
}

Session::~Session() = default;

void Session::OnWalCommit(WalCommitHook on_commit) {
  if (dialect_ != Dialect::kSqlite) return;
  wal_commit_ = std::make_unique<WalCommitHook>(std::move(on_commit));
  // Replaces the hook of wal_autocheckpoint: SQLite no longer checkpoints on this connection
  // unless the function asks for it (what SQLite's own hook does, at its threshold).
  sqlite_api::sqlite3_wal_hook(
      NativeSqlite(*sql_),
      [](void* arg, sqlite_api::sqlite3* db, const char* name, int frames) -> int {
        const std::function<void()> checkpoint_here = [db, name] {
          // A busy result (another process's checkpoint is running) is no error for the commit.
          (void)sqlite_api::sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                                      nullptr);
        };
        (*static_cast<WalCommitHook*>(arg))(frames, checkpoint_here);
        return SQLITE_OK;
      },
      wal_commit_.get());
}

long long Session::Execute(std::string_view sql, const Params& params) {
  StatementTimer timer;
  timer.Start(sql);
  if (sqlite_statements_) {
    sqlite_api::sqlite3* db = NativeSqlite(*sql_);
    // sqlite3_changes64 counts the last INSERT, UPDATE or DELETE, which need not be this one.
    const auto changed_before = sqlite_api::sqlite3_total_changes64(db);
    auto statement = sqlite_statements_->Prepare(sql, params);
    while (statement.Step()) {
    }
    return sqlite_api::sqlite3_total_changes64(db) == changed_before
               ? 0
               : sqlite_api::sqlite3_changes64(db);
  }
  const auto result = postgres_statements_->Run(NativePostgres(*sql_), sql, params);
  const char* changed = PQcmdTuples(result.get());  // "" for statements that change no rows
  long long n = 0;
  std::from_chars(changed, changed + std::strlen(changed), n);
  return n;
}

std::int64_t Session::InsertReturningId(std::string_view sql, const Params& params) {
  auto id = InsertReturningOptionalId(sql, params);
  if (!id) {
    throw StorageError(ErrorCode::kInternal, "database: INSERT ... RETURNING id returned no id");
  }
  return *id;
}

std::optional<std::int64_t> Session::InsertReturningOptionalId(std::string_view sql,
                                                               const Params& params) {
  StatementTimer timer;
  timer.Start(sql);
  if (sqlite_statements_) {
    auto statement = sqlite_statements_->Prepare(sql, params);
    if (!statement.Step()) return std::nullopt;
    std::optional<std::int64_t> id;
    if (sqlite_api::sqlite3_column_type(statement.get(), 0) == SQLITE_INTEGER) {
      id = sqlite_api::sqlite3_column_int64(statement.get(), 0);
    }
    while (statement.Step()) {
    }
    return id;
  }
  const auto result = postgres_statements_->Run(NativePostgres(*sql_), sql, params);
  const PGresult* r = result.get();
  if (PQntuples(r) == 0 || PQnfields(r) == 0 || PQgetisnull(r, 0, 0) != 0) return std::nullopt;
  return PostgresInteger(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
}

std::string SealValue(const crypto::Keyring* keyring, std::string_view plaintext,
                      std::string_view context) {
  if (keyring == nullptr) {
    throw StorageError(ErrorCode::kInternal,
                       "database: cannot store " + std::string(context) +
                           ": no master key configured (CALLGATE_MASTER_KEY_FILE)");
  }
  return keyring->Seal(plaintext, context);
}

std::optional<std::string> SealNullableValue(const crypto::Keyring* keyring,
                                             const std::optional<std::string>& plaintext,
                                             std::string_view context) {
  if (!plaintext) return std::nullopt;
  return SealValue(keyring, *plaintext, context);
}

std::string Session::Seal(std::string_view plaintext, std::string_view context) const {
  return SealValue(keyring_.get(), plaintext, context);
}

std::optional<std::string> Session::SealNullable(const std::optional<std::string>& plaintext,
                                                 std::string_view context) const {
  return SealNullableValue(keyring_.get(), plaintext, context);
}

std::size_t Session::Query(std::string_view columns, std::string_view rest, const Params& params,
                           const std::function<void(const Row&)>& on_row) {
  std::string sql;
  sql.reserve(columns.size() + rest.size() + 8);
  sql.append("SELECT ").append(columns).append(" ").append(rest);
  return Rows(sql, columns, params, on_row);
}

std::size_t Session::Returning(std::string_view statement, std::string_view columns,
                               const Params& params,
                               const std::function<void(const Row&)>& on_row) {
  std::string sql;
  sql.reserve(statement.size() + columns.size() + 12);
  sql.append(statement).append(" RETURNING ").append(columns);
  return Rows(sql, columns, params, on_row);
}

std::size_t Session::Rows(const std::string& sql, std::string_view columns, const Params& params,
                          const std::function<void(const Row&)>& on_row) {
  Row row;
  row.keyring_ = keyring_.get();
  row.names_ = ColumnNames(columns);
  const std::size_t n = row.names_.size();
  row.values_.resize(n);
  StatementTimer timer;  // declared after `sql`, so it reports before `sql` is destroyed
  timer.Start(sql);
  std::size_t count = 0;
  if (sqlite_statements_) {
    auto statement = sqlite_statements_->Prepare(sql, params);
    if (static_cast<std::size_t>(sqlite_api::sqlite3_column_count(statement.get())) != n) {
      throw StorageError(ErrorCode::kInternal,
                         "database: the select list does not match the columns named");
    }
    row.null_.assign(n, soci::i_ok);
    while (statement.Step()) {
      for (std::size_t i = 0; i < n; ++i) {
        const int column = static_cast<int>(i);
        if (sqlite_api::sqlite3_column_type(statement.get(), column) == SQLITE_NULL) {
          row.null_[i] = soci::i_null;
          row.values_[i].clear();
          continue;
        }
        // Text in SQLite's own rendering of the value, as SOCI reads it into a std::string.
        const auto* text = sqlite_api::sqlite3_column_text(statement.get(), column);
        const int size = sqlite_api::sqlite3_column_bytes(statement.get(), column);
        row.null_[i] = soci::i_ok;
        row.values_[i].assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
      }
      on_row(row);
      ++count;
    }
    return count;
  }
  const auto result = postgres_statements_->Run(NativePostgres(*sql_), sql, params);
  const PGresult* r = result.get();
  if (static_cast<std::size_t>(PQnfields(r)) != n) {
    throw StorageError(ErrorCode::kInternal,
                       "database: the select list does not match the columns named");
  }
  row.null_.assign(n, soci::i_ok);
  const int rows = PQntuples(r);
  for (int t = 0; t < rows; ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      const int column = static_cast<int>(i);
      if (PQgetisnull(r, t, column) != 0) {
        row.null_[i] = soci::i_null;
        row.values_[i].clear();
        continue;
      }
      row.null_[i] = soci::i_ok;
      row.values_[i].assign(PQgetvalue(r, t, column),
                            static_cast<std::size_t>(PQgetlength(r, t, column)));
    }
    on_row(row);
    ++count;
  }
  return count;
}

void Session::ExecuteScript(const std::string& script) {
  if (dialect_ == Dialect::kSqlite) {
    char* message = nullptr;
    const int rc =
        sqlite_api::sqlite3_exec(NativeSqlite(*sql_), script.c_str(), nullptr, nullptr, &message);
    if (rc != 0) {
      std::string text = message != nullptr ? message : "unknown error";
      sqlite_api::sqlite3_free(message);
      throw soci::sqlite3_soci_error(text, rc);
    }
    return;
  }
  // PQexec runs a multi-statement string with the simple query protocol (no parameters, no
  // prepared statement), stopping at the first error.
  PGconn* conn = NativePostgres(*sql_);
  (void)PostgresStatements::Checked(conn, PQexec(conn, script.c_str()));
}

bool Session::IsConnected() const noexcept {
  if (dialect_ == Dialect::kSqlite) return true;
  return PQstatus(NativePostgres(*sql_)) == CONNECTION_OK;
}

bool Session::InTransaction() const noexcept {
  if (dialect_ == Dialect::kSqlite)
    return sqlite_api::sqlite3_get_autocommit(NativeSqlite(*sql_)) == 0;
  const PGTransactionStatusType status = PQtransactionStatus(NativePostgres(*sql_));
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

namespace {

// callgate_sha256_hex(text): the lower-case hex SHA-256 of the text's bytes (NULL for NULL), as
// core's Sha256Hex: migrations that store a value's digest compute it as the code does
// (PostgreSQL has sha256() built in; SQLite has no such function of its own). Called by SQLite:
// nothing may be thrown through it.
void Sha256HexFunction(sqlite_api::sqlite3_context* context, int,
                       sqlite_api::sqlite3_value** argv) noexcept {
  if (sqlite_api::sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite_api::sqlite3_result_null(context);
    return;
  }
  const auto* text = sqlite_api::sqlite3_value_text(argv[0]);
  const int bytes = sqlite_api::sqlite3_value_bytes(argv[0]);
  if (text == nullptr) {  // SQLite ran out of memory converting the value
    sqlite_api::sqlite3_result_error_nomem(context);
    return;
  }
  try {
    const std::string hex = Sha256Hex(
        std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes)));
    sqlite_api::sqlite3_result_text64(context, hex.data(), hex.size(),
                                      reinterpret_cast<sqlite_api::sqlite3_destructor_type>(-1),
                                      SQLITE_UTF8);
  } catch (...) {
    sqlite_api::sqlite3_result_error_nomem(context);
  }
}

// The embedded database holds personal data: folders callgate creates for it are 0700 and the
// file is created 0600 (SQLite gives its -wal and -shm files the file's mode). Existing folders
// and files keep what their owner chose.
void PrepareSqliteFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;
  for (fs::path dir = fs::path(path).parent_path(); !dir.empty() && !fs::exists(dir);
       dir = dir.parent_path()) {
    missing.push_back(dir);
    if (dir == dir.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code ec;
    fs::create_directory(*it, ec);
    if (!ec) fs::permissions(*it, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
      throw soci::sqlite3_soci_error(
          "cannot create directory " + it->string() + ": " + ec.message(), 14);
    }
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);  // whatever the umask says
    ::close(fd);
  }
}

}  // namespace

std::unique_ptr<Session> Session::Connect(const DatabaseUrl& url, const DatabaseOptions& options) {
  if (url.dialect == Dialect::kSqlite) {
    // One system call per commit for the write-ahead log (storage/sqlite_wal_writes.hpp).
    (void)InstallSqliteWalWrites();
    if (!url.IsInMemory()) PrepareSqliteFile(url.path);
    auto sql = std::make_unique<soci::session>(soci::sqlite3, url.ConnectString().Reveal());
    // busy_timeout first: switching to WAL itself needs the lock when another process holds it.
    *sql << "PRAGMA busy_timeout = " + std::to_string(options.sqlite_busy_timeout.count());
    *sql << "PRAGMA foreign_keys = ON";
    // Deleted content is overwritten with zeros in the file, not only unlinked (privacy erase,
    // docs/privacy.md).
    *sql << "PRAGMA secure_delete = ON";
    if (sqlite_api::sqlite3_create_function_v2(
            NativeSqlite(*sql), "callgate_sha256_hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
            nullptr, Sha256HexFunction, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw soci::sqlite3_soci_error("cannot register callgate_sha256_hex", SQLITE_ERROR);
    }
    if (!url.IsInMemory()) {
      *sql << "PRAGMA journal_mode = WAL";
      // NORMAL is durable across application crashes in WAL mode; only an OS crash or power
      // loss can drop the last commits.
      *sql << "PRAGMA synchronous = NORMAL";
    }
    std::unique_ptr<Session> session(new Session(Dialect::kSqlite, std::move(sql)));
    session->keyring_ = options.keyring;
    return session;
  }

  DatabaseUrl effective = url;
  auto has = [&](std::string_view key) {
    for (const auto& [k, v] : effective.params) {
      if (k == key) return true;
    }
    return false;
  };
  if (!has("connect_timeout")) {
    effective.params.emplace_back("connect_timeout",
                                  std::to_string(options.postgres_connect_timeout.count()));
  }
  if (!has("application_name")) effective.params.emplace_back("application_name", "callgate");
  const std::string conninfo = effective.ConnectString().Reveal();
  ProbePostgres(conninfo);
  auto sql = std::make_unique<soci::session>(soci::postgresql, conninfo);
  // Server NOTICEs ("table does not exist, skipping") would go to stderr, outside the logs.
  PQsetNoticeProcessor(NativePostgres(*sql), &IgnoreNotice, nullptr);
  std::unique_ptr<Session> session(new Session(Dialect::kPostgresql, std::move(sql)));
  session->keyring_ = options.keyring;
  return session;
}

// ---- errors -----------------------------------------------------------------------------------

void SetStatementObserver(StatementObserver observer) {
  auto next = observer ? std::make_shared<const StatementObserver>(std::move(observer)) : nullptr;
  std::lock_guard lock(observer_mutex);
  statement_observer = std::move(next);
}

Error ErrorFromCurrentException(bool connection_lost) noexcept {
  try {
    throw;
  } catch (const StorageError& e) {
    return Error{e.code(), e.what()};
  } catch (const soci::postgresql_soci_error& e) {
    return FromPostgres(e, connection_lost);
  } catch (const soci::sqlite3_soci_error& e) {
    return FromSqlite(e);
  } catch (const soci::soci_error& e) {
    if (connection_lost || e.get_error_category() == soci::soci_error::connection_error) {
      return Make(ErrorCode::kUnavailable, ServerMessage(e.get_error_message()));
    }
    return Make(ErrorCode::kInternal, ServerMessage(e.get_error_message()));
  } catch (const std::exception& e) {
    return Error{ErrorCode::kInternal, std::string("unexpected exception: ") + e.what()};
  } catch (...) {
    return Error{ErrorCode::kInternal, "unexpected non-standard exception"};
  }
}

}  // namespace callgate::storage
