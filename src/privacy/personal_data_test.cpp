// Access and erasure requests on both backends: the export holds everything stored about a
// number and nothing about anyone else; an erase leaves no byte of the number, name or e-mail in
// the database files (SQLite file and WAL; the text of every row on PostgreSQL), keeps billing
// data and other people's rows, and refuses or cancels future appointments. Audit entries.
#include "privacy/personal_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <utility>

#include "core/masking.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::privacy {
namespace {

using nlohmann::json;
using storage::Dialect;
using storage::Params;
using storage::Row;
using storage::Session;
using tenancy::CompanyId;

constexpr std::string_view kPhone = "+4915112345678";
constexpr std::string_view kNationalPhone = "0151 12345678";
constexpr std::string_view kName = "Erika Musterfrau";
constexpr std::string_view kEmail = "erika.musterfrau@example.org";
constexpr std::string_view kSentence = "Ich habe seit Tagen Schmerzen im linken Knie";
constexpr std::string_view kOtherPhone = "+4917098765432";
constexpr std::string_view kOtherName = "Otto Nachbar";

// An ended call from `from` with its final transcript.
calls::CallUpdate EndedCall(std::string id, std::string from, std::string transcript) {
  calls::CallUpdate u;
  u.retell_call_id = std::move(id);
  u.from_number = std::move(from);
  u.status = "ended";
  u.transcript = std::move(transcript);
  u.final_transcript = true;
  return u;
}

// A raw webhook event as the webhook edges record it; `company` none: of no known company.
calls::WebhookEventRecord Event(std::optional<CompanyId> company, std::string source,
                                std::string event, std::string dedupe_key, std::string payload) {
  calls::WebhookEventRecord e;
  e.company_id = company;
  e.source = std::move(source);
  e.event = std::move(event);
  e.dedupe_key = std::move(dedupe_key);
  e.payload_json = std::move(payload);
  return e;
}

class PersonalDataTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    storage::testing::DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    audit_ = std::make_unique<SqlAuditLog>(db(), clock_);
    service_ = std::make_unique<PersonalData>(
        PersonalDataSettings{"DE"}, db(), *audit_,
        [this](const tenancy::Company&, const std::string& uid, const std::string&) -> Status {
          cancelled_.push_back(uid);
          return Ok();
        },
        clock_);
    storage::SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = "Praxis Weber";
    c.slug = "praxis-weber";
    auto created = companies.Create(c);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    company_ = *created;
  }

  // Erika: a customer with two calls (one linked, one only from her number written
  // nationally), a past appointment, a callback request, a webhook event, a queued job and a
  // failed job about her. Otto: a customer with a call of his own.
  void Seed(bool future_appointment = false) {
    const CompanyId c = company_.id;
    storage::SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer erika;
    erika.phone_e164 = std::string(kPhone);
    erika.name = std::string(kName);
    erika.email = std::string(kEmail);
    erika.notes = "kommt immer zu spät";
    auto stored = customers.Create(c, erika);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    erika_id_ = stored->id.value;
    tenancy::Customer otto;
    otto.phone_e164 = std::string(kOtherPhone);
    otto.name = std::string(kOtherName);
    ASSERT_TRUE(customers.Create(c, otto).has_value());

    storage::SqlCallRepository calls(db(), clock_);
    calls::CallUpdate linked;
    linked.retell_call_id = "call_erika_1";
    linked.customer_id = stored->id;
    linked.from_number = std::string(kPhone);
    linked.to_number = "+493012345678";
    linked.status = "ended";
    linked.started_at = clock_.Now() - std::chrono::hours(48);
    linked.ended_at = *linked.started_at + std::chrono::minutes(3);
    linked.duration_ms = 180000;
    linked.transcript = "User: " + std::string(kSentence) + ". Ich bin " + std::string(kName);
    linked.final_transcript = true;
    linked.transcript_object_json = R"([{"role":"user","content":"Knie"}])";
    linked.summary = "Knieschmerzen";
    linked.analysis_json = R"({"call_summary":"Knie"})";
    linked.recording_url = "https://example.org/rec-erika.wav";
    linked.retell_cost_cents = 42;
    auto call = calls.Upsert(c, linked);
    ASSERT_TRUE(call.has_value()) << call.error().message;
    erika_call_id_ = call->id.value;
    ASSERT_TRUE(
        calls.Upsert(c, EndedCall("call_erika_2", std::string(kNationalPhone), "User: Hallo"))
            .has_value());
    ASSERT_TRUE(
        calls.Upsert(c, EndedCall("call_otto_1", std::string(kOtherPhone), "User: Otto hier"))
            .has_value());

    storage::SqlAppointmentRepository appointments(db(), clock_);
    booking::Appointment past;
    past.customer_id = stored->id;
    past.call_id = call->id;
    past.starts_at = clock_.Now() - std::chrono::hours(24);
    past.ends_at = past.starts_at + std::chrono::minutes(30);
    past.status = "completed";
    past.calcom_booking_uid = "uid-erika-past";
    past.notes = "Knie röntgen";
    ASSERT_TRUE(appointments.Create(c, past).has_value());
    if (future_appointment) {
      booking::Appointment next = past;
      next.starts_at = clock_.Now() + std::chrono::hours(24);
      next.ends_at = next.starts_at + std::chrono::minutes(30);
      next.status = "booked";
      next.calcom_booking_uid = "uid-erika-future";
      ASSERT_TRUE(appointments.Create(c, next).has_value());
    }

    storage::SqlCallbackRequestRepository callbacks(db(), clock_);
    booking::CallbackRequest callback;
    callback.phone = std::string(kPhone);
    callback.name = std::string(kName);
    callback.reason = "Rückruf wegen Befund";
    ASSERT_TRUE(callbacks.Create(c, callback).has_value());

    storage::SqlWebhookEventRepository events(db(), clock_);
    ASSERT_TRUE(events
                    .Record(Event(c, "retell", "call_ended", "retell:call_erika_1:call_ended",
                                  R"({"call":{"call_id":"call_erika_1","from_number":")" +
                                      std::string(kPhone) + R"("}})"))
                    .has_value());

    auto inserted = db().Run([&](Session& s) -> Status {
      const auto now = clock_.Now();
      s.Execute(
          "INSERT INTO jobs (company_id, queue, type, payload, available_at, created_at, "
          "updated_at) VALUES (:c, 'default', 'call_analysis', :p, :a, :cr, :u)",
          Params()
              .Add(c.value)
              .Add(R"({"company_id":)" + std::to_string(c.value) + R"(,"call_id":)" +
                   std::to_string(erika_call_id_) + "}")
              .Add(now)
              .Add(now)
              .Add(now));
      s.Execute(
          "INSERT INTO failed_jobs (company_id, queue, type, payload, attempts, error, failed_at, "
          "created_at, updated_at) VALUES (:c, 'high', 'pending_booking', '{}', 3, :e, :f, :cr, "
          ":u)",
          Params()
              .Add(c.value)
              .Add("Cal.com refused attendee " + std::string(kEmail))
              .Add(now)
              .Add(now)
              .Add(now));
      return Ok();
    });
    ASSERT_TRUE(inserted.has_value()) << inserted.error().message;
  }

  // Everything a reader of the database files (or the table contents) sees, as bytes.
  std::string RawDatabaseBytes() {
    std::string bytes;
    if (db().dialect() == Dialect::kSqlite) {
      for (const std::string suffix : {"", "-wal", "-journal"}) {
        std::ifstream in(test_database().url().path + suffix, std::ios::binary);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        bytes += text.str();
      }
      EXPECT_FALSE(bytes.empty());
      return bytes;
    }
    for (const std::string table :
         {"companies", "customers", "calls", "appointments", "callback_requests", "webhook_events",
          "jobs", "failed_jobs", "job_outbox", "audit_events"}) {
      auto rows = db().Run([&](Session& s) -> Result<std::string> {
        std::string out;
        s.Query("CAST(t AS TEXT) AS row_text", "FROM " + table + " t", {},
                [&](const Row& r) { out += r.String("row_text") + "\n"; });
        return out;
      });
      EXPECT_TRUE(rows.has_value()) << rows.error().message;
      bytes += rows.value_or("");
    }
    return bytes;
  }

  std::int64_t Count(const std::string& from_where) {
    auto n = db().Run([&](Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("COUNT(*) AS n", from_where, {}, [&](const Row& r) { out = r.Int64("n"); });
      return out;
    });
    EXPECT_TRUE(n.has_value());
    return n.value_or(-1);
  }

  // The caller's move, committed: the appointment of booking `uid` becomes "rescheduled" and a
  // new one (booking `new_uid`, a day later) holds the slot, as ChangeService::Reschedule
  // writes it.
  void MoveMeanwhile(const std::string& uid, const std::string& new_uid) {
    storage::SqlAppointmentRepository appointments(db(), clock_);
    auto old = appointments.FindByCalcomUid(company_.id, uid);
    ASSERT_TRUE(old.has_value()) << old.error().message;
    booking::Appointment previous = *old;
    previous.status = "rescheduled";
    ASSERT_TRUE(appointments.Update(company_.id, previous).has_value());
    booking::Appointment next = *old;
    next.id = booking::AppointmentId();
    next.starts_at += std::chrono::hours(24);
    next.ends_at += std::chrono::hours(24);
    next.calcom_booking_uid = new_uid;
    next.idempotency_key.reset();
    next.rescheduled_from_id = old->id;
    auto created = appointments.Create(company_.id, next);
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  std::unique_ptr<SqlAuditLog> audit_;
  std::unique_ptr<PersonalData> service_;
  std::vector<std::string> cancelled_;
  tenancy::Company company_;
  std::int64_t erika_id_ = 0;
  std::int64_t erika_call_id_ = 0;
};

