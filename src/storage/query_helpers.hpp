#pragma once
// Internal to storage: small helpers shared by the SQL repositories. Call inside
// Database::Run/WithTransaction callbacks (they throw like Session does).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "storage/session.hpp"

namespace callgate::storage::internal {

// A typed id's column value: its number, or NULL when absent.
template <typename T>
std::optional<std::int64_t> IdOf(const std::optional<T>& id) {
  if (!id) return std::nullopt;
  return id->value;
}

// " FOR UPDATE" on PostgreSQL, appended to a query inside a transaction: the rows it reads stay
// locked until the transaction ends. Nothing on SQLite, whose write transactions (BEGIN
// IMMEDIATE) run one at a time already.
inline std::string_view ForUpdate(const Session& session) {
  return session.dialect() == Dialect::kPostgresql ? " FOR UPDATE" : "";
}

// " FOR NO KEY UPDATE" on PostgreSQL, for a row the transaction then updates in place: writers
// of the row wait, as with ForUpdate, but rows of other tables that reference it (a branch's
// appointments, a company's calls) can still be written meanwhile. Nothing on SQLite.
inline std::string_view ForNoKeyUpdate(const Session& session) {
  return session.dialect() == Dialect::kPostgresql ? " FOR NO KEY UPDATE" : "";
}

// The first row of "SELECT <columns> <rest>" decoded by `decode(const Row&)`, or kNotFound
// with `not_found` as the message.
template <typename Decode>
auto QueryOne(Session& session, std::string_view columns, std::string_view rest,
              const Params& params, Decode decode, std::string_view not_found)
    -> Result<std::invoke_result_t<Decode&, const Row&>> {
  std::optional<std::invoke_result_t<Decode&, const Row&>> out;
  session.Query(columns, rest, params, [&](const Row& row) {
    if (!out) out.emplace(decode(row));
  });
  if (!out) return Fail(ErrorCode::kNotFound, std::string(not_found));
  return std::move(*out);
}

// For an update of one row in place (the repositories' Update(id, change)): the row of
// "SELECT <columns> <rest>" read in the caller's transaction and locked (ForNoKeyUpdate), then
// `change(row)` and `validate(row)`. The row to write, or the error of the step that failed
// (kNotFound with `not_found` when there is no such row).
template <typename Decode, typename Change, typename Validate>
auto QueryOneChanged(Session& session, std::string_view columns, std::string_view rest,
                     const Params& params, Decode decode, std::string_view not_found,
                     const Change& change, Validate validate)
    -> Result<std::invoke_result_t<Decode&, const Row&>> {
  auto row = QueryOne(session, columns, std::string(rest) + std::string(ForNoKeyUpdate(session)),
                      params, decode, not_found);
  if (!row) return row;
  if (auto changed = change(*row); !changed) return tl::unexpected(changed.error());
  if (auto valid = validate(*row); !valid) return tl::unexpected(valid.error());
  return row;
}

// Every row of "SELECT <columns> <rest>", decoded.
template <typename Decode>
auto QueryAll(Session& session, std::string_view columns, std::string_view rest,
              const Params& params, Decode decode)
    -> std::vector<std::invoke_result_t<Decode&, const Row&>> {
  std::vector<std::invoke_result_t<Decode&, const Row&>> out;
  session.Query(columns, rest, params, [&](const Row& row) { out.push_back(decode(row)); });
  return out;
}

}  // namespace callgate::storage::internal
