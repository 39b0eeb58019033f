#include "storage/database_url.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/encoding.hpp"

namespace callgate::storage {
namespace {

// libpq keywords a URL may set. Anything else is rejected rather than passed through, so a
// typo ("ssl_mode") fails at startup instead of silently connecting without TLS. `password` is
// left out on purpose: it belongs in the userinfo part, the one place Redacted() masks.
constexpr std::array<std::string_view, 17> kPostgresParams = {"application_name",
                                                              "channel_binding",
                                                              "connect_timeout",
                                                              "gssencmode",
                                                              "host",
                                                              "keepalives",
                                                              "keepalives_count",
                                                              "keepalives_idle",
                                                              "keepalives_interval",
                                                              "options",
                                                              "sslcert",
                                                              "sslcrl",
                                                              "sslkey",
                                                              "sslmode",
                                                              "sslrootcert",
                                                              "target_session_attrs",
                                                              "tcp_user_timeout"};

// `what` names the part in error messages; the decoded text itself is never echoed because it
// may be the password.
Result<std::string> PercentDecode(std::string_view in, std::string_view what) {
  auto decoded = PercentDecodeStrict(in);
  if (!decoded) {
    return Fail(ErrorCode::kInvalidArgument,
                "database URL: bad percent-escape in " + std::string(what));
  }
  return *decoded;
}

Result<DatabaseUrl> ParseSqlite(std::string_view rest) {
  if (rest.find('?') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "database URL: sqlite URLs take no query parameters");
  }
  auto path = PercentDecode(rest, "path");
  if (!path) return tl::unexpected(path.error());
  if (path->empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "database URL: sqlite URL needs a path, e.g. sqlite://data/callgate.db");
  }
  if (path->find('"') != std::string::npos || path->find('\0') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "database URL: sqlite path must not contain '\"' or NUL characters");
  }
  DatabaseUrl url;
  url.dialect = Dialect::kSqlite;
  url.path = std::move(*path);
  return url;
}

Result<DatabaseUrl> ParsePostgres(std::string_view rest) {
  DatabaseUrl url;
  url.dialect = Dialect::kPostgresql;

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                "database URL: postgresql URL needs a database name, e.g. "
                "postgresql://user@host:5432/callgate");
  }
  std::string_view authority = rest.substr(0, slash);
  auto database = PercentDecode(rest.substr(slash + 1), "database name");
  if (!database) return tl::unexpected(database.error());
  if (database->find('/') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "database URL: database name must not contain '/'");
  }
  url.database = std::move(*database);

  // The last '@' separates userinfo, so an unescaped '@' in the password still parses.
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      auto password = PercentDecode(userinfo.substr(colon + 1), "password");
      if (!password) return tl::unexpected(password.error());
      url.password = Secret(std::move(*password));
    }
    auto decoded_user = PercentDecode(user, "user name");
    if (!decoded_user) return tl::unexpected(decoded_user.error());
    url.user = std::move(*decoded_user);
  }

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal: [::1]:5432
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "database URL: unterminated IPv6 address");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Fail(ErrorCode::kInvalidArgument, "database URL: junk after IPv6 address");
      }
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  auto decoded_host = PercentDecode(host, "host");
  if (!decoded_host) return tl::unexpected(decoded_host.error());
  url.host = std::move(*decoded_host);
  if (!port.empty() || authority.ends_with(':')) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return Fail(
          ErrorCode::kInvalidArgument,
          "database URL: port must be a number in 1..65535, got \"" + std::string(port) + "\"");
    }
    url.port = value;
  }

  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), "query parameter name");
    if (!key) return tl::unexpected(key.error());
    if (std::find(kPostgresParams.begin(), kPostgresParams.end(), *key) == kPostgresParams.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "database URL: unsupported query parameter \"" + *key +
                      "\" (allowed: sslmode, connect_timeout, application_name, sslrootcert, "
                      "options, ...; the password goes before the '@')");
    }
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                      "query parameter value");
    if (!value) return tl::unexpected(value.error());
    url.params.emplace_back(std::move(*key), std::move(*value));
  }
  return url;
}

// libpq conninfo value: single-quoted, with ' and \ escaped by a backslash.
void AppendConnInfo(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out.push_back(' ');
  out.append(key);
  out.append("='");
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

}  // namespace

std::string_view DialectName(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::kSqlite:
      return "sqlite";
    case Dialect::kPostgresql:
      return "postgresql";
  }
  return "sqlite";
}

Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite://";
  constexpr std::string_view kPostgresql = "postgresql://";
  constexpr std::string_view kPostgres = "postgres://";
  if (url.starts_with(kSqlite)) return ParseSqlite(url.substr(kSqlite.size()));
  if (url.starts_with(kPostgresql)) return ParsePostgres(url.substr(kPostgresql.size()));
  if (url.starts_with(kPostgres)) return ParsePostgres(url.substr(kPostgres.size()));
  // Only the scheme is echoed: the rest may hold a password.
  const auto scheme_end = url.find("://");
  return Fail(ErrorCode::kInvalidArgument,
              "database URL: unsupported scheme \"" +
                  std::string(scheme_end == std::string_view::npos ? std::string_view()
                                                                   : url.substr(0, scheme_end)) +
                  "\" (expected sqlite:// or postgresql://)");
}

std::string DatabaseUrl::Redacted() const {
  if (dialect == Dialect::kSqlite) return "sqlite://" + path;
  std::string out = "postgresql://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += '@';
  }
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ':' + std::to_string(port) + '/' + database;
  char separator = '?';
  for (const auto& [key, value] : params) {
    out += separator + key + '=' + value;
    separator = '&';
  }
  return out;
}

Secret DatabaseUrl::ConnectString() const {
  if (dialect == Dialect::kSqlite) {
    // SOCI's sqlite3 backend reads `db="..."` and keeps spaces inside the quotes; the parser
    // rejects paths containing '"'.
    return Secret("db=\"" + path + "\"");
  }
  std::string info;
  if (!host.empty()) AppendConnInfo(info, "host", host);
  AppendConnInfo(info, "port", std::to_string(port));
  AppendConnInfo(info, "dbname", database);
  if (!user.empty()) AppendConnInfo(info, "user", user);
  if (!password.empty()) AppendConnInfo(info, "password", password.Reveal());
  for (const auto& [key, value] : params) AppendConnInfo(info, key, value);
  return Secret(std::move(info));
}

}  // namespace callgate::storage