TEST_P(PersonalDataTest, ExportHoldsEverythingAboutTheNumberAndNothingElse) {
  Seed();
  ASSERT_TRUE(audit_
                  ->Append({0,
                            company_.id.value,
                            "user:1",
                            "customers.get",
                            "customer:" + std::to_string(erika_id_),
                            "",
                            "req-1",
                            {}})
                  .has_value());
  // Asked in national format: the same person.
  auto doc = service_->Export(company_, kNationalPhone, {"user:1", "req-2"});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const json& d = *doc;
  EXPECT_EQ(d["phone"], kPhone);
  EXPECT_EQ(d["company"]["slug"], "praxis-weber");
  ASSERT_TRUE(d["customer"].is_object());
  EXPECT_EQ(d["customer"]["name"], kName);
  EXPECT_EQ(d["customer"]["email"], kEmail);
  EXPECT_EQ(d["customer"]["notes"], "kommt immer zu spät");
  ASSERT_EQ(d["calls"].size(), 2u);
  EXPECT_EQ(d["calls"][0]["retell_call_id"], "call_erika_1");
  EXPECT_NE(d["calls"][0]["transcript"].get<std::string>().find(kSentence), std::string::npos);
  EXPECT_EQ(d["calls"][0]["summary"], "Knieschmerzen");
  EXPECT_EQ(d["calls"][0]["analysis"]["call_summary"], "Knie");
  EXPECT_EQ(d["calls"][0]["transcript_object"][0]["content"], "Knie");
  EXPECT_EQ(d["calls"][0]["recording_url"], "https://example.org/rec-erika.wav");
  EXPECT_EQ(d["calls"][1]["retell_call_id"], "call_erika_2");
  ASSERT_EQ(d["appointments"].size(), 1u);
  EXPECT_EQ(d["appointments"][0]["notes"], "Knie röntgen");
  EXPECT_EQ(d["appointments"][0]["calcom_booking_uid"], "uid-erika-past");
  ASSERT_EQ(d["callback_requests"].size(), 1u);
  EXPECT_EQ(d["callback_requests"][0]["reason"], "Rückruf wegen Befund");
  // The raw webhook body and the failed job's error text the erase would delete.
  ASSERT_EQ(d["webhook_events"].size(), 1u);
  EXPECT_EQ(d["webhook_events"][0]["source"], "retell");
  EXPECT_EQ(d["webhook_events"][0]["payload"]["call"]["from_number"], kPhone);
  ASSERT_EQ(d["failed_jobs"].size(), 1u);
  EXPECT_EQ(d["failed_jobs"][0]["error"], "Cal.com refused attendee " + std::string(kEmail));
  // The earlier read and this export itself.
  ASSERT_EQ(d["audit_events"].size(), 2u);
  EXPECT_EQ(d["audit_events"][0]["action"], "customers.get");
  EXPECT_EQ(d["audit_events"][1]["action"], "privacy.export");
  EXPECT_EQ(d["audit_events"][1]["request_id"], "req-2");
  const std::string text = d.dump();
  EXPECT_EQ(text.find(kOtherName), std::string::npos);
  EXPECT_EQ(text.find(kOtherPhone), std::string::npos);
  EXPECT_EQ(text.find("call_otto_1"), std::string::npos);
}

