#pragma once
// The rows of a company's personal data as an export hands them out: an access request of one
// person (PersonalData::Export, GDPR Art. 15) and a company's whole data at the end of its
// contract (ExportCompanyData, Art. 28(3)(g)) write the same fields. Sealed columns are opened,
// times are ISO 8601 UTC, stored JSON texts are embedded as JSON.
//
// Each table is read by `SELECT <columns> <from> WHERE <company> = :c AND <condition> ORDER BY
// <id>`; the caller's condition (an id list, a page) names rows by `id`.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "storage/session.hpp"

namespace callgate::privacy {

struct ExportTable {
  std::string_view name;     // the document's key: "customers", "calls", …
  std::string_view columns;  // SELECT list
  std::string_view from;     // FROM clause (with joins)
  std::string_view company;  // the company column, qualified where the FROM joins
  std::string_view id;       // the id column, qualified likewise
  nlohmann::json (*encode)(const storage::Row& row);

  // The rest of its SELECT: "<from> WHERE <company> = :c AND (<condition>) ORDER BY <id>",
  // then `suffix` (a LIMIT). The company's id is the first parameter.
  std::string Where(std::string_view condition, std::string_view suffix = {}) const;
};

extern const ExportTable kCustomersExport;
extern const ExportTable kCallsExport;
extern const ExportTable kAppointmentsExport;
extern const ExportTable kCallbackRequestsExport;

// Helpers for the other rows an export holds.
nlohmann::json ExportTime(const std::optional<SystemTimePoint>& t);
template <typename T>
nlohmann::json ExportOptional(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
// A stored JSON text as JSON when it parses, else as the text itself.
nlohmann::json ExportEmbedded(const std::optional<std::string>& text);

}  // namespace callgate::privacy
