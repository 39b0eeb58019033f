#pragma once
// DatabaseUrl: the parsed form of CALLGATE_DATABASE_URL.
//   sqlite://data/callgate.db        relative file path (to the working directory)
//   sqlite:///var/lib/callgate.db    absolute file path
//   sqlite://:memory:                private in-memory database (tests)
//   postgresql://user:pass@host:port/db?sslmode=require   (also postgres://)
// Percent-escapes are decoded in every part; the PostgreSQL port defaults to 5432.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::storage {

enum class Dialect { kSqlite, kPostgresql };

// "sqlite" or "postgresql"; also the name of the migrations subfolder.
std::string_view DialectName(Dialect dialect) noexcept;

struct DatabaseUrl {
  Dialect dialect = Dialect::kSqlite;

  // SQLite: the file path as written (relative or absolute), or ":memory:".
  std::string path;

  // PostgreSQL. An empty host lets libpq pick its default (the local Unix socket).
  std::string host;
  int port = 5432;
  std::string database;
  std::string user;
  Secret password;
  // Query parameters (libpq keywords such as sslmode, connect_timeout, application_name), in
  // the order given. Only keywords in an allowlist are accepted by ParseDatabaseUrl.
  std::vector<std::pair<std::string, std::string>> params;

  bool IsInMemory() const noexcept { return dialect == Dialect::kSqlite && path == ":memory:"; }

  // The URL with the password replaced by "***"; safe for logs and error messages.
  std::string Redacted() const;

  // The SOCI connect string: "db=<path>" for SQLite, a libpq conninfo ("host=... password=...")
  // for PostgreSQL, with every value quoted. It contains the password, hence a Secret.
  Secret ConnectString() const;
};

// Parses a database URL. kInvalidArgument, with a message that never contains the password,
// for an unknown scheme, an empty path or database name, a bad port, a bad percent-escape or
// an unsupported query parameter. Pure function; thread-safe.
Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url);

}  // namespace callgate::storage