TEST_P(PersonalDataTest, ExportOfAnUnknownNumberIsEmptyAndABadNumberIsRefused) {
  Seed();
  auto doc = service_->Export(company_, "+4915199999999", {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_TRUE((*doc)["customer"].is_null());
  EXPECT_TRUE((*doc)["calls"].empty());
  EXPECT_TRUE((*doc)["appointments"].empty());
  auto bad = service_->Export(company_, "kein Anschluss", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

// An erase reaches only the asking company's rows: another company's job, outbox entry, failed
// job and webhook events naming the same person (name, e-mail, number) stay, and so do rows of
// no known company, even with the exact number (they may be another company's; their own
// retention removes them). Stored Cal.com deliveries count as their company's.
TEST_P(PersonalDataTest, EraseNeverTouchesAnotherCompanysRows) {
  Seed();
  storage::SqlCompanyRepository companies(db(), clock_);
  tenancy::Company other;
  other.name = "Salon Nord";
  other.slug = "salon-nord";
  auto created = companies.Create(other);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  const std::int64_t o = created->id.value;
  const std::string mention =
      std::string(kName) + " " + std::string(kEmail) + " " + std::string(kPhone);
  auto inserted = db().Run([&](Session& s) -> Status {
    const auto now = clock_.Now();
    const std::string payload =
        R"({"company_id":)" + std::to_string(o) + R"(,"note":")" + mention + R"("})";
    s.Execute(
        "INSERT INTO jobs (company_id, queue, type, payload, available_at, created_at, "
        "updated_at) VALUES (:c, 'default', 'call_analysis', :p, :a, :cr, :u)",
        Params().Add(o).Add(payload).Add(now).Add(now).Add(now));
    s.Execute(
        "INSERT INTO failed_jobs (company_id, queue, type, payload, attempts, error, failed_at, "
        "created_at, updated_at) VALUES (:c, 'high', 'pending_booking', :p, 3, :e, :f, :cr, :u)",
        Params().Add(o).Add(payload).Add(mention).Add(now).Add(now).Add(now));
    // The company column decides where there is one, whichever company the payload names.
    s.Execute(
        "INSERT INTO jobs (company_id, queue, type, payload, available_at, created_at, "
        "updated_at) VALUES (:c, 'default', 'call_analysis', :p, :a, :cr, :u)",
        Params()
            .Add(o)
            .Add(R"({"company_id":)" + std::to_string(company_.id.value) + R"(,"note":")" +
                 mention + R"("})")
            .Add(now)
            .Add(now)
            .Add(now));
    // The outbox has no company column: its payload names the company.
    s.Execute(
        "INSERT INTO job_outbox (queue, type, payload, available_at, created_at) "
        "VALUES ('default', 'call_analysis', :p, :a, :c)",
        Params().Add(payload).Add(now).Add(now));
    // No known company: neither a name nor the number makes it this company's.
    s.Execute(
        "INSERT INTO job_outbox (queue, type, payload, available_at, created_at) "
        "VALUES ('default', 'notify', :p, :a, :c)",
        Params().Add(R"({"note":")" + std::string(kName) + R"("})").Add(now).Add(now));
    s.Execute(
        "INSERT INTO job_outbox (queue, type, payload, available_at, created_at) "
        "VALUES ('default', 'notify', :p, :a, :c)",
        Params().Add(R"({"from":")" + std::string(kPhone) + R"("})").Add(now).Add(now));
    return Ok();
  });
  ASSERT_TRUE(inserted.has_value()) << inserted.error().message;
  // Cal.com deliveries about the same person: the other company's, one of no known company, and
  // this company's naming her by name and e-mail only (the number is not in it).
  storage::SqlWebhookEventRepository events(db(), clock_);
  const std::string attendee = R"({"triggerEvent":"BOOKING_CREATED","payload":{"attendees":[)"
                               R"({"name":")" +
                               std::string(kName) + R"(","email":")" + std::string(kEmail) +
                               R"("}]}})";
  auto calcom = [&](std::optional<CompanyId> company, std::string key, std::string body) {
    auto stored =
        events.Record(Event(company, "calcom", "BOOKING_CREATED", std::move(key), std::move(body)));
    EXPECT_TRUE(stored.has_value());
    return stored.value_or(0);
  };
  calcom(CompanyId(o), "calcom-other",
         R"({"phone":")" + std::string(kPhone) + R"(",)" + attendee.substr(1));
  calcom(std::nullopt, "calcom-nobody", R"({"phone":")" + std::string(kPhone) + R"("})");
  const std::int64_t ours = calcom(std::nullopt, "calcom-ours", attendee);
  ASSERT_TRUE(events.AttributeTo(ours, company_.id).has_value());
  ASSERT_TRUE(events.AttributeTo(ours, CompanyId(o)).has_value());  // attributed once only

  auto report = service_->Erase(company_, kPhone, {}, {"user:1", "req-9"});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(Count("FROM jobs WHERE company_id = " + std::to_string(o)), 2);
  EXPECT_EQ(Count("FROM failed_jobs WHERE company_id = " + std::to_string(o)), 1);
  EXPECT_EQ(Count("FROM job_outbox WHERE type = 'call_analysis'"), 1);
  EXPECT_EQ(Count("FROM job_outbox WHERE type = 'notify'"), 2);
  EXPECT_EQ(report->jobs_deleted, 1);  // her job only
  EXPECT_EQ(Count("FROM webhook_events WHERE dedupe_key IN ('calcom-other', 'calcom-nobody')"), 2);
  // Her Retell event and her Cal.com delivery are emptied; their rows keep the dedupe keys, so
  // that Cal.com delivering the booking again is a duplicate and stores nothing again.
  EXPECT_EQ(Count("FROM webhook_events WHERE dedupe_key = 'calcom-ours' AND payload = ''"), 1);
  EXPECT_EQ(report->webhook_events_emptied, 2);
  auto redelivered =
      events.Record(Event(company_.id, "calcom", "BOOKING_CREATED", "calcom-ours", attendee));
  ASSERT_FALSE(redelivered.has_value());
  EXPECT_EQ(redelivered.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Count("FROM webhook_events WHERE dedupe_key = 'calcom-ours' AND payload = ''"), 1);
}

