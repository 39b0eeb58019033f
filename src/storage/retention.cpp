#include "storage/retention.hpp"

#include <functional>
#include <vector>

#include "storage/query_helpers.hpp"
#include "storage/session.hpp"

namespace callgate::storage {
namespace {

// CAST keeps PostgreSQL from guessing the parameter's type from INTEGER * BIGINT.
constexpr std::string_view kCallDue =
    "COALESCE(c.ended_at, c.started_at, c.created_at) < CAST(:now AS BIGINT) - "
    "CAST(co.retention_days AS BIGINT) * 86400000";
constexpr std::string_view kHasContent =
    "(c.transcript IS NOT NULL OR c.transcript_object IS NOT NULL OR c.summary IS NOT NULL OR "
    "c.analysis IS NOT NULL OR c.recording_url IS NOT NULL OR c.metadata IS NOT NULL)";
// The company's two cutoffs (ms since the epoch) for a row joined with `companies co`: content
// (call content, appointment notes) and customer data (customers, caller numbers, callbacks).
constexpr std::string_view kCustomerCutoff =
    "CAST(:now AS BIGINT) - CAST(co.customer_retention_days AS BIGINT) * 86400000";
constexpr std::string_view kContentCutoff =
    "CAST(:now AS BIGINT) - CAST(co.retention_days AS BIGINT) * 86400000";

struct DueRow {
  std::int64_t id, company_id;
};

// One purge step in batches of `batch_size`, each its own transaction: `from_where` (a FROM
// clause joining `companies co`, with a condition bound to `now` that only rows still to change
// meet; it selects `<alias>.id` and `<alias>.company_id`) picks the due rows, `apply` changes one
// so that it is no longer due and answers how many to count. Ends after a batch of fewer than
// batch_size due rows.
Result<std::int64_t> InBatches(Database& database, std::int64_t now, int batch_size,
                               std::string_view alias, std::string_view from_where,
                               const std::function<long long(Session&, const DueRow&)>& apply) {
  const std::string columns = std::string(alias) + ".id, " + std::string(alias) + ".company_id";
  const std::string rest = std::string(from_where) + " ORDER BY " + std::string(alias) +
                           ".id LIMIT " + std::to_string(batch_size);
  std::int64_t total = 0;
  for (;;) {
    std::size_t due_rows = 0;
    auto changed = database.WithTransaction([&](Session& s) -> Result<std::int64_t> {
      std::vector<DueRow> due;
      s.Query(columns, rest, Params().Add(now), [&](const Row& r) {
        due.push_back({r.Int64("id"), r.Int64("company_id")});
      });
      due_rows = due.size();
      std::int64_t n = 0;
      for (const DueRow& d : due) n += apply(s, d);
      return n;
    });
    if (!changed) return tl::unexpected(changed.error());
    total += *changed;
    if (due_rows < static_cast<std::size_t>(batch_size)) return total;
  }
}

Result<std::int64_t> ClearCallContent(Database& database, std::int64_t now, int batch_size) {
  std::int64_t total = 0;
  for (;;) {
    auto cleared = database.WithTransaction([&](Session& s) -> Result<std::int64_t> {
      std::vector<std::int64_t> ids;
      s.Query("c.id",
              "FROM calls c JOIN companies co ON co.id = c.company_id WHERE " +
                  std::string(kCallDue) + " AND " + std::string(kHasContent) +
                  " ORDER BY c.id LIMIT " + std::to_string(batch_size),
              Params().Add(now), [&](const Row& r) { ids.push_back(r.Int64("id")); });
      std::int64_t n = 0;
      for (std::int64_t id : ids) {
        n += s.Execute(
            "UPDATE calls SET transcript = NULL, transcript_object = NULL, summary = NULL, "
            "analysis = NULL, recording_url = NULL, metadata = NULL, updated_at = :now "
            "WHERE id = :id",
            Params().Add(now).Add(id));
      }
      return n;
    });
    if (!cleared) return tl::unexpected(cleared.error());
    total += *cleared;
    if (*cleared < batch_size) return total;
  }
}

Result<std::int64_t> DeleteStaleCustomers(Database& database, std::int64_t now, int batch_size) {
  // Placeholders with distinct names: SQLite binds equal names once.
  auto cutoff_at = [](int n) {
    return "CAST(:now" + std::to_string(n) +
           " AS BIGINT) - CAST(co.customer_retention_days AS BIGINT) * 86400000";
  };
  const std::string stale =
      "FROM customers cu JOIN companies co ON co.id = cu.company_id WHERE cu.created_at < " +
      cutoff_at(1) + " AND COALESCE(cu.last_call_at, 0) < " + cutoff_at(2) +
      " AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.company_id = cu.company_id AND "
      "a.customer_id = cu.id AND a.starts_at >= " +
      cutoff_at(3) + ")";
  std::int64_t total = 0;
  for (;;) {
    struct Due {
      std::int64_t id, company_id, cutoff;
    };
    auto due = database.Run([&](Session& s) -> Result<std::vector<Due>> {
      std::vector<Due> out;
      s.Query("cu.id, cu.company_id, " + cutoff_at(4) + " AS cutoff",
              stale + " ORDER BY cu.id LIMIT " + std::to_string(batch_size),
              Params().Add(now).Add(now).Add(now).Add(now), [&](const Row& r) {
                out.push_back({r.Int64("id"), r.Int64("company_id"), r.Int64("cutoff")});
              });
      return out;
    });
    if (!due) return tl::unexpected(due.error());
    for (const Due& d : *due) {
      // Each customer in a transaction of its own, committed before the next one is looked at:
      // the purge never holds a deleted customer while it waits for another one's rows (a
      // webhook linking a call to the first would wait for it in a cycle). Its past links go
      // first, in the order the erase and the company purge take these tables (calls,
      // appointments, callback requests, then the customer), so neither can wait on this one in
      // a cycle. Then the customer is locked and checked again: on PostgreSQL a hold or a call
      // that linked it meanwhile either committed before the lock, and the check sees it (an
      // appointment after the cutoff was not unlinked above), or waits for this transaction
      // (its foreign key needs the row) and then fails on the missing customer. SQLite's write
      // transactions run one at a time.
      auto gone = database.WithTransaction([&](Session& c) -> Result<long long> {
        const auto key = [&] { return Params().Add(d.company_id).Add(d.id); };
        c.Execute("UPDATE calls SET customer_id = NULL WHERE company_id = :c AND customer_id = :id",
                  key());
        c.Execute(
            "UPDATE appointments SET customer_id = NULL WHERE company_id = :c AND "
            "customer_id = :id AND starts_at < :cutoff",
            key().Add(d.cutoff));
        c.Execute(
            "UPDATE callback_requests SET customer_id = NULL WHERE company_id = :c AND "
            "customer_id = :id",
            key());
        c.Query("id",
                "FROM customers WHERE company_id = :c AND id = :id" +
                    std::string(internal::ForUpdate(c)),
                key(), [](const Row&) {});
        if (c.Query("cu.id", stale + " AND cu.id = :id",
                    Params().Add(now).Add(now).Add(now).Add(d.id), [](const Row&) {}) == 0) {
          return Fail(ErrorCode::kConflict, "in use again");  // its unlinks are undone
        }
        return c.Execute("DELETE FROM customers WHERE company_id = :c AND id = :id", key());
      });
      if (gone) {
        total += *gone;
      } else if (gone.error().code != ErrorCode::kConflict) {
        return tl::unexpected(gone.error());
      }
    }
    // A customer kept as in use again is no longer stale, so the next read does not see it.
    if (due->size() < static_cast<std::size_t>(batch_size)) return total;
  }
}

// Appointment notes (sealed; what the caller or staff noted) of appointments that ended more than
// retention_days ago. The column is NOT NULL: cleared to '' as the erase does.
Result<std::int64_t> ClearAppointmentNotes(Database& database, std::int64_t now, int batch_size) {
  return InBatches(
      database, now, batch_size, "a",
      "FROM appointments a JOIN companies co ON co.id = a.company_id WHERE a.notes <> '' AND "
      "a.ends_at < " +
          std::string(kContentCutoff),
      [&](Session& s, const DueRow& d) -> long long {
        // Empty notes are stored as '' (Keyring::Seal), but ones written before that were
        // sealed: only a note with text is cleared and counted; a sealed empty one is only
        // written as '', so that it is no longer picked.
        bool has_text = false;
        s.Query("notes", "FROM appointments WHERE company_id = :c AND id = :id",
                Params().Add(d.company_id).Add(d.id), [&](const Row& r) {
                  try {
                    has_text = !r.Opened("notes", "appointments.notes").empty();
                  } catch (const std::exception&) {
                    has_text = true;  // unreadable: cleared all the same
                  }
                });
        if (!has_text) {
          s.Execute("UPDATE appointments SET notes = '' WHERE company_id = :c AND id = :id",
                    Params().Add(d.company_id).Add(d.id));
          return 0;
        }
        return s.Execute(
            "UPDATE appointments SET notes = '', updated_at = :now WHERE company_id = :c AND "
            "id = :id AND notes <> ''",
            Params().Add(now).Add(d.company_id).Add(d.id));
      });
}

// The caller's number on every call older than the customer cutoff, whether or not a customer
// row existed (withheld and never-linked callers too): once customers of that age are deleted,
// the number must not identify the caller through the call history.
Result<std::int64_t> ClearCallerNumbers(Database& database, std::int64_t now, int batch_size) {
  return InBatches(
      database, now, batch_size, "c",
      "FROM calls c JOIN companies co ON co.id = c.company_id WHERE c.from_number IS NOT NULL "
      "AND COALESCE(c.ended_at, c.started_at, c.created_at) < " +
          std::string(kCustomerCutoff),
      [&](Session& s, const DueRow& d) {
        return s.Execute(
            "UPDATE calls SET from_number = NULL, updated_at = :now WHERE company_id = :c AND "
            "id = :id AND from_number IS NOT NULL",
            Params().Add(now).Add(d.company_id).Add(d.id));
      });
}

// Callback requests (name, number, sealed reason) made before the customer cutoff, in any status:
// the retention is the company's decision, an open request that old is deleted too.
Result<std::int64_t> DeleteOldCallbackRequests(Database& database, std::int64_t now,
                                               int batch_size) {
  return InBatches(database, now, batch_size, "cb",
                   "FROM callback_requests cb JOIN companies co ON co.id = cb.company_id WHERE "
                   "cb.created_at < " +
                       std::string(kCustomerCutoff),
                   [&](Session& s, const DueRow& d) {
                     return s.Execute(
                         "DELETE FROM callback_requests WHERE company_id = :c AND id = :id",
                         Params().Add(d.company_id).Add(d.id));
                   });
}

}  // namespace

Result<PurgeReport> PurgeExpired(Database& database, SystemTimePoint now, int batch_size) {
  if (batch_size < 1) batch_size = 1;
  const std::int64_t now_ms = ToUnixMillis(now);
  PurgeReport report;
  auto calls = ClearCallContent(database, now_ms, batch_size);
  if (!calls) return tl::unexpected(calls.error());
  report.calls_cleared = *calls;
  auto notes = ClearAppointmentNotes(database, now_ms, batch_size);
  if (!notes) return tl::unexpected(notes.error());
  report.appointment_notes_cleared = *notes;
  auto customers = DeleteStaleCustomers(database, now_ms, batch_size);
  if (!customers) return tl::unexpected(customers.error());
  report.customers_deleted = *customers;
  auto numbers = ClearCallerNumbers(database, now_ms, batch_size);
  if (!numbers) return tl::unexpected(numbers.error());
  report.caller_numbers_cleared = *numbers;
  auto callbacks = DeleteOldCallbackRequests(database, now_ms, batch_size);
  if (!callbacks) return tl::unexpected(callbacks.error());
  report.callback_requests_deleted = *callbacks;
  return report;
}

}  // namespace callgate::storage
