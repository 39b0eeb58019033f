#pragma once
// Which company a stored row of the shared tables belongs to (raw webhook events, queued,
// outbox and failed jobs), for the erase and the company purge alike: by its company column
// where it has one, else by the `company_id` its JSON names. A row of no known company is no
// company's: it may be another's, and goes with its own retention (docs/privacy.md).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace callgate::privacy {

// `column`: the row's company column (nullopt when the table has none or it is NULL);
// `payload`: the row's JSON, parsed (anything that is not an object names no company).
inline bool IsCompanysRow(std::optional<std::int64_t> column, const nlohmann::json& payload,
                          std::int64_t company_id) {
  if (column) return *column == company_id;
  if (!payload.is_object()) return false;
  const auto named = payload.find("company_id");
  return named != payload.end() && named->is_number_integer() &&
         named->get<std::int64_t>() == company_id;
}

}  // namespace callgate::privacy