// The export hands out only what is the person's: another caller's raw record that names them
// (Otto's transcript mentions Erika by name) stays out of it. The erase removes that record,
// since it is about her too.
TEST_P(PersonalDataTest, TheExportLeavesOutAnotherCallersRecordThatNamesThePerson) {
  Seed();
  storage::SqlWebhookEventRepository events(db(), clock_);
  ASSERT_TRUE(
      events
          .Record(Event(company_.id, "retell", "call_ended", "retell:call_otto_1:call_ended",
                        R"({"call":{"call_id":"call_otto_1","transcript":"Ich rufe für )" +
                            std::string(kName) + R"( an"}})"))
          .has_value());
  auto doc = service_->Export(company_, kPhone, {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  ASSERT_EQ((*doc)["webhook_events"].size(), 1u);
  EXPECT_EQ(doc->dump().find("call_otto_1"), std::string::npos);
  auto report = service_->Erase(company_, kPhone, {}, {"user:1", "req-12"});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->webhook_events_emptied, 2);
}

// A caller who withholds the number is still found through what links to the call: a callback
// request left under the number on that call brings the call and what was booked in it into
// the export and the erase.
TEST_P(PersonalDataTest, ACallFromAWithheldNumberIsFoundThroughItsCallbackRequest) {
  Seed();
  const CompanyId c = company_.id;
  storage::SqlCallRepository calls(db(), clock_);
  calls::CallUpdate withheld =
      EndedCall("call_withheld_1", "anonymous", "User: " + std::string(kSentence));
  withheld.summary = "Rückruf Knie";
  auto call = calls.Upsert(c, withheld);
  ASSERT_TRUE(call.has_value()) << call.error().message;
  storage::SqlCallbackRequestRepository callbacks(db(), clock_);
  booking::CallbackRequest callback;
  callback.call_id = call->id;
  callback.phone = std::string(kNationalPhone);
  callback.reason = "Befund";
  ASSERT_TRUE(callbacks.Create(c, callback).has_value());
  // A second request on that call, under no number at all: linked through the call.
  booking::CallbackRequest second;
  second.call_id = call->id;
  second.reason = "Nachfrage";
  ASSERT_TRUE(callbacks.Create(c, second).has_value());
  storage::SqlAppointmentRepository appointments(db(), clock_);
  booking::Appointment booked;
  booked.call_id = call->id;
  booked.starts_at = clock_.Now() - std::chrono::hours(2);
  booked.ends_at = booked.starts_at + std::chrono::minutes(30);
  booked.status = "completed";
  booked.notes = "nüchtern kommen";
  ASSERT_TRUE(appointments.Create(c, booked).has_value());
  // Otto asked, from his own number, to be called back on Erika's: his call, and what he
  // booked in it, stay his.
  auto otto_call = calls.Upsert(c, EndedCall("call_otto_callback", std::string(kOtherPhone),
                                             "User: Rufen Sie bitte meine Frau an"));
  ASSERT_TRUE(otto_call.has_value()) << otto_call.error().message;
  booking::CallbackRequest for_erika;
  for_erika.call_id = otto_call->id;
  for_erika.phone = std::string(kPhone);
  for_erika.reason = "Rückruf an die Frau";
  ASSERT_TRUE(callbacks.Create(c, for_erika).has_value());
  booking::Appointment ottos_booking = booked;
  ottos_booking.call_id = otto_call->id;
  ottos_booking.starts_at = clock_.Now() + std::chrono::hours(48);
  ottos_booking.ends_at = ottos_booking.starts_at + std::chrono::minutes(30);
  ottos_booking.status = "booked";
  ottos_booking.notes = "Ottos Termin";
  ASSERT_TRUE(appointments.Create(c, ottos_booking).has_value());

  auto doc = service_->Export(company_, kPhone, {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  ASSERT_EQ((*doc)["calls"].size(), 3u);
  EXPECT_EQ((*doc)["calls"][2]["retell_call_id"], "call_withheld_1");
  EXPECT_EQ((*doc)["calls"][2]["summary"], "Rückruf Knie");
  ASSERT_EQ((*doc)["appointments"].size(), 2u);
  EXPECT_EQ((*doc)["appointments"][1]["notes"], "nüchtern kommen");
  EXPECT_EQ((*doc)["callback_requests"].size(), 4u);  // the one under her number on Otto's too
  EXPECT_EQ(doc->dump().find("call_otto_callback"), std::string::npos);
  EXPECT_EQ(doc->dump().find("Ottos Termin"), std::string::npos);

  auto report = service_->Erase(company_, kPhone, {}, {"user:1", "req-10"});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->calls_anonymised, 3);
  EXPECT_EQ(report->appointments_unlinked, 2);  // Otto's future one is not hers: no conflict
  EXPECT_EQ(report->callback_requests_deleted, 4);
  EXPECT_EQ(Count("FROM calls WHERE retell_call_id = 'call_withheld_1' AND transcript IS NULL "
                  "AND summary IS NULL"),
            1);
  EXPECT_EQ(Count("FROM callback_requests"), 0);
  EXPECT_EQ(Count("FROM calls WHERE retell_call_id = 'call_otto_callback' AND from_number = '" +
                  std::string(kOtherPhone) + "' AND transcript IS NOT NULL"),
            1);
  EXPECT_EQ(Count("FROM appointments WHERE call_id = " + std::to_string(call->id.value) +
                  " AND notes = ''"),
            1);
}

// A number without a customer is named in the audit log by its mask. An access request finds
// the entries written under the mask of before 6 December 2026 (which kept more of a number
// shorter than a German mobile one) as well as the current ones, and no other number's.
TEST_P(PersonalDataTest, TheExportFindsAuditEntriesUnderTheEarlierMaskToo) {
  for (const char* target : {"phone:+49308****369", "phone:+4930****369", "phone:+49309****369"}) {
    ASSERT_TRUE(
        audit_->Append({0, company_.id.value, "user:1", "privacy.export", target, "", {}, {}})
            .has_value());
  }
  auto doc = service_->Export(company_, "+493083793369", {});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  std::vector<std::string> targets;
  for (const auto& entry : (*doc)["audit_events"]) targets.push_back(entry["target"]);
  std::sort(targets.begin(), targets.end());
  // (The second current entry is this export's own.)
  EXPECT_EQ(targets, (std::vector<std::string>{"phone:+4930****369", "phone:+4930****369",
                                               "phone:+49308****369"}));
}

TEST_P(PersonalDataTest, EraseLeavesNoTraceInTheDatabaseFiles) {
  Seed();
  const std::string before = RawDatabaseBytes();
  ASSERT_NE(before.find(kPhone), std::string::npos);  // the search would find it
  auto report = service_->Erase(company_, kPhone, {}, {"user:1", "req-3"});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_TRUE(report->customer_deleted);
  EXPECT_EQ(report->calls_anonymised, 2);
  EXPECT_EQ(report->appointments_unlinked, 1);
  EXPECT_EQ(report->callback_requests_deleted, 1);
  EXPECT_EQ(report->webhook_events_emptied, 1);
  EXPECT_EQ(report->jobs_deleted, 1);
  EXPECT_EQ(report->failed_jobs_deleted, 1);

  const std::string bytes = RawDatabaseBytes();
  for (std::string_view trace :
       {kPhone, std::string_view("4915112345678"), std::string_view("015112345678"), kNationalPhone,
        kName, kEmail, std::string_view("Erika")}) {
    EXPECT_EQ(bytes.find(trace), std::string::npos) << "found " << trace;
  }
  // Billing data and other people stay.
  EXPECT_EQ(Count("FROM calls"), 3);
  EXPECT_EQ(Count("FROM calls WHERE retell_cost_cents = 42 AND transcript IS NULL"), 1);
  EXPECT_EQ(Count("FROM customers"), 1);
  EXPECT_NE(bytes.find(kOtherPhone), std::string::npos);
  // The audit entry names the customer by id only.
  auto entries = audit_->List({company_.id.value, "privacy.erase", {}, {}, {}, {}, 10});
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].target, "customer:" + std::to_string(erika_id_));
  EXPECT_EQ((*entries)[0].request_id, "req-3");
  // Asking again finds nothing.
  auto doc = service_->Export(company_, kPhone, {});
  ASSERT_TRUE(doc.has_value());
  EXPECT_TRUE((*doc)["customer"].is_null());
  EXPECT_TRUE((*doc)["calls"].empty());
}

