#include "tools/migrate_data.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>

#include "storage/session.hpp"

namespace callgate::tools {
namespace {

using storage::Dialect;
using storage::Params;
using storage::Row;
using storage::Session;

// Parents before children, so foreign keys hold while copying.
const std::vector<std::string> kTableOrder = {
    "companies",      "branches",     "services",          "phone_numbers", "customers",
    "calls",          "appointments", "callback_requests", "users",         "api_tokens",
    "webhook_events", "jobs",         "failed_jobs",       "job_outbox",    "audit_events"};

// Natural keys compared besides the id.
const std::map<std::string, std::string> kKeyColumns = {{"companies", "slug"},
                                                        {"phone_numbers", "number_e164"},
                                                        {"customers", "phone_e164"},
                                                        {"calls", "retell_call_id"},
                                                        {"webhook_events", "dedupe_key"},
                                                        {"appointments", "calcom_booking_uid"},
                                                        {"api_tokens", "token_hash"},
                                                        {"users", "email"}};

struct Column {
  std::string name;
  bool comparable = true;  // stored identically in both dialects (not JSON, not floating point)
};

Result<std::vector<std::string>> Tables(storage::Database& db) {
  return db.Run([&](Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    if (s.dialect() == Dialect::kSqlite) {
      s.Query("name", "FROM sqlite_master WHERE type = 'table'", {},
              [&](const Row& r) { out.push_back(r.String("name")); });
    } else {
      s.Query("table_name", "FROM information_schema.tables WHERE table_schema = 'public'", {},
              [&](const Row& r) { out.push_back(r.String("table_name")); });
    }
    return out;
  });
}

Result<std::vector<Column>> Columns(storage::Database& db, const std::string& table) {
  return db.Run([&](Session& s) -> Result<std::vector<Column>> {
    std::vector<Column> out;
    if (s.dialect() == Dialect::kSqlite) {
      s.Query("name, type", "FROM pragma_table_info('" + table + "')", {}, [&](const Row& r) {
        std::string type = r.String("type");
        std::transform(type.begin(), type.end(), type.begin(), ::toupper);
        out.push_back({r.String("name"), type.find("REAL") == std::string::npos});
      });
    } else {
      s.Query("column_name, data_type",
              "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t "
              "ORDER BY ordinal_position",
              Params().Add(table), [&](const Row& r) {
                const std::string type = r.String("data_type");
                out.push_back({r.String("column_name"), type != "jsonb" && type != "json" &&
                                                            type != "real" &&
                                                            type != "double precision"});
              });
    }
    return out;
  });
}

std::string Join(const std::vector<Column>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Digest() { EVP_MD_CTX_free(ctx_); }
  void Add(std::string_view s) {
    EVP_DigestUpdate(ctx_, s.data(), s.size());
    EVP_DigestUpdate(ctx_, "\x1f", 1);
  }
  std::string Hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, d, &n);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out.push_back(kHex[d[i] >> 4]);
      out.push_back(kHex[d[i] & 0xf]);
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// Checksum and key values of a table, streamed in id order.
struct Fingerprint {
  long long rows = 0;
  std::string checksum;
  std::map<long long, std::string> keys;  // id → natural key (or "" without one)
};

Result<Fingerprint> Fingerprint_(storage::Database& db, const std::string& table,
                                 const std::vector<Column>& columns) {
  return db.Run([&](Session& s) -> Result<Fingerprint> {
    Fingerprint f;
    Digest digest;
    auto key = kKeyColumns.find(table);
    s.Query(Join(columns), "FROM " + table + " ORDER BY id", {}, [&](const Row& r) {
      ++f.rows;
      for (const auto& c : columns) {
        if (!c.comparable) continue;
        digest.Add(r.IsNull(c.name) ? std::string("\x01NULL") : r.String(c.name));
      }
      f.keys[r.Int64("id")] =
          key == kKeyColumns.end() || r.IsNull(key->second) ? "" : r.String(key->second);
    });
    f.checksum = digest.Hex();
    return f;
  });
}

Result<long long> CopyTable(storage::Database& source, storage::Database& target,
                            const std::string& table, const std::vector<Column>& columns,
                            const MigrateDataOptions& options, long long total) {
  std::string placeholders;
  for (size_t i = 0; i < columns.size(); ++i) {
    placeholders += (i == 0 ? ":v" : ", :v") + std::to_string(i);
  }
  const std::string insert = "INSERT INTO " + table + " (" + Join(columns) + ") VALUES (" +
                             placeholders + ") ON CONFLICT (id) DO NOTHING";
  long long last_id = 0;
  long long copied = 0;
  long long seen = 0;
  for (;;) {
    std::vector<std::vector<std::optional<std::string>>> batch;
    auto read = source.Run([&](Session& s) -> Status {
      s.Query(
          Join(columns),
          "FROM " + table + " WHERE id > :last ORDER BY id LIMIT " +
              std::to_string(options.batch_size),
          Params().Add(last_id), [&](const Row& r) {
            std::vector<std::optional<std::string>> values;
            for (const auto& c : columns) {
              values.push_back(r.IsNull(c.name) ? std::nullopt : std::optional(r.String(c.name)));
            }
            last_id = r.Int64("id");
            batch.push_back(std::move(values));
          });
      return Ok();
    });
    if (!read) return tl::unexpected(read.error());
    if (batch.empty()) break;
    auto written = target.WithTransaction([&](Session& s) -> Status {
      for (const auto& row : batch) {
        Params params;
        for (const auto& v : row) params.Add(v);
        copied += s.Execute(insert, params);
      }
      return Ok();
    });
    if (!written) return tl::unexpected(written.error());
    seen += static_cast<long long>(batch.size());
    if (options.progress) {
      options.progress(table + ": " + std::to_string(seen) + "/" + std::to_string(total) + " rows");
    }
  }
  if (target.dialect() == Dialect::kPostgresql) {
    // Keep identity sequences ahead of the copied ids.
    auto seq = target.Run([&](Session& s) -> Status {
      s.Execute("SELECT setval(pg_get_serial_sequence('" + table +
                "', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM " + table + "), 1))");
      return Ok();
    });
    if (!seq) return tl::unexpected(seq.error());
  }
  return copied;
}

}  // namespace

Result<std::vector<TableReport>> MigrateData(storage::Database& source, storage::Database& target,
                                             const MigrateDataOptions& options) {
  auto source_tables = Tables(source);
  if (!source_tables) return tl::unexpected(source_tables.error());
  auto target_tables = Tables(target);
  if (!target_tables) return tl::unexpected(target_tables.error());
  std::vector<TableReport> reports;
  for (const auto& table : kTableOrder) {
    const bool in_source = std::count(source_tables->begin(), source_tables->end(), table) > 0;
    const bool in_target = std::count(target_tables->begin(), target_tables->end(), table) > 0;
    if (!in_source && !in_target) continue;
    TableReport report;
    report.table = table;
    if (!in_source || !in_target) {
      report.differences.push_back(std::string("table missing in the ") +
                                   (in_source ? "target" : "source"));
      reports.push_back(report);
      continue;
    }
    auto columns = Columns(source, table);
    if (!columns) return tl::unexpected(columns.error());
    auto target_columns = Columns(target, table);
    if (!target_columns) return tl::unexpected(target_columns.error());
    // A column is compared only when both sides store it identically.
    for (auto& c : *columns) {
      auto t = std::find_if(target_columns->begin(), target_columns->end(),
                            [&](const Column& x) { return x.name == c.name; });
      if (t == target_columns->end()) {
        report.differences.push_back("column " + c.name + " missing in the target");
      } else {
        c.comparable = c.comparable && t->comparable;
      }
    }
    if (!report.differences.empty()) {
      reports.push_back(report);
      continue;
    }
    auto before = Fingerprint_(source, table, *columns);
    if (!before) return tl::unexpected(before.error());
    report.source_rows = before->rows;
    if (!options.verify_only) {
      auto copied = CopyTable(source, target, table, *columns, options, before->rows);
      if (!copied) return tl::unexpected(copied.error());
      report.copied = *copied;
    }
    auto after = Fingerprint_(target, table, *columns);
    if (!after) return tl::unexpected(after.error());
    report.target_rows = after->rows;
    report.source_checksum = before->checksum;
    report.target_checksum = after->checksum;
    if (before->rows != after->rows) {
      report.differences.push_back("row count " + std::to_string(before->rows) + " ≠ " +
                                   std::to_string(after->rows));
    }
    int listed = 0;
    for (const auto& [id, key] : before->keys) {
      auto it = after->keys.find(id);
      if (it == after->keys.end() || it->second != key) {
        if (listed++ < 10) {
          report.differences.push_back(
              "id " + std::to_string(id) + ": key '" + key + "' ≠ '" +
              (it == after->keys.end() ? std::string("<missing>") : it->second) + "'");
        }
      }
    }
    if (before->checksum != after->checksum && report.differences.empty()) {
      report.differences.push_back("checksum differs (same ids and keys, other column values)");
    }
    reports.push_back(report);
  }
  return reports;
}

}  // namespace callgate::tools
