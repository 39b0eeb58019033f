#include "storage/sealed_columns.hpp"

#include <optional>

#include "crypto/keyring.hpp"
#include "storage/session.hpp"

namespace callgate::storage {
namespace {

constexpr std::size_t kMaxProblems = 20;

struct Batch {
  std::int64_t last_id = 0;
  std::int64_t rows = 0;
  std::int64_t resealed = 0;
};

}  // namespace

const std::vector<SealedColumn>& SealedColumns() {
  static const std::vector<SealedColumn> columns = {
      {"companies", "calcom_api_key"},
      {"companies", "retell_api_key"},
      {"companies", "calcom_webhook_secret"},
      {"companies", "vapi_secret"},
      {"customers", "name"},
      {"customers", "email"},
      {"customers", "notes"},
      {"appointments", "notes"},
      {"callback_requests", "name"},
      {"callback_requests", "reason"},
      {"calls", "transcript"},
      {"calls", "transcript_object"},
      {"calls", "summary"},
      {"calls", "analysis"},
      {"calls", "recording_url"},
      {"calls", "metadata"},
      {"webhook_events", "payload"},
  };
  return columns;
}

Result<std::vector<ClearTextValues>> CountClearText(Database& database) {
  return database.Run([&](Session& s) -> Result<std::vector<ClearTextValues>> {
    std::vector<ClearTextValues> out;
    for (const SealedColumn& column : SealedColumns()) {
      const std::string name(column.column);
      std::int64_t n = 0;
      s.Query("COUNT(*) AS n",
              "FROM " + std::string(column.table) + " WHERE " + name + " IS NOT NULL AND " + name +
                  " <> '' AND " + name + " NOT LIKE :sealed",
              Params().Add(std::string(crypto::kSealedPrefix) + "%"),
              [&](const Row& r) { n = r.Int64("n"); });
      if (n > 0) out.push_back({column.Context(), n});
    }
    return out;
  });
}

Result<ResealReport> ResealAll(Database& database, const ResealOptions& options) {
  const crypto::Keyring* keyring = database.keyring();
  if (keyring == nullptr) {
    return Fail(ErrorCode::kInternal, "no master key configured (CALLGATE_MASTER_KEY_FILE)");
  }
  const int batch_size = options.batch_size > 0 ? options.batch_size : 500;
  ResealReport report;
  for (const SealedColumn& column : SealedColumns()) {
    const std::string context = column.Context();
    const std::string table(column.table), name(column.column);
    std::int64_t after = 0, checked = 0, resealed = 0;
    for (;;) {
      auto batch = database.WithTransaction([&](Session& s) -> Result<Batch> {
        struct Item {
          std::int64_t id;
          std::string stored;
        };
        std::vector<Item> items;
        s.Query("id, " + name + " AS value",
                "FROM " + table + " WHERE id > :after AND " + name +
                    " IS NOT NULL ORDER BY id LIMIT " + std::to_string(batch_size),
                Params().Add(after), [&](const Row& r) {
                  items.push_back({r.Int64("id"), r.String("value")});
                });
        Batch out;
        for (const Item& item : items) {
          out.last_id = item.id;
          ++out.rows;
          if (!keyring->NeedsSealing(item.stored)) continue;
          auto plain = keyring->Open(item.stored, context);
          if (!plain) {
            ++report.unreadable;
            if (report.problems.size() < kMaxProblems) {
              report.problems.push_back(context + " id " + std::to_string(item.id) + ": " +
                                        plain.error().message);
            }
            continue;
          }
          // Only if unchanged since read: a concurrent write already sealed a newer value.
          out.resealed +=
              s.Execute("UPDATE " + table + " SET " + name + " = :sealed WHERE id = " + ":id AND " +
                            name + " = :old",
                        Params().Add(keyring->Seal(*plain, context)).Add(item.id).Add(item.stored));
        }
        return out;
      });
      if (!batch) return tl::unexpected(batch.error());
      if (batch->rows == 0) break;
      after = batch->last_id;
      checked += batch->rows;
      resealed += batch->resealed;
      if (options.progress) {
        options.progress(context + ": " + std::to_string(checked) + " checked, " +
                         std::to_string(resealed) + " re-encrypted (up to id " +
                         std::to_string(after) + ")");
      }
      if (batch->rows < batch_size) break;
    }
    report.checked += checked;
    report.resealed += resealed;
  }
  return report;
}

}  // namespace callgate::storage