// A raw webhook event of the company sealed under a key no longer configured cannot be
// searched: the erase says so (and keeps it) instead of passing over it in silence.
TEST_P(PersonalDataTest, EraseSaysWhichRawEventsItCouldNotSearch) {
  Seed();
  auto inserted = db().Run([&](Session& s) -> Status {
    const auto now = clock_.Now();
    s.Execute(
        "INSERT INTO webhook_events (company_id, source, event, dedupe_key, payload, "
        "received_at, status, created_at, updated_at) VALUES (:c, 'retell', 'call_ended', "
        "'old-key', 'enc:v1:retired0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', :r, "
        "'processed', :cr, :u)",
        Params().Add(company_.id.value).Add(now).Add(now).Add(now));
    return Ok();
  });
  ASSERT_TRUE(inserted.has_value()) << inserted.error().message;
  auto report = service_->Erase(company_, kPhone, {}, {"user:1", "req-11"});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->webhook_events_emptied, 1);
  EXPECT_EQ(report->webhook_events_unreadable, 1);
  EXPECT_EQ(report->ToJson()["webhook_events_unreadable"], 1);
  EXPECT_NE(report->Describe().find("raw webhook events not searched: 1"), std::string::npos);
  EXPECT_EQ(Count("FROM webhook_events WHERE dedupe_key = 'old-key'"), 1);
  // Said only when there are some: a second erase has nothing left to search or delete.
  auto again = service_->Erase(company_, kPhone, {}, {"user:1", "req-12"});
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->webhook_events_unreadable, 1);
  again->webhook_events_unreadable = 0;
  EXPECT_EQ(again->Describe().find("not searched"), std::string::npos) << again->Describe();
  EXPECT_NE(again->Describe().find("customer deleted: no\n"), std::string::npos);
  EXPECT_EQ(again->ToJson()["customer_deleted"], false);
}

