// Event types that require confirmation, through the agent's tools against the Cal.com stand-in
// and Cal.com's webhooks, on SQLite and PostgreSQL: a booking Cal.com answers "pending" is a
// request — the caller hears "angefragt", never "gebucht" — that holds its slot; the practice's
// confirmation (BOOKING_CREATED, ACCEPTED) books it, its rejection (BOOKING_REJECTED) frees the
// slot, and the caller's next query of their appointments says which. Moving a request sends the
// caller as `rescheduledBy` and stays a request. On a seated event type the caller's seat is
// stored, and their cancel frees only that seat. A recurring event type's series is refused and
// cancelled, never kept as its first occurrence. Time is fixed: Monday 2026-11-30 08:00 Berlin.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "calcom/webhook.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "retell_tool_call.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kKey("platform-key-123");
const Secret kCalcomSecret("whsec_platform");
constexpr const char* kPhysio = "+49431555000";
constexpr const char* kCaller = "+4915112345678";
constexpr std::int64_t kConfirmed = 3005;  // requires confirmation
constexpr std::int64_t kSeated = 3006;     // two seats a slot
constexpr std::int64_t kRecurring = 3007;  // three weekly occurrences

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

class CalcomConfirmationTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    auto physio = tools::ParseTenantJson(R"({"companies":[{"name":"Physio Nord","slug":"physio",
      "calcom_api_key":"cal_physio","branches":[{"name":"Kiel","phone_numbers":["+49 431 555000"]}],
      "services":[{"name":"Massage","duration_minutes":30,"calcom_event_type_id":3005},
                  {"name":"Rückenkurs","duration_minutes":30,"calcom_event_type_id":3006},
                  {"name":"Trainingsserie","duration_minutes":30,"calcom_event_type_id":3007}]}]})");
    ASSERT_TRUE(physio.has_value()) << physio.error().message;
    ASSERT_TRUE(tools::ImportTenants(*physio, db(), clock_).has_value());

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    auto confirmed = fake_options.event_types.front();  // 30 minutes, Mon–Fri 09:00–18:00
    confirmed.id = kConfirmed;
    confirmed.slug = "massage";
    confirmed.requires_confirmation = true;
    auto seated = fake_options.event_types.front();
    seated.id = kSeated;
    seated.slug = "rueckenkurs";
    seated.seats_per_time_slot = 2;
    auto recurring = fake_options.event_types.front();
    recurring.id = kRecurring;
    recurring.slug = "trainingsserie";
    recurring.recurrence_count = 3;
    fake_options.event_types = {confirmed, seated, recurring};
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kKey;
    config.calcom_base_url = fake_->base_url();
    config.calcom_webhook_secret = kCalcomSecret;
    auto application = app::Application::Create(config, clock_);
    ASSERT_TRUE(application.has_value()) << application.error().message;
    app_ = std::move(*application);
    ASSERT_TRUE(app_->Start().has_value());
    client_ = std::make_unique<TestClient>(app_->port(), std::chrono::seconds(20));
  }
  void TearDown() override {
    if (app_) app_->Stop();
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  // Calls a tool the way Retell does.
  std::pair<int, json> Call(const std::string& name, const json& args, const std::string& call_id) {
    return testing::CallRetellTool(*client_, kKey, clock_.Now(), name, args, call_id, kCaller,
                                   kPhysio);
  }

  std::pair<int, json> Book(const std::string& time, const std::string& call_id,
                            const std::string& service = "Massage") {
    return Call("book-appointment",
                {{"service", service},
                 {"date", "morgen"},
                 {"time", time},
                 {"name", "Erika Mustermann"},
                 {"email", "erika@example.org"}},
                call_id);
  }

  // Delivers a Cal.com webhook about the stand-in's booking `b` as Cal.com sends it.
  json Deliver(const std::string& trigger, const calcom::fake::FakeBooking& b,
               const std::string& status) {
    const json body = {{"triggerEvent", trigger},
                       {"createdAt", FormatIso8601Utc(clock_.Now())},
                       {"payload",
                        {{"uid", b.uid},
                         {"bookingId", b.id},
                         {"eventTypeId", b.event_type_id},
                         {"startTime", FormatIso8601Utc(b.start)},
                         {"endTime", FormatIso8601Utc(b.end)},
                         {"attendees",
                          {{{"name", b.attendee_name},
                            {"email", b.attendee_email},
                            {"timeZone", "Europe/Berlin"}}}},
                         {"metadata", b.metadata},
                         {"status", status}}}};
    const std::string raw = body.dump();
    http::Headers h;
    h.Add("Content-Type", "application/json");
    h.Add("X-Cal-Signature-256", calcom::SignCalcomPayload(raw, kCalcomSecret));
    h.Add("x-cal-webhook-version", "2021-10-20");
    auto r = client_->Post("/webhooks/calcom", raw, h);
    EXPECT_TRUE(r.has_value());
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  std::string StoredStatus(long long appointment_id) { return Stored(appointment_id, "status"); }

  std::string Stored(long long appointment_id, const std::string& column) {
    std::string out;
    auto read = db().Run([&](storage::Session& s) -> Status {
      s.Query(column + " AS v", "FROM appointments WHERE id = :id",
              storage::Params().Add(static_cast<std::int64_t>(appointment_id)),
              [&](const storage::Row& r) { out = r.OptionalString("v").value_or(""); });
      return Ok();
    });
    EXPECT_TRUE(read.has_value());
    return out;
  }

  calcom::fake::FakeBooking FakeBookingAt(SystemTimePoint start) {
    for (const auto& b : fake_->Bookings()) {
      if (b.start == start && b.status != "cancelled") return b;
    }
    ADD_FAILURE() << "no booking at the stand-in at " << FormatIso8601Utc(start);
    return {};
  }

  static std::string Message(const json& answer) { return answer.value("message", ""); }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
};

TEST_P(CalcomConfirmationTest, ARequestIsSpokenAsSuchAndBookedWhenThePracticeConfirms) {
  auto [status, answer] = Book("10 Uhr", "call-request");
  ASSERT_EQ(status, 200) << answer.dump();
  ASSERT_TRUE(answer["success"].get<bool>()) << answer.dump();
  EXPECT_EQ(answer["status"], "requested");
  EXPECT_NE(Message(answer).find("angefragt"), std::string::npos) << answer.dump();
  EXPECT_EQ(Message(answer).find("gebucht"), std::string::npos) << answer.dump();
  const long long id = answer["appointment_id"].get<long long>();
  EXPECT_EQ(StoredStatus(id), "requested");
  const auto pending = FakeBookingAt(Berlin(2026, 12, 1, 10));
  EXPECT_EQ(pending.status, "pending");

  // The request holds its slot: another caller cannot have it.
  auto [s2, taken] = Book("10 Uhr", "call-second");
  ASSERT_EQ(s2, 200) << taken.dump();
  EXPECT_FALSE(taken["success"].get<bool>()) << taken.dump();

  // Asked on the next call, the caller hears that the practice has still to confirm.
  auto [s3, query] = Call("query-customer-appointments", json::object(), "call-query");
  ASSERT_EQ(s3, 200) << query.dump();
  EXPECT_NE(Message(query).find("die Praxis bestätigt ihn noch"), std::string::npos)
      << query.dump();

  // The practice confirms; Cal.com announces the booking.
  ASSERT_TRUE(fake_->ConfirmBooking(pending.uid).has_value());
  EXPECT_EQ(Deliver("BOOKING_CREATED", fake_->Bookings().front(), "ACCEPTED")["outcome"],
            "confirmed");
  EXPECT_EQ(StoredStatus(id), "booked");
  auto [s4, after] = Call("query-customer-appointments", json::object(), "call-after");
  ASSERT_EQ(s4, 200) << after.dump();
  EXPECT_EQ(Message(after).find("bestätigt ihn noch"), std::string::npos) << after.dump();
  EXPECT_EQ(after["appointments"][0]["status"], "booked");
}

TEST_P(CalcomConfirmationTest, ARejectedRequestFreesTheSlotAndTheCallerIsToldOnTheNextCall) {
  auto [status, answer] = Book("11 Uhr", "call-reject");
  ASSERT_EQ(status, 200) << answer.dump();
  ASSERT_EQ(answer["status"], "requested") << answer.dump();
  const long long id = answer["appointment_id"].get<long long>();
  const auto pending = FakeBookingAt(Berlin(2026, 12, 1, 11));
  // Cal.com announces the request as well; it stays one.
  EXPECT_EQ(Deliver("BOOKING_REQUESTED", pending, "PENDING")["outcome"], "unchanged");
  EXPECT_EQ(StoredStatus(id), "requested");

  auto rejected = fake_->RejectBooking(pending.uid);
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(Deliver("BOOKING_REJECTED", *rejected, "REJECTED")["outcome"], "rejected");
  EXPECT_EQ(StoredStatus(id), "rejected");

  auto [s2, query] = Call("query-customer-appointments", json::object(), "call-told");
  ASSERT_EQ(s2, 200) << query.dump();
  EXPECT_NE(Message(query).find("abgelehnt"), std::string::npos) << query.dump();

  // The slot is free again, here and at Cal.com.
  auto [s3, again] = Book("11 Uhr", "call-again");
  ASSERT_EQ(s3, 200) << again.dump();
  EXPECT_TRUE(again["success"].get<bool>()) << again.dump();
  EXPECT_EQ(again["status"], "requested");
}

TEST_P(CalcomConfirmationTest, MovingARequestSendsTheCallerAndStaysARequest) {
  auto [status, answer] = Book("12 Uhr", "call-move");
  ASSERT_EQ(status, 200) << answer.dump();
  ASSERT_EQ(answer["status"], "requested") << answer.dump();
  fake_->ResetStats();
  auto [s2, moved] =
      Call("reschedule-appointment",
           {{"new_date", "morgen"}, {"new_time", "14 Uhr"}, {"confirm", true}}, "call-move-2");
  ASSERT_EQ(s2, 200) << moved.dump();
  ASSERT_TRUE(moved["success"].get<bool>()) << moved.dump();
  EXPECT_EQ(moved["status"], "requested");
  EXPECT_NE(Message(moved).find("angefragt"), std::string::npos) << moved.dump();
  EXPECT_EQ(StoredStatus(moved["appointment_id"].get<long long>()), "requested");
  bool sent = false;
  for (const auto& r : fake_->Requests()) {
    if (r.endpoint != "bookings_reschedule") continue;
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("rescheduledBy", ""), "erika@example.org") << r.body;
    sent = true;
  }
  EXPECT_TRUE(sent);
  EXPECT_EQ(FakeBookingAt(Berlin(2026, 12, 1, 14)).status, "pending");
}

