#include "privacy/personal_data.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "core/masking.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"
#include "privacy/company_rows.hpp"
#include "privacy/export_rows.hpp"
#include "storage/session.hpp"

namespace callgate::privacy {
namespace {

using nlohmann::json;
using storage::Params;
using storage::Row;
using storage::Session;

std::string DigitsOf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

std::string IdList(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (std::int64_t id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out.empty() ? "0" : out;  // ids are positive: "IN (0)" matches nothing
}

// Who the request is about, and every trace by which a stored text can mention them.
struct Person {
  std::int64_t company_id = 0;
  std::string e164;
  std::string national;  // national significant number ("15112345678"); may be empty
  std::string region;
  std::optional<std::int64_t> customer_id;
  std::string name;
  std::string email;
  std::vector<std::int64_t> call_ids;
  std::vector<std::string> retell_call_ids;
  std::vector<std::int64_t> appointment_ids;
  std::vector<std::string> booking_uids;
  std::vector<std::int64_t> callback_ids;

  std::string Masked() const { return MaskPhone(e164); }
  std::string Target() const {
    return customer_id ? "customer:" + std::to_string(*customer_id) : "phone:" + Masked();
  }

  bool IsTheirNumber(std::string_view stored) const {
    if (stored.empty() || IsWithheldNumber(stored)) return false;
    auto normal = NormalizeE164(stored, region);
    return normal && *normal == e164;
  }

  // Whether a run of phone-like characters ("+49 151 1234-5678", "015112345678") is the number.
  bool MentionsNumber(std::string_view text) const {
    const std::string full = DigitsOf(e164);
    std::string run;
    auto check = [&]() {
      const std::string digits = DigitsOf(run);
      run.clear();
      if (digits.size() < 6) return false;
      auto ends_with = [&](const std::string& tail) {
        return !tail.empty() && digits.size() >= tail.size() &&
               digits.compare(digits.size() - tail.size(), tail.size(), tail) == 0;
      };
      return digits.find(full) != std::string::npos || ends_with(national);
    };
    for (char c : text) {
      const bool phone_char = (c >= '0' && c <= '9') || c == '+' || c == ' ' || c == '-' ||
                              c == '/' || c == '(' || c == ')';
      if (phone_char) {
        run += c;
      } else if (!run.empty() && check()) {
        return true;
      }
    }
    return !run.empty() && check();
  }

  // Whether a stored text (a raw webhook body, a job payload, an error) is about this person.
  // `by_name`: the person's full name (two words or more) counts too — for the erase, which
  // may remove another caller's raw record that names them; never for the export, which would
  // hand that other caller's record out. Whose row the text is in is decided before
  // (IsCompanysRow, in Mentioning).
  bool Mentions(std::string_view text, bool by_name) const {
    if (MentionsNumber(text)) return true;
    auto contains = [&](std::string_view needle) {
      return !needle.empty() && text.find(needle) != std::string_view::npos;
    };
    const bool full_name = name.size() >= 4 && name.find(' ') != std::string::npos;
    if (contains(email) || (by_name && full_name && contains(name))) return true;
    for (const auto& id : retell_call_ids) {
      if (contains(id)) return true;
    }
    for (const auto& uid : booking_uids) {
      if (contains(uid)) return true;
    }
    const json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_object()) return false;
    auto has = [&](std::string_view key, const std::vector<std::int64_t>& ids) {
      auto v = parsed.find(std::string(key));
      return v != parsed.end() && v->is_number_integer() &&
             std::find(ids.begin(), ids.end(), v->get<std::int64_t>()) != ids.end();
    };
    std::vector<std::int64_t> customer;
    if (customer_id) customer.push_back(*customer_id);
    return has("call_id", call_ids) || has("appointment_id", appointment_ids) ||
           has("customer_id", customer) || has("callback_request_id", callback_ids);
  }
};

// The national significant number of `e164` for the configured region, found by trying each
// country code length: "+4915112345678" → "15112345678". Empty when none fits.
std::string NationalNumber(const std::string& e164, const std::string& region) {
  for (std::size_t cc = 1; cc <= 3 && cc + 1 < e164.size(); ++cc) {
    const std::string rest = e164.substr(1 + cc);
    auto national = NormalizeE164("0" + rest, region);
    if (national && *national == e164) return rest;
  }
  return {};
}

// Finds the person's rows. Runs inside the caller's transaction or Run.
Person FindPerson(Session& s, std::int64_t company_id, const std::string& e164,
                  const std::string& region) {
  Person p;
  p.company_id = company_id;
  p.e164 = e164;
  p.region = region;
  p.national = NationalNumber(e164, region);
  s.Query("id, name, email", "FROM customers WHERE company_id = :c AND phone_e164 = :phone",
          Params().Add(company_id).Add(e164), [&](const Row& r) {
            p.customer_id = r.Int64("id");
            p.name = r.Opened("name", "customers.name");
            p.email = r.OptionalOpened("email", "customers.email").value_or("");
          });
  // Calls: linked to the customer, or from the number in any format it was stored in. The
  // LIKE on the last digits only narrows the scan; IsTheirNumber decides.
  const std::string last_digits = "%" + e164.substr(e164.size() > 6 ? e164.size() - 6 : 0);
  s.Query("id, retell_call_id, from_number, customer_id",
          "FROM calls WHERE company_id = :c AND (customer_id = CAST(:customer AS BIGINT) OR "
          "from_number LIKE :digits) ORDER BY id",
          Params().Add(company_id).Add(p.customer_id.value_or(0)).Add(last_digits),
          [&](const Row& r) {
            const bool linked = p.customer_id && r.OptionalInt64("customer_id") == p.customer_id;
            if (linked || p.IsTheirNumber(r.OptionalString("from_number").value_or(""))) {
              p.call_ids.push_back(r.Int64("id"));
              p.retell_call_ids.push_back(r.String("retell_call_id"));
            }
          });
  // Callback requests: linked to the customer or to one of the calls, or left under the number.
  // One left on a call from a withheld number links that call (and what was booked in it) to
  // the person; a call found that way can link further requests, so this runs until nothing new
  // turns up. A call from another number is that caller's, whatever number they left for the
  // callback: it is never linked this way.
  std::vector<std::int64_t> linked_calls;
  for (bool more = true; more;) {
    more = false;
    s.Query(
        "id, customer_id, call_id, phone", "FROM callback_requests WHERE company_id = :c",
        Params().Add(company_id), [&](const Row& r) {
          const std::int64_t id = r.Int64("id");
          if (std::find(p.callback_ids.begin(), p.callback_ids.end(), id) != p.callback_ids.end()) {
            return;
          }
          const auto call = r.OptionalInt64("call_id");
          const bool linked =
              (p.customer_id && r.OptionalInt64("customer_id") == p.customer_id) ||
              (call && std::find(p.call_ids.begin(), p.call_ids.end(), *call) != p.call_ids.end());
          if (!linked && !p.IsTheirNumber(r.OptionalString("phone").value_or(""))) return;
          p.callback_ids.push_back(id);
          if (call && std::find(p.call_ids.begin(), p.call_ids.end(), *call) == p.call_ids.end()) {
            linked_calls.push_back(*call);
          }
        });
    if (linked_calls.empty()) break;
    s.Query("id, retell_call_id, from_number",
            "FROM calls WHERE company_id = :c AND id IN (" + IdList(linked_calls) + ") ORDER BY id",
            Params().Add(company_id), [&](const Row& r) {
              const std::int64_t id = r.Int64("id");
              if (std::find(p.call_ids.begin(), p.call_ids.end(), id) != p.call_ids.end()) return;
              const std::string from = r.OptionalString("from_number").value_or("");
              if (!from.empty() && !IsWithheldNumber(from)) return;
              p.call_ids.push_back(id);
              p.retell_call_ids.push_back(r.String("retell_call_id"));
              more = true;
            });
    linked_calls.clear();
  }
  s.Query("id, calcom_booking_uid",
          "FROM appointments WHERE company_id = :c AND (customer_id = CAST(:customer AS BIGINT) "
          "OR call_id IN (" +
              IdList(p.call_ids) + ")) ORDER BY id",
          Params().Add(company_id).Add(p.customer_id.value_or(0)), [&](const Row& r) {
            p.appointment_ids.push_back(r.Int64("id"));
            if (auto uid = r.OptionalString("calcom_booking_uid"); uid && !uid->empty()) {
              p.booking_uids.push_back(*uid);
            }
          });
  return p;
}

// The person's rows of an export table, by id.
json RowsJson(Session& s, const Person& p, const ExportTable& table,
              const std::vector<std::int64_t>& ids) {
  json out = json::array();
  s.Query(table.columns, table.Where(std::string(table.id) + " IN (" + IdList(ids) + ")"),
          Params().Add(p.company_id), [&](const Row& r) { out.push_back(table.encode(r)); });
  return out;
}

json CustomerJson(Session& s, const Person& p) {
  if (!p.customer_id) return nullptr;
  json rows = RowsJson(s, p, kCustomersExport, {*p.customer_id});
  return rows.empty() ? json(nullptr) : rows.front();
}

json AuditJson(Session& s, const Person& p) {
  json out = json::array();
  std::vector<std::string> targets = {"phone:" + p.Masked()};
  // Entries written before 6 December 2026 name the number as the mask then did.
  if (std::string before = "phone:" + MaskPhoneBefore6December2026(p.e164);
      before != targets.front()) {
    targets.push_back(std::move(before));
  }
  if (p.customer_id) targets.push_back("customer:" + std::to_string(*p.customer_id));
  for (const auto& target : targets) {
    s.Query("id, actor, action, target, detail, request_id, created_at",
            "FROM audit_events WHERE company_id = :c AND target = :target ORDER BY id",
            Params().Add(p.company_id).Add(target), [&](const Row& r) {
              out.push_back({{"id", r.Int64("id")},
                             {"actor", r.String("actor")},
                             {"action", r.String("action")},
                             {"target", r.String("target")},
                             {"detail", r.String("detail")},
                             {"request_id", ExportOptional(r.OptionalString("request_id"))},
                             {"created_at", ExportTime(r.Time("created_at"))}});
            });
  }
  return out;
}

// The ids of the rows of `table` that are this company's (IsCompanysRow: by the company column,
// where `has_company`, else by the company the JSON in the first of `columns` names) and whose
// text `columns` mention the person. `sealed_column` names the one stored sealed.
// `unreadable` (if given) counts this company's rows whose sealed column cannot be opened.
std::vector<std::int64_t> Mentioning(Session& s, const Person& p, std::string_view table,
                                     std::string_view columns, bool has_company, bool by_name,
                                     std::string_view sealed_column = {},
                                     std::int64_t* unreadable = nullptr) {
  std::vector<std::int64_t> ids;
  std::string cols = "id";
  if (has_company) cols += ", company_id";
  cols += ", " + std::string(columns);
  std::string where = has_company ? " WHERE company_id = :c OR company_id IS NULL" : "";
  Params params;
  if (has_company) params.Add(p.company_id);
  std::vector<std::string> names;
  {
    std::stringstream split{std::string(columns)};
    std::string name;
    while (std::getline(split, name, ',')) {
      name.erase(0, name.find_first_not_of(' '));
      names.push_back(name);
    }
  }
  s.Query(cols, "FROM " + std::string(table) + where + " ORDER BY id", params, [&](const Row& r) {
    const auto column = has_company ? r.OptionalInt64("company_id") : std::nullopt;
    std::vector<std::optional<std::string>> texts;
    for (const auto& name : names) {
      if (name != sealed_column) {
        texts.push_back(r.OptionalString(name));
        continue;
      }
      try {
        texts.push_back(r.OptionalOpened(name, std::string(table) + "." + name));
      } catch (const std::exception&) {
        texts.emplace_back();  // unreadable (another key): nothing to match on
        if (unreadable != nullptr && column == p.company_id) ++*unreadable;
      }
    }
    const json payload =
        texts.front() ? json::parse(*texts.front(), nullptr, false) : json(nullptr);
    if (!IsCompanysRow(column, payload, p.company_id)) return;
    for (const auto& text : texts) {
      if (text && p.Mentions(*text, by_name)) {
        ids.push_back(r.Int64("id"));
        return;
      }
    }
  });
  return ids;
}

// The stored raw webhook bodies about the person (Retell's and Vapi's with the call, Cal.com's
// with the attendee's e-mail and answers): the erase deletes exactly these.
json WebhookEventsJson(Session& s, const Person& p) {
  json out = json::array();
  const auto ids =
      Mentioning(s, p, "webhook_events", "payload, error", true, /*by_name=*/false, "payload");
  s.Query("id, source, event, payload, received_at",
          "FROM webhook_events WHERE id IN (" + IdList(ids) + ") ORDER BY id", {},
          [&](const Row& r) {
            json payload = nullptr;  // sealed under a key no longer configured: not readable
            try {
              payload = ExportEmbedded(r.OptionalOpened("payload", "webhook_events.payload"));
            } catch (const std::exception&) {
            }
            out.push_back({{"id", r.Int64("id")},
                           {"source", r.String("source")},
                           {"event", r.String("event")},
                           {"payload", std::move(payload)},
                           {"received_at", ExportTime(r.Time("received_at"))}});
          });
  return out;
}

// Background work about the person that failed for good (its error text may quote them).
json FailedJobsJson(Session& s, const Person& p) {
  json out = json::array();
  const auto ids = Mentioning(s, p, "failed_jobs", "payload, error", true, /*by_name=*/false);
  s.Query("id, type, error, failed_at",
          "FROM failed_jobs WHERE id IN (" + IdList(ids) + ") ORDER BY id", {}, [&](const Row& r) {
            out.push_back({{"id", r.Int64("id")},
                           {"type", r.String("type")},
                           {"error", r.String("error")},
                           {"failed_at", ExportTime(r.Time("failed_at"))}});
          });
  return out;
}

// Removes the bodies of the raw webhook events Mentioning finds (by_name), keeping each row
// with its dedupe key: a redelivery of the event stays a duplicate and stores nothing again.
// Returns how many.
std::int64_t EmptyWebhookEvents(Session& s, const Person& p, SystemTimePoint now,
                                std::int64_t* unreadable) {
  const auto ids = Mentioning(s, p, "webhook_events", "payload, error", /*has_company=*/true,
                              /*by_name=*/true, "payload", unreadable);
  std::int64_t n = 0;
  for (std::int64_t id : ids) {
    n += s.Execute(
        "UPDATE webhook_events SET payload = '', error = NULL, updated_at = :now WHERE id = :id",
        Params().Add(now).Add(id));
  }
  return n;
}

// Deletes the rows Mentioning finds; returns how many.
std::int64_t DeleteMentions(Session& s, const Person& p, std::string_view table,
                            std::string_view columns, bool has_company) {
  const auto ids = Mentioning(s, p, table, columns, has_company, /*by_name=*/true);
  std::int64_t n = 0;
  for (std::int64_t id : ids) {
    n += s.Execute("DELETE FROM " + std::string(table) + " WHERE id = :id", Params().Add(id));
  }
  return n;
}

// The person's appointments that hold a slot from `now` on: what an erase cancels first.
struct FutureAppointment {
  std::int64_t id;
  std::optional<std::string> uid;
  std::optional<std::string> seat_uid;
};
std::vector<FutureAppointment> FutureAppointments(Session& s, std::int64_t company_id,
                                                  const Person& p, SystemTimePoint now) {
  std::vector<FutureAppointment> out;
  s.Query("id, calcom_booking_uid, calcom_seat_uid",
          "FROM appointments WHERE company_id = :c AND id IN (" + IdList(p.appointment_ids) +
              ") AND status IN ('booked', 'pending_sync', 'requested') AND starts_at >= :now "
              "ORDER BY id",
          Params().Add(company_id).Add(now), [&](const Row& r) {
            out.push_back({r.Int64("id"), r.OptionalString("calcom_booking_uid"),
                           r.OptionalString("calcom_seat_uid")});
          });
  return out;
}
// Rounds of cancelling future appointments before an erase gives up (each round cancels what
// the one before left or what appeared meanwhile).
constexpr int kFutureRounds = 3;
constexpr const char* kFutureKeepsChanging =
    "future appointments keep appearing while the erase cancels them; run the erase again";

}  // namespace

void ForgetDeletedPageCopies(storage::Database& database) {
  if (database.dialect() != storage::Dialect::kSqlite) return;
  // secure_delete has overwritten the rows in the pages; the WAL still holds older copies of
  // those pages until it is checkpointed and truncated.
  auto checkpoint = database.TruncateLog();
  // A reader on an older snapshot (another process) keeps the WAL from being truncated.
  std::error_code missing;
  const auto wal_size = std::filesystem::file_size(database.url().path + "-wal", missing);
  if (!checkpoint || (!missing && wal_size > 0)) {
    observability::LogWarn(
        "privacy_checkpoint_incomplete",
        {{"error", checkpoint ? std::string("a reader holds the WAL; run "
                                            "`PRAGMA wal_checkpoint(TRUNCATE)` when it is gone")
                              : checkpoint.error().message}});
  }
}

ReportLines ErasureReport::Lines() const {
  return {
      ReportLine::YesNo("customer_deleted", "customer deleted", customer_deleted),
      ReportLine("calls_anonymised", "calls anonymised", calls_anonymised)
          .Note("content, number and customer link removed"),
      ReportLine("appointments_unlinked", "appointments unlinked", appointments_unlinked)
          .Note("notes removed"),
      {"appointments_cancelled", "future appointments cancelled in the calendar",
       appointments_cancelled},
      {"callback_requests_deleted", "callback requests deleted", callback_requests_deleted},
      ReportLine("webhook_events_emptied", "raw webhook events emptied", webhook_events_emptied)
          .Note("body removed; the dedupe key stays until the 30-day cleanup"),
      {"jobs_deleted", "queued jobs deleted", jobs_deleted},
      {"failed_jobs_deleted", "failed jobs deleted", failed_jobs_deleted},
      ReportLine("webhook_events_unreadable", "raw webhook events not searched",
                 webhook_events_unreadable)
          .OnlyWhenAny()
          .Note("sealed under a key no longer configured; add the old key to the key file and "
                "run `callgate keys rotate`, then erase again"),
  };
}

Result<json> PersonalData::Export(const tenancy::Company& company, std::string_view phone,
                                  const Requester& requester) {
  auto e164 = NormalizeE164(phone, settings_.phone_region);
  if (!e164) return Fail(ErrorCode::kInvalidArgument, "phone: not a valid phone number");
  auto target = database_.Run([&](Session& s) -> Result<std::string> {
    return FindPerson(s, company.id.value, *e164, settings_.phone_region).Target();
  });
  if (!target) return tl::unexpected(target.error());
  // The export is itself an access to personal data: recorded first, so the document shows it.
  auto audited = audit_.Append({0,
                                company.id.value,
                                requester.actor,
                                "privacy.export",
                                *target,
                                "",
                                requester.request_id,
                                {}});
  if (!audited) return tl::unexpected(audited.error());
  auto document = database_.Run([&](Session& s) -> Result<json> {
    const Person p = FindPerson(s, company.id.value, *e164, settings_.phone_region);
    return json{
        {"company", {{"id", company.id.value}, {"slug", company.slug}, {"name", company.name}}},
        {"phone", *e164},
        {"exported_at", FormatIso8601Utc(clock_.Now())},
        {"customer", CustomerJson(s, p)},
        {"calls", RowsJson(s, p, kCallsExport, p.call_ids)},
        {"appointments", RowsJson(s, p, kAppointmentsExport, p.appointment_ids)},
        {"callback_requests", RowsJson(s, p, kCallbackRequestsExport, p.callback_ids)},
        {"webhook_events", WebhookEventsJson(s, p)},
        {"failed_jobs", FailedJobsJson(s, p)},
        {"audit_events", AuditJson(s, p)}};
  });
  if (!document) return tl::unexpected(document.error());
  observability::LogInfo(
      "privacy_exported",
      {{"company_id", company.id.value}, {"phone", MaskPhone(*e164)}, {"actor", requester.actor}});
  return document;
}

Result<ErasureReport> PersonalData::Erase(const tenancy::Company& company, std::string_view phone,
                                          const ErasureOptions& options,
                                          const Requester& requester) {
  auto e164 = NormalizeE164(phone, settings_.phone_region);
  if (!e164) return Fail(ErrorCode::kInvalidArgument, "phone: not a valid phone number");
  const std::int64_t company_id = company.id.value;
  ErasureReport report;

  // Future appointments first: refused, or cancelled in the calendar before anything is deleted.
  // Read again after each round: one the caller's move (or a booking) made meanwhile is
  // cancelled too, and the erase's transaction below goes on only when none is left.
  for (int round = 1;; ++round) {
    auto future = database_.Run([&](Session& s) -> Result<std::vector<FutureAppointment>> {
      return FutureAppointments(
          s, company_id, FindPerson(s, company_id, *e164, settings_.phone_region), clock_.Now());
    });
    if (!future) return tl::unexpected(future.error());
    if (future->empty()) break;
    if (!options.cancel_future) {
      return Fail(ErrorCode::kConflict,
                  std::to_string(future->size()) +
                      " future appointment(s) exist; cancel them first or erase with "
                      "cancel_future (--cancel-future) to cancel them in the calendar");
    }
    if (round > kFutureRounds) return Fail(ErrorCode::kConflict, kFutureKeepsChanging);
    for (const FutureAppointment& f : *future) {
      if (f.uid && !f.uid->empty()) {
        if (!cancel_booking_) return Fail(ErrorCode::kUnavailable, "no calendar to cancel in");
        if (auto cancelled = cancel_booking_(company, *f.uid, f.seat_uid.value_or(""));
            !cancelled) {
          if (cancelled.error().code != ErrorCode::kNotFound) {
            return Fail(cancelled.error().code,
                        "cancelling appointment " + std::to_string(f.id) +
                            " in the calendar failed: " + cancelled.error().message);
          }
        }
      }
      // Only while it still holds its slot: one moved meanwhile stays "rescheduled" (its new
      // appointment is read in the next round).
      auto marked = database_.Run([&](Session& s) -> Result<std::int64_t> {
        return s.Execute(
            "UPDATE appointments SET status = 'cancelled', cancelled_at = :now, updated_at = :now2 "
            "WHERE company_id = :c AND id = :id AND status IN ('booked', 'pending_sync', "
            "'requested')",
            Params().Add(clock_.Now()).Add(clock_.Now()).Add(company_id).Add(f.id));
      });
      if (!marked) return tl::unexpected(marked.error());
      ++report.appointments_cancelled;
    }
  }

  std::string target;
  auto erased = database_.WithTransaction([&](Session& s) -> Status {
    Person p = FindPerson(s, company_id, *e164, settings_.phone_region);
    target = p.Target();
    const auto now = clock_.Now();
    // A future appointment made since the rounds above (a move committed after the last read)
    // would be unlinked here with its booking left at Cal.com: nothing is erased then.
    if (!FutureAppointments(s, company_id, p, now).empty()) {
      return Fail(ErrorCode::kConflict, kFutureKeepsChanging);
    }
    // The calls and appointments are marked erased first. On PostgreSQL a delivery about one of
    // them that is being written now holds its row (the call's upsert, the booking's resolve):
    // these updates wait for it, so the raw traces below include its body. One that comes
    // later waits for this transaction and then finds the mark (and keeps no body).
    for (std::int64_t id : p.call_ids) {
      report.calls_anonymised += s.Execute(
          "UPDATE calls SET customer_id = NULL, from_number = NULL, transcript = NULL, "
          "transcript_object = NULL, summary = NULL, analysis = NULL, recording_url = NULL, "
          "metadata = NULL, erased_at = :now, updated_at = :now2 WHERE company_id = :c AND "
          "id = :id",
          Params().Add(now).Add(now).Add(company_id).Add(id));
    }
    for (std::int64_t id : p.appointment_ids) {
      report.appointments_unlinked += s.Execute(
          "UPDATE appointments SET customer_id = NULL, notes = '', erased_at = :now, "
          "updated_at = :now2 WHERE company_id = :c AND id = :id",
          Params().Add(now).Add(now).Add(company_id).Add(id));
    }
    // A callback request written while these updates waited for a row exists now (the
    // pending-booking job holds its appointment while it releases it and notes the caller's
    // callback): the person's requests are looked for again, so it goes with the rest.
    for (std::int64_t id : FindPerson(s, company_id, *e164, settings_.phone_region).callback_ids) {
      if (std::find(p.callback_ids.begin(), p.callback_ids.end(), id) == p.callback_ids.end()) {
        p.callback_ids.push_back(id);
      }
    }
    // The raw traces: `p` still knows the call ids, booking uids, name and e-mail.
    report.webhook_events_emptied =
        EmptyWebhookEvents(s, p, now, &report.webhook_events_unreadable);
    report.jobs_deleted = DeleteMentions(s, p, "jobs", "payload, last_error", true) +
                          DeleteMentions(s, p, "job_outbox", "payload", false);
    report.failed_jobs_deleted = DeleteMentions(s, p, "failed_jobs", "payload, error", true);
    for (std::int64_t id : p.callback_ids) {
      report.callback_requests_deleted +=
          s.Execute("DELETE FROM callback_requests WHERE company_id = :c AND id = :id",
                    Params().Add(company_id).Add(id));
    }
    if (p.customer_id) {
      report.customer_deleted =
          s.Execute("DELETE FROM customers WHERE company_id = :c AND id = :id",
                    Params().Add(company_id).Add(*p.customer_id)) > 0;
    }
    return Ok();
  });
  if (!erased) return tl::unexpected(erased.error());

  ForgetDeletedPageCopies(database_);
  const ReportLines lines = report.Lines();
  AppendOrLog(audit_, {0,
                       company_id,
                       requester.actor,
                       "privacy.erase",
                       target,
                       ReportJson(lines).dump(),
                       requester.request_id,
                       {}});
  std::vector<observability::LogField> fields = {
      {"company_id", company_id}, {"phone", MaskPhone(*e164)}, {"actor", requester.actor}};
  for (auto& field : ReportLogFields(lines)) fields.push_back(std::move(field));
  observability::Log(observability::LogLevel::kInfo, "privacy_erased", fields);
  return report;
}

}  // namespace callgate::privacy