TEST_P(PersonalDataTest, EraseRefusesWhileFutureAppointmentsExist) {
  Seed(/*future_appointment=*/true);
  auto refused = service_->Erase(company_, kPhone, {}, {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Count("FROM customers"), 2);  // nothing was erased
  EXPECT_TRUE(cancelled_.empty());
}

TEST_P(PersonalDataTest, EraseWithCancelFutureCancelsInTheCalendarFirst) {
  Seed(/*future_appointment=*/true);
  auto report = service_->Erase(company_, kPhone, {true}, {});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->appointments_cancelled, 1);
  EXPECT_EQ(cancelled_, std::vector<std::string>{"uid-erika-future"});
  EXPECT_EQ(Count("FROM appointments WHERE status = 'cancelled' AND customer_id IS NULL"), 1);
  EXPECT_EQ(Count("FROM customers"), 1);
}

// The caller moves their appointment while the erase cancels it (the move commits between the
// erase's read and its mark): the appointment moved to is cancelled in the calendar too, the
// moved one stays "rescheduled", and no booking of the person is left holding a slot.
TEST_P(PersonalDataTest, AMoveCommittedWhileTheEraseCancelsIsCancelledToo) {
  Seed(/*future_appointment=*/true);
  std::vector<std::string> cancelled;
  bool moved = false;
  PersonalData erase(
      PersonalDataSettings{"DE"}, db(), *audit_,
      [&](const tenancy::Company&, const std::string& uid, const std::string&) -> Status {
        cancelled.push_back(uid);
        if (!std::exchange(moved, true)) MoveMeanwhile(uid, "uid-erika-moved-1");
        return Ok();
      },
      clock_);
  auto report = erase.Erase(company_, kPhone, {true}, {});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(cancelled, (std::vector<std::string>{"uid-erika-future", "uid-erika-moved-1"}));
  EXPECT_EQ(report->appointments_cancelled, 2);
  EXPECT_EQ(Count("FROM appointments WHERE calcom_booking_uid = 'uid-erika-future' AND status = "
                  "'rescheduled' AND customer_id IS NULL"),
            1);
  EXPECT_EQ(Count("FROM appointments WHERE calcom_booking_uid = 'uid-erika-moved-1' AND status "
                  "= 'cancelled' AND customer_id IS NULL"),
            1);
  EXPECT_EQ(Count("FROM appointments WHERE status IN ('booked', 'pending_sync', 'requested')"), 0);
  EXPECT_EQ(Count("FROM customers"), 1);
}