TEST_P(CalcomConfirmationTest, ASeatIsStoredAndTheCallersCancelFreesOnlyThatSeat) {
  auto [status, answer] = Book("15 Uhr", "call-seat", "Rückenkurs");
  ASSERT_EQ(status, 200) << answer.dump();
  ASSERT_TRUE(answer["success"].get<bool>()) << answer.dump();
  EXPECT_EQ(answer["status"], "booked");
  const long long id = answer["appointment_id"].get<long long>();
  const auto ours = FakeBookingAt(Berlin(2026, 12, 1, 15));
  ASSERT_FALSE(ours.seat_uid.empty());
  EXPECT_EQ(Stored(id, "calcom_seat_uid"), ours.seat_uid);
  // Someone else takes the other seat on Cal.com's own pages: the same booking.
  auto other = fake_->AddBooking(kSeated, Berlin(2026, 12, 1, 15));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(*other, ours.uid);

  auto [s2, cancelled] = Call("cancel-appointment", {{"reason", "krank"}}, "call-seat-2");
  ASSERT_EQ(s2, 200) << cancelled.dump();
  ASSERT_TRUE(cancelled["success"].get<bool>()) << cancelled.dump();
  EXPECT_EQ(StoredStatus(id), "cancelled");
  int active = 0;
  for (const auto& b : fake_->Bookings()) {
    if (b.uid != ours.uid) continue;
    if (b.seat_uid == ours.seat_uid) {
      EXPECT_EQ(b.status, "cancelled");
    } else {
      EXPECT_EQ(b.status, "accepted");  // the other attendee keeps their seat
      ++active;
    }
  }
  EXPECT_EQ(active, 1);
}

TEST_P(CalcomConfirmationTest, ARecurringSeriesIsRefusedAndCancelledAtOnce) {
  auto [status, answer] = Book("16 Uhr", "call-series", "Trainingsserie");
  ASSERT_EQ(status, 200) << answer.dump();
  EXPECT_FALSE(answer["success"].get<bool>()) << answer.dump();
  EXPECT_EQ(answer["reason"], "recurring_event_type");
  EXPECT_NE(Message(answer).find("keine Serientermine"), std::string::npos) << answer.dump();
  const auto series = fake_->Bookings();
  ASSERT_EQ(series.size(), 3u);  // Cal.com booked every occurrence …
  for (const auto& b : series) EXPECT_EQ(b.status, "cancelled") << b.uid;  // … and none stays
  int held = -1;
  auto read = db().Run([&](storage::Session& s) -> Status {
    s.Query("COUNT(*) AS n", "FROM appointments WHERE status IN ('booked', 'requested')", {},
            [&](const storage::Row& r) { held = r.Int("n"); });
    return Ok();
  });
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(held, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CalcomConfirmationTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
