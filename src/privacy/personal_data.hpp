#pragma once
// Access and erasure requests of one person (GDPR Art. 15 and 17; docs/privacy.md): everything
// a company stores about a phone number, as one JSON document, and its erasure. Used by
// `callgate privacy export|erase` and the admin API (POST .../privacy/export and .../erase).
//
// The person is found by the phone number (normalised to E.164) within one company: their
// customer row, the calls from that number or linked to the customer, the callback requests
// under the number or linked to either (a request left on a call from a withheld number brings
// that call in too), the appointments of the customer or of those calls, the audit entries
// about them, and the raw webhook events and failed jobs of the company that mention any of it.
// Rows of no known company are never a company's (they may be another's).
//
// Erase deletes the customer and their callback requests, clears the content of their calls
// (transcripts, summaries, analysis, recording URL, metadata) together with the caller number
// and the customer link (times, duration and costs stay for billing) and marks them erased, so
// that the platform's later deliveries about them keep nothing (CallEventService's outcome
// "erased": a redelivery inside its retry window, a late call_analyzed), unlinks their
// appointments, clears their notes and marks them erased, so that Cal.com's later deliveries
// about those bookings are applied without keeping their raw bodies (CalendarSyncService), empties
// the raw webhook events and deletes the queued and failed jobs that mention the number, e-mail,
// name, call or booking ids. An emptied event keeps its row and dedupe key (the platform's event
// name and ids, no personal data), so that the platform's redelivery of it is still a duplicate and
// stores nothing again; the row goes with the 30-day cleanup. While appointments of the person lie
// in the future it refuses (kConflict), unless `cancel_future`: then each is cancelled in the
// calendar first (through CancelBooking) and marked cancelled; a calendar failure stops the erase
// before anything is deleted. SQLite runs with secure_delete, and the WAL is checkpointed
// (TRUNCATE) afterwards, so the database files keep no copy; PostgreSQL needs VACUUM for that
// (docs/privacy.md). Both write an audit entry (privacy.export / privacy.erase) and a log line
// with the masked number. Thread-safe; never throws.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/report.hpp"
#include "storage/database.hpp"
#include "tenancy/model.hpp"

namespace callgate::privacy {

struct PersonalDataSettings {
  std::string phone_region = "DE";  // for numbers written in national format
};

// Who asks, for the audit entry.
struct Requester {
  std::string actor = std::string(kSystemActor);
  std::optional<std::string> request_id;
};

struct ErasureOptions {
  bool cancel_future = false;  // cancel future appointments in the calendar instead of refusing
};

struct ErasureReport {
  bool customer_deleted = false;
  std::int64_t calls_anonymised = 0;
  std::int64_t appointments_unlinked = 0;
  std::int64_t appointments_cancelled = 0;  // in the calendar, with cancel_future
  std::int64_t callback_requests_deleted = 0;
  // Raw webhook bodies about the person, removed; each row keeps its dedupe key (see Erase).
  std::int64_t webhook_events_emptied = 0;
  std::int64_t jobs_deleted = 0;  // queued jobs and outbox entries
  std::int64_t failed_jobs_deleted = 0;
  // The company's raw webhook events that could not be searched: sealed under a key the
  // keyring no longer has. They are kept (and said), not silently passed over.
  std::int64_t webhook_events_unreadable = 0;

  // The counts, named once: ToJson, Describe and the log line derive from them.
  ReportLines Lines() const;
  nlohmann::json ToJson() const { return ReportJson(Lines()); }
  // One line per item, for the CLI: "customer deleted: yes", "calls anonymised: 3 (...)", ...
  std::string Describe() const { return ReportText(Lines()); }
};

// Cancels booking `uid` in the company's calendar (Cal.com through booking::CalendarProvider);
// on a seated event type only the seat `seat_uid` (empty: not seated), so other attendees keep
// theirs.
using CancelBooking = std::function<Status(const tenancy::Company&, const std::string& uid,
                                           const std::string& seat_uid)>;

// After deleting personal data on SQLite: checkpoints and truncates the WAL, so that no older
// copy of the overwritten pages (secure_delete) stays in it; logs privacy_checkpoint_incomplete
// when a reader keeps it. Nothing to do on PostgreSQL (docs/privacy.md: VACUUM).
void ForgetDeletedPageCopies(storage::Database& database);

class PersonalData {
 public:
  // `database`, `audit` and `clock` must outlive this object.
  PersonalData(PersonalDataSettings settings, storage::Database& database, AuditLog& audit,
               CancelBooking cancel_booking, const Clock& clock)
      : settings_(std::move(settings)),
        database_(database),
        audit_(audit),
        cancel_booking_(std::move(cancel_booking)),
        clock_(clock) {}

  // {"company":{id,slug,name}, "phone", "exported_at", "customer" (or null), "calls":[...],
  //  "appointments":[...], "callback_requests":[...], "webhook_events":[...] (raw bodies,
  //  opened), "failed_jobs":[...], "audit_events":[...]}; call content is decrypted.
  //  kInvalidArgument for a number that is not one.
  Result<nlohmann::json> Export(const tenancy::Company& company, std::string_view phone,
                                const Requester& requester);

  // See the header comment. kInvalidArgument for a bad number; kConflict while future
  // appointments exist (without cancel_future); the calendar's error when a cancellation fails.
  Result<ErasureReport> Erase(const tenancy::Company& company, std::string_view phone,
                              const ErasureOptions& options, const Requester& requester);

 private:
  PersonalDataSettings settings_;
  storage::Database& database_;
  AuditLog& audit_;
  CancelBooking cancel_booking_;
  const Clock& clock_;
};

}  // namespace callgate::privacy