// A move after every round: the erase gives up (kConflict) and erases nothing, rather than
// leave a booking of the person at Cal.com.
TEST_P(PersonalDataTest, AnEraseWhoseFutureAppointmentsKeepMovingErasesNothing) {
  Seed(/*future_appointment=*/true);
  int moves = 0;
  PersonalData erase(
      PersonalDataSettings{"DE"}, db(), *audit_,
      [&](const tenancy::Company&, const std::string& uid, const std::string&) -> Status {
        MoveMeanwhile(uid, "uid-erika-moved-" + std::to_string(++moves));
        return Ok();
      },
      clock_);
  auto report = erase.Erase(company_, kPhone, {true}, {});
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kConflict);
  EXPECT_EQ(moves, 3);
  EXPECT_EQ(Count("FROM customers"), 2);
  EXPECT_EQ(Count("FROM appointments WHERE status = 'booked' AND customer_id IS NOT NULL"), 1);
}

TEST_P(PersonalDataTest, ACalendarFailureStopsTheErase) {
  Seed(/*future_appointment=*/true);
  PersonalData failing(
      PersonalDataSettings{"DE"}, db(), *audit_,
      [](const tenancy::Company&, const std::string&, const std::string&) -> Status {
        return Fail(ErrorCode::kUnavailable, "Cal.com down");
      },
      clock_);
  auto report = failing.Erase(company_, kPhone, {true}, {});
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(Count("FROM customers"), 2);
}

class AuditLogTest : public storage::testing::DatabaseTest {};

TEST_P(AuditLogTest, ListsNewestFirstFilteredAndPurgesOldEntries) {
  SqlAuditLog audit(db(), clock_);
  ASSERT_TRUE(audit.Append({0, std::nullopt, "system", "keys.rotate", "", "", {}, {}}));
  clock_.Advance(std::chrono::hours(24 * 10));
  ASSERT_TRUE(audit.Append({0, 7, "user:1", "customers.list", "", "", "r1", {}}));
  ASSERT_TRUE(audit.Append({0, 7, "user:1", "customers.get", "customer:3", "", "r2", {}}));
  ASSERT_TRUE(audit.Append({0, 8, "user:2", "customers.get", "customer:4", "", "r3", {}}));

  auto all = audit.List({});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].request_id, "r3");  // newest first
  auto company = audit.List({7, {}, {}, {}, {}, {}, 50});
  ASSERT_TRUE(company.has_value());
  ASSERT_EQ(company->size(), 2u);
  auto gets = audit.List({7, "customers.get", {}, {}, {}, {}, 50});
  ASSERT_TRUE(gets.has_value());
  ASSERT_EQ(gets->size(), 1u);
  EXPECT_EQ((*gets)[0].target, "customer:3");
  auto page = audit.List({{}, {}, {}, {}, {}, (*all)[1].id, 1});
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].request_id, "r1");
  auto recent = audit.List({{}, {}, {}, clock_.Now() - std::chrono::hours(1), {}, {}, 50});
  ASSERT_TRUE(recent.has_value());
  EXPECT_EQ(recent->size(), 3u);

  auto purged = audit.PurgeBefore(clock_.Now() - std::chrono::hours(24));
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 1);
  auto left = audit.List({});
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->size(), 3u);
  EXPECT_FALSE(audit.Append({0, 7, "", "x", "", "", {}, {}}).has_value());
}

// A Cal.com delivery about the person's booking that is being written while the erase runs
// (on PostgreSQL both run at once): the delivery holds the booking's row, so the erase waits
// for it at its mark and then empties the delivery's stored body. Without the lock, or with the
// mark after the search, the body would be committed after the erase had searched.
TEST_P(PersonalDataTest, ADeliveryWrittenWhileTheEraseRunsKeepsNoBody) {
  Seed();
  std::promise<void> resolved;
  std::thread delivery([&] {
    auto written = db().WithTransaction([&](Session&) -> Status {
      storage::SqlAppointmentRepository appointments(db(), clock_);
      auto booking = appointments.ResolveByCalcomUid("uid-erika-past");
      if (!booking) return tl::unexpected(booking.error());
      resolved.set_value();
      // The erase reaches the booking's row meanwhile (and waits there on PostgreSQL).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      storage::SqlWebhookEventRepository events(db(), clock_);
      auto recorded = events.Record(Event(
          company_.id, "calcom", "BOOKING_CANCELLED", "calcom:BOOKING_CANCELLED:uid-erika-past",
          R"({"uid":"uid-erika-past","attendees":[{"email":")" + std::string(kEmail) + R"("}]})"));
      if (!recorded) return tl::unexpected(recorded.error());
      return Ok();
    });
    EXPECT_TRUE(written.has_value()) << written.error().message;
  });
  resolved.get_future().wait();
  auto report = service_->Erase(company_, kPhone, {}, {"system", {}});
  delivery.join();
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(Count("FROM webhook_events WHERE source = 'calcom'"), 1);
  EXPECT_EQ(Count("FROM webhook_events WHERE source = 'calcom' AND payload = ''"), 1);
}

// The pending-booking job releases the person's held slot and notes their callback while the
// erase runs: it holds the appointment's row, so the erase waits for it at its mark (on
// PostgreSQL). The callback request it wrote is erased too, and the customer row with it;
// found only by the erase's first search, it would stay (and keep the customer from being
// deleted: the erase would fail).
TEST_P(PersonalDataTest, ACallbackNotedWhileTheEraseWaitsForItsRowIsErasedToo) {
  Seed();
  std::promise<void> locked;
  std::promise<void> release;
  std::thread job([&] {
    auto written = db().WithTransaction([&](Session& s) -> Status {
      storage::SqlAppointmentRepository appointments(db(), clock_);
      std::int64_t id = 0;
      s.Query("id", "FROM appointments WHERE calcom_booking_uid = 'uid-erika-past'", {},
              [&](const Row& r) { id = r.Int64("id"); });
      auto held = appointments.LockById(company_.id, booking::AppointmentId(id));
      if (!held) return tl::unexpected(held.error());
      locked.set_value();
      release.get_future().wait();
      storage::SqlCallbackRequestRepository callbacks(db(), clock_);
      booking::CallbackRequest callback;
      callback.customer_id = tenancy::CustomerId(erika_id_);
      callback.phone = std::string(kPhone);
      callback.name = std::string(kName);
      callback.reason = "Termin konnte nicht gebucht werden";
      auto noted = callbacks.Create(company_.id, callback);
      if (!noted) return tl::unexpected(noted.error());
      return Ok();
    });
    EXPECT_TRUE(written.has_value()) << written.error().message;
  });
  locked.get_future().wait();
  Result<ErasureReport> report = Fail(ErrorCode::kInternal, "not run");
  std::thread erase([&] { report = service_->Erase(company_, kPhone, {}, {"system", {}}); });
  if (db().dialect() == Dialect::kPostgresql) {
    // The erase reaches the appointment's row and waits for it.
    const bool waits = storage::testing::WaitUntilOneWaitsForALock(db());
    EXPECT_TRUE(waits) << "the erase never waited for the appointment's row";
  } else {
    // SQLite: the erase waits for the job's write transaction to begin its own.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  release.set_value();
  job.join();
  erase.join();
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(Count("FROM callback_requests"), 0);
  EXPECT_EQ(Count("FROM customers WHERE id = " + std::to_string(erika_id_)), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PersonalDataTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::privacy
