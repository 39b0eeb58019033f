// The agent's functions through the real HTTP server, against the local Cal.com stand-in, on
// SQLite and PostgreSQL. Time is fixed: Monday 2026-11-30 08:00 in Berlin.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "calcom/webhook.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
#include "pending_booking_retry.hpp"
#include "retell/signature.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kKey("platform-key-123");
const Secret kCalcomSecret("whsec_calcom_test");
constexpr const char* kMitte = "+493083793369";
constexpr const char* kCharlottenburg = "+493031801234";
constexpr const char* kErika = "+4915112345678";

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

class RetellFunctionsTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    auto salon = tools::ParseTenantJson(R"({"companies":[{"name":"Salon Schnitt","slug":"salon",
      "calcom_api_key":"cal_salon","branches":[{"name":"Hamburg","phone_numbers":["+49 40 1234567"]}],
      "services":[{"name":"Haarschnitt","duration_minutes":30,"calcom_event_type_id":2001}],
      "customers":[{"name":"Max Muster","phone":"+49 151 99990000"}]}]})");
    ASSERT_TRUE(salon.has_value());
    ASSERT_TRUE(tools::ImportTenants(*salon, db(), clock_).has_value());

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    // The salon's own event type: an event type belongs to one company.
    auto salon_type = fake_options.event_types.front();
    salon_type.id = 2001;
    salon_type.slug = "haarschnitt";
    fake_options.event_types.push_back(salon_type);
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kKey;
    config.calcom_base_url = fake_->base_url();
    config.calcom_bookings_timeout_ms = 700;
    config.calcom_slots_timeout_ms = 2000;
    config.calcom_webhook_secret = kCalcomSecret;
    Configure(config);
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
  // Per-suite changes to the configuration, before the application is created.
  virtual void Configure(app::Config&) {}

  http::testing::ClientResponse Post(const std::string& path, const std::string& body,
                                     http::Headers headers = {}) {
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature",
                retell::SignRetellPayload(body, kKey, ToUnixMillis(clock_.Now())));
    auto r = client_->Post(path, body, headers);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r.value_or(http::testing::ClientResponse{});
  }

  // Calls a function the way Retell does by default, and returns status and JSON body.
  std::pair<int, json> Call(const std::string& function, const json& args,
                            const std::string& call_id = "call-1", const std::string& from = kErika,
                            const std::string& to = kMitte) {
    const json body = {{"name", function},
                       {"call",
                        {{"call_id", call_id},
                         {"call_type", "phone_call"},
                         {"from_number", from},
                         {"to_number", to},
                         {"direction", "inbound"},
                         {"agent_id", "agent_1"},
                         {"call_status", "ongoing"}}},
                       {"args", args}};
    auto r = Post("/api/retell/" + function, body.dump());
    json parsed = json::parse(r.body, nullptr, false);
    EXPECT_LE(r.body.size(), 15000u);
    return {r.status, parsed};
  }

  // Erika books Erstberatung tomorrow at `time`; the answer's body (expected to be a 200).
  json BookErikaAt(const std::string& time) {
    auto [status, body] = Call("book-appointment", {{"service", "Erstberatung"},
                                                    {"date", "morgen"},
                                                    {"time", time},
                                                    {"name", "Erika Mustermann"}});
    EXPECT_EQ(status, 200) << body.dump();
    return body;
  }

  // BookErikaAt while Cal.com answers every create with 503.
  json BookWhileCalcomIsDown(const std::string& time) {
    auto behavior = fake_->behavior();
    behavior.forced_status = 503;
    behavior.fault_endpoint = "bookings_create";
    fake_->SetBehavior(behavior);
    return BookErikaAt(time);
  }

  // A booking page's URL can set any metadata. Erika's booking at 17:00 tomorrow is held while
  // Cal.com is down; meanwhile someone books `hour` of the same event type on the page, naming her
  // appointment. Cal.com comes back and her job's time comes. The forged booking's uid, or empty.
  std::string ForgeABookingNamingAHeldSlot(int hour) {
    const json body = BookWhileCalcomIsDown("17 Uhr");
    if (body["status"] != "pending_sync") return "";
    const std::string id = std::to_string(body["appointment_id"].get<long long>());
    auto forged = fake_->AddBooking(1001, Berlin(2026, 12, 1, hour), "Mallory",
                                    {{"callgate_appointment", id}});
    EXPECT_TRUE(forged.has_value());
    fake_->SetBehavior(calcom::fake::FakeCalcomBehavior{});
    fake_->ResetStats();
    clock_.Advance(std::chrono::minutes(2));
    return forged.value_or("");
  }

  // Sets appointment `id` back to what a create whose answer was lost leaves: held, no uid.
  bool LoseTheAnswerOf(long long id) {
    return db()
        .Run([&](storage::Session& s) -> Status {
          s.Execute(
              "UPDATE appointments SET status = 'pending_sync', calcom_booking_uid = NULL, "
              "cancelled_at = NULL WHERE id = :id",
              storage::Params().Add(static_cast<std::int64_t>(id)));
          return Ok();
        })
        .has_value();
  }

  long long Count(const std::string& table, const std::string& where = "") {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", "FROM " + table + (where.empty() ? "" : " WHERE " + where), {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    return n.value_or(-1);
  }

  // Customers named `name`, with `phone` if given. Names are stored sealed: each row is read
  // through the repository, which opens them.
  long long CustomersNamed(const std::string& name, const std::string& phone = "") {
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // company, customer
    EXPECT_TRUE(db().Run([&](storage::Session& s) -> Status {
                      s.Query("id, company_id",
                              "FROM customers" +
                                  (phone.empty() ? "" : " WHERE phone_e164 = '" + phone + "'"),
                              {}, [&](const storage::Row& r) {
                                rows.emplace_back(r.Int64("company_id"), r.Int64("id"));
                              });
                      return Ok();
                    })
                    .has_value());
    storage::SqlCustomerRepository customers(db(), clock_);
    long long n = 0;
    for (const auto& [company, id] : rows) {
      auto customer = customers.FindById(tenancy::CompanyId(company), tenancy::CustomerId(id));
      EXPECT_TRUE(customer.has_value());
      n += customer && customer->name == name;
    }
    return n;
  }

  std::size_t ActiveFakeBookings() {
    std::size_t n = 0;
    for (const auto& b : fake_->Bookings()) n += b.status != "cancelled";
    return n;
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
};

TEST_P(RetellFunctionsTest, ListServicesOfTheCallersBranch) {
  auto [status, body] = Call("list-services", json::object());
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_TRUE(body["success"].get<bool>());
  EXPECT_EQ(body["services"].size(), 3u);
  EXPECT_NE(body["message"].get<std::string>().find("Erstberatung"), std::string::npos);
  // The Charlottenburg branch does not offer the long examination.
  auto [s2, other] = Call("list-services", json::object(), "call-2", kErika, kCharlottenburg);
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(other["services"].size(), 2u);
  auto [s3, branches] = Call("get-branches", json::object());
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(branches["branches"].size(), 2u);
}

TEST_P(RetellFunctionsTest, CheckAvailabilityFreeTakenAndDayList) {
  auto [status, free] = Call("check-availability",
                             {{"service", "Erstberatung"}, {"date", "morgen"}, {"time", "10 Uhr"}});
  ASSERT_EQ(status, 200) << free.dump();
  EXPECT_TRUE(free["available"].get<bool>()) << free.dump();
  EXPECT_NE(free["message"].get<std::string>().find("Dienstag, 1. Dezember, um 10 Uhr"),
            std::string::npos)
      << free["message"];
  ASSERT_TRUE(fake_->AddBooking(1001, Berlin(2026, 12, 1, 10)).has_value());
  auto [s2, day] = Call("check-availability", {{"service", "Beratung"}, {"date", "übermorgen"}});
  ASSERT_EQ(s2, 200);
  EXPECT_FALSE(day["slots"].empty());
  EXPECT_NE(day["message"].get<std::string>().find("Mittwoch, 2. Dezember"), std::string::npos);
  auto [s3, missing] = Call("check-availability", {{"service", "Erstberatung"}});
  ASSERT_EQ(s3, 200);
  EXPECT_FALSE(missing["success"].get<bool>());
  EXPECT_EQ(missing["missing"][0], "date");
}

TEST_P(RetellFunctionsTest, BookingIsIdempotentAndStored) {
  const json args = {{"service", "Erstberatung"},
                     {"date", "morgen"},
                     {"time", "14:30"},
                     {"name", "Erika Mustermann"}};
  auto [status, booked] = Call("book-appointment", args);
  ASSERT_EQ(status, 200) << booked.dump();
  ASSERT_TRUE(booked["success"].get<bool>()) << booked.dump();
  EXPECT_EQ(booked["status"], "booked");
  EXPECT_NE(booked["message"].get<std::string>().find("gebucht"), std::string::npos);
  // Retell retries the same tool call: same answer, still one booking.
  auto [s2, again] = Call("book-appointment", args);
  ASSERT_EQ(s2, 200);
  EXPECT_TRUE(again["success"].get<bool>());
  EXPECT_EQ(again["appointment_id"], booked["appointment_id"]);
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(Count("appointments", "status = 'booked' AND calcom_booking_uid IS NOT NULL"), 1);
  const auto bookings = fake_->Bookings();
  ASSERT_EQ(bookings.size(), 1u);
  EXPECT_EQ(bookings[0].start, Berlin(2026, 12, 1, 14, 30));
  EXPECT_EQ(bookings[0].metadata.at("callgate_appointment"),
            std::to_string(booked["appointment_id"].get<long long>()));

  auto [s3, mine] = Call("query-customer-appointments", json::object());
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(mine["appointments"].size(), 1u);
}

TEST_P(RetellFunctionsTest, SecondCallerGetsAlternativesForATakenSlot) {
  const json args = {{"service", "Erstberatung"},
                     {"date", "morgen"},
                     {"time", "11 Uhr"},
                     {"name", "Erika Mustermann"}};
  ASSERT_TRUE(Call("book-appointment", args).second["success"].get<bool>());
  auto [status, taken] = Call("book-appointment",
                              {{"service", "Erstberatung"},
                               {"date", "morgen"},
                               {"time", "11 Uhr"},
                               {"name", "Otto Normal"}},
                              "call-2", "+4915122223333");
  ASSERT_EQ(status, 200) << taken.dump();
  EXPECT_FALSE(taken["success"].get<bool>());
  EXPECT_FALSE(taken["alternatives"].empty()) << taken.dump();
  EXPECT_EQ(ActiveFakeBookings(), 1u);
}

TEST_P(RetellFunctionsTest, ConcurrentBookingsOfOneSlotBookOnce) {
  std::atomic<int> success{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto [status, body] = Call("book-appointment",
                                 {{"service", "Erstberatung"},
                                  {"date", "morgen"},
                                  {"time", "15 Uhr"},
                                  {"name", "Caller " + std::to_string(i)}},
                                 "race-" + std::to_string(i), "+491512222000" + std::to_string(i));
      if (status == 200 && body.value("success", false)) ++success;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(success.load(), 1);
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(Count("appointments", "status IN ('booked', 'pending_sync')"), 1);
}

TEST_P(RetellFunctionsTest, CalcomSlotTakenAnswersWithAlternatives) {
  for (int conflict_status : {409, 400}) {
    auto behavior = fake_->behavior();
    behavior.next_conflicts = 1;
    behavior.conflict_status = conflict_status;
    fake_->SetBehavior(behavior);
    auto [status, body] = Call("book-appointment",
                               {{"service", "Erstberatung"},
                                {"date", "morgen"},
                                {"time", conflict_status == 409 ? "9 Uhr" : "9:30"},
                                {"name", "Erika Mustermann"}},
                               "conflict-" + std::to_string(conflict_status));
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_FALSE(body["success"].get<bool>()) << body.dump();
    EXPECT_FALSE(body["alternatives"].empty());
  }
  EXPECT_EQ(Count("appointments", "status IN ('booked', 'pending_sync')"), 0);
}

TEST_P(RetellFunctionsTest, TimeoutAfterTheBookingWasMadeIsReconciled) {
  auto behavior = fake_->behavior();
  behavior.commit_delay_ms = 1500;  // booked at once, answered after the 700 ms budget
  behavior.fault_endpoint = "bookings_create";
  fake_->SetBehavior(behavior);
  auto [status, body] = Call("book-appointment", {{"service", "Erstberatung"},
                                                  {"date", "morgen"},
                                                  {"time", "16 Uhr"},
                                                  {"name", "Erika Mustermann"}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_TRUE(body["success"].get<bool>()) << body.dump();
  EXPECT_EQ(body["status"], "booked");
  EXPECT_EQ(ActiveFakeBookings(), 1u);
}

TEST_P(RetellFunctionsTest, CalcomDownKeepsTheRequestAsPending) {
  const json body = BookWhileCalcomIsDown("12 Uhr");
  EXPECT_TRUE(body["success"].get<bool>());
  EXPECT_EQ(body["status"], "pending_sync");
  EXPECT_EQ(Count("appointments", "status = 'pending_sync'"), 1);
  // The job carries the request id of the call that caused it, for its log lines.
  EXPECT_EQ(Count("jobs",
                  "type = 'calcom_pending_booking' AND queue = 'high' AND request_id IS "
                  "NOT NULL AND request_id <> ''"),
            1);
}

// Waits (bounded, real time) until `table` has a row matching `where`; the in-process workers
// poll on their own schedule.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 150; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

TEST_P(RetellFunctionsTest, PendingBookingIsCompletedOnceWhenCalcomRecovers) {
  const json body = BookWhileCalcomIsDown("17 Uhr");
  ASSERT_EQ(body["status"], "pending_sync") << body.dump();
  // The job queued with the hold runs once the call's own request is long over (and fails);
  // Cal.com comes back and the backoff passes.
  clock_.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(Eventually([&] { return callgate::testing::PendingBookingAwaitsRetry(db()); }));
  fake_->SetBehavior(calcom::fake::FakeCalcomBehavior{});
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_TRUE(Eventually([&] { return Count("appointments", "status = 'booked'") == 1; }));
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(fake_->Bookings()[0].start, Berlin(2026, 12, 1, 17));
  EXPECT_EQ(Count("appointments", "status = 'pending_sync'"), 0);
}

// At a later time: the job does not take that booking for its own; it books the held slot.
TEST_P(RetellFunctionsTest, ABookingThatOnlyNamesAHeldSlotDoesNotFinishIt) {
  const std::string forged = ForgeABookingNamingAHeldSlot(19);
  ASSERT_FALSE(forged.empty());
  EXPECT_TRUE(Eventually([&] { return Count("appointments", "status = 'booked'") == 1; }));
  EXPECT_EQ(Count("appointments", "calcom_booking_uid = '" + forged + "'"), 0);
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 1u);
  ASSERT_EQ(ActiveFakeBookings(), 2u);
  EXPECT_EQ(fake_->Bookings()[1].start, Berlin(2026, 12, 1, 17));
}

// At the held slot itself (free at Cal.com while it was down): the booking has the right time
// and event type but not the appointment's check value, which only the call knows. The job does
// not take it; its own create then finds the slot taken.
TEST_P(RetellFunctionsTest, ABookingAtTheHeldSlotWithoutItsCheckDoesNotFinishIt) {
  const std::string forged = ForgeABookingNamingAHeldSlot(17);
  ASSERT_FALSE(forged.empty());
  EXPECT_TRUE(Eventually([&] { return fake_->Stats().Count("bookings_create") >= 1; }));
  EXPECT_EQ(Count("appointments", "calcom_booking_uid = '" + forged + "'"), 0);
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 0);
}

// Cal.com booked the slot, but the process stopped before the answer was stored: the
// appointment is still pending, with no booking of its own. The job queued with the hold finds
// Cal.com's booking by its metadata and finishes the appointment with it, without a second one.
TEST_P(RetellFunctionsTest, AHeldSlotWhoseAnswerWasNeverStoredIsFinishedByItsJob) {
  const json body = BookErikaAt("16 Uhr");
  ASSERT_EQ(body["status"], "booked") << body.dump();
  ASSERT_EQ(ActiveFakeBookings(), 1u);
  const std::string uid = fake_->Bookings()[0].uid;
  const long long id = body["appointment_id"].get<long long>();
  ASSERT_TRUE(LoseTheAnswerOf(id));
  EXPECT_EQ(Count("jobs", "type = 'calcom_pending_booking'"), 1);
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_TRUE(Eventually([&] {
    return Count("appointments", "status = 'booked' AND calcom_booking_uid = '" + uid + "'") == 1;
  }));
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 1u);
}

// The same, but the job runs only after the appointment's end (Cal.com was away that long):
// Cal.com lists the booking as past, not upcoming. It is still found and the appointment
// finished with it, rather than booked again or answered with a callback.
TEST_P(RetellFunctionsTest, AHeldSlotWhoseBookingHasTakenPlaceIsFinishedByItsJob) {
  const json body = BookErikaAt("16 Uhr");
  ASSERT_EQ(body["status"], "booked") << body.dump();
  const std::string uid = fake_->Bookings()[0].uid;
  ASSERT_TRUE(LoseTheAnswerOf(body["appointment_id"].get<long long>()));
  const long long callbacks = Count("callback_requests");
  clock_.Advance(std::chrono::hours(48));  // tomorrow 16:30 has passed
  EXPECT_TRUE(Eventually([&] {
    return Count("appointments", "status = 'booked' AND calcom_booking_uid = '" + uid + "'") == 1;
  }));
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 1u);
  EXPECT_EQ(Count("callback_requests"), callbacks);
}

// Cal.com booked the slot, the answer was lost, and the practice cancelled the booking at
// Cal.com before callgate knew its uid. The job finds it cancelled: it does not book the slot
// again against the practice's decision, releases it and notes a callback for the caller.
TEST_P(RetellFunctionsTest, AHeldSlotWhoseBookingWasCancelledAtCalcomIsNotBookedAgain) {
  const json body = BookErikaAt("16 Uhr");
  ASSERT_EQ(body["status"], "booked") << body.dump();
  ASSERT_EQ(ActiveFakeBookings(), 1u);
  auto [cancel_status, cancelled] = Call("cancel-appointment", {{"reason", "Praxis sagt ab"}});
  ASSERT_EQ(cancel_status, 200) << cancelled.dump();
  ASSERT_EQ(ActiveFakeBookings(), 0u);
  const long long id = body["appointment_id"].get<long long>();
  // As if the create's answer had been lost: the appointment is still held, without a uid.
  ASSERT_TRUE(LoseTheAnswerOf(id));
  const long long callbacks = Count("callback_requests");
  fake_->ResetStats();
  clock_.Advance(std::chrono::minutes(2));
  const std::string released =
      "status = 'cancelled' AND calcom_booking_uid IS NULL AND id = " + std::to_string(id);
  EXPECT_TRUE(Eventually([&] { return Count("appointments", released) == 1; }));
  EXPECT_EQ(Count("callback_requests"), callbacks + 1);
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 0u);
  EXPECT_EQ(ActiveFakeBookings(), 0u);
}

TEST_P(RetellFunctionsTest, OpenBreakerServesFallbackSlotsAndKeepsBookingsPending) {
  auto behavior = fake_->behavior();
  behavior.forced_status = 503;
  fake_->SetBehavior(behavior);
  const json args = {{"service", "Erstberatung"}, {"date", "morgen"}};
  for (int i = 0; i < 5; ++i) {  // five consecutive failures open the breaker
    auto [status, body] = Call("check-availability", args);
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_FALSE(body["success"].get<bool>());
  }
  const auto requests = fake_->Stats().total;
  auto [status, fallback] = Call("check-availability", args);
  ASSERT_EQ(status, 200) << fallback.dump();
  EXPECT_EQ(fallback["source"], "fallback") << fallback.dump();
  EXPECT_NE(fallback["message"].get<std::string>().find("vorläufig"), std::string::npos);
  auto [s2, booked] = Call("book-appointment", {{"service", "Erstberatung"},
                                                {"date", "morgen"},
                                                {"time", "11 Uhr"},
                                                {"name", "Erika Mustermann"}});
  ASSERT_EQ(s2, 200) << booked.dump();
  EXPECT_EQ(booked["status"], "pending_sync") << booked.dump();
  EXPECT_EQ(fake_->Stats().total, requests);  // the open breaker kept Cal.com out of it
}

TEST_P(RetellFunctionsTest, CallAnalysisRunsInTheServersWorkers) {
  const json ended = {{"event", "call_ended"},
                      {"call",
                       {{"call_id", "analysed-1"},
                        {"call_type", "phone_call"},
                        {"from_number", kErika},
                        {"to_number", kMitte},
                        {"call_status", "ended"},
                        {"start_timestamp", ToUnixMillis(clock_.Now())},
                        {"duration_ms", 185000},
                        {"call_cost", {{"combined_cost", 21.4}}}}}};
  ASSERT_EQ(Post("/webhooks/retell", ended.dump()).status, 200);
  EXPECT_TRUE(Eventually([&] {
    return Count("calls",
                 "retell_call_id = 'analysed-1' AND base_cost_cents = 21 AND "
                 "customer_id IS NOT NULL") == 1;
  }));
}

TEST_P(RetellFunctionsTest, CollectCustomerInfoStoresOnlyItsFieldsForTheCallersCompany) {
  const std::string stranger = "+4915133334444";
  auto [status, body] = Call("collect-customer-info",
                             {{"name", "Otto Normal"},
                              {"email", "otto@example.org"},
                              {"company_id", 999},
                              {"notes", "VIP"}},
                             "info-call", stranger);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_TRUE(body["success"].get<bool>());
  EXPECT_EQ(body["customer"]["name"], "Otto Normal");
  // Name, e-mail and notes are stored encrypted: read them decrypted. "notes" is not this
  // function's field.
  auto stored = db().Run([&](storage::Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    s.Query("name, email, notes", "FROM customers WHERE phone_e164 = :p",
            storage::Params().Add(stranger), [&](const storage::Row& r) {
              out = {r.Opened("name", "customers.name"),
                     r.OptionalOpened("email", "customers.email").value_or("<none>"),
                     r.Opened("notes", "customers.notes")};
            });
    return out;
  });
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(*stored, (std::vector<std::string>{"Otto Normal", "otto@example.org", ""}));
  // Fields outside its allowlist are ignored, bad ones named.
  auto [s2, bad] =
      Call("collect-customer-info", {{"email", "not-an-address"}}, "info-call", stranger);
  ASSERT_EQ(s2, 200);
  EXPECT_FALSE(bad["success"].get<bool>());
  EXPECT_EQ(bad["missing"][0], "email");
  // The next tool call of the same call knows the caller by name.
  auto [s3, summary] = Call("collect-appointment-data",
                            {{"service", "Erstberatung"}, {"date", "morgen"}, {"time", "9 Uhr"}},
                            "info-call", stranger);
  ASSERT_EQ(s3, 200) << summary.dump();
  EXPECT_NE(summary["message"].get<std::string>().find("Otto Normal"), std::string::npos)
      << summary.dump();
}

TEST_P(RetellFunctionsTest, CollectAppointmentDataSummarisesThenBooksOnConfirm) {
  const json args = {{"service", "Kontrolle"},
                     {"date", "Donnerstag"},
                     {"time", "halb drei"},
                     {"name", "Erika Mustermann"}};
  auto [status, summary] = Call("collect-appointment-data", args);
  ASSERT_EQ(status, 200) << summary.dump();
  EXPECT_TRUE(summary["needs_confirmation"].get<bool>()) << summary.dump();
  EXPECT_NE(summary["message"].get<std::string>().find("Donnerstag, 3. Dezember, um 14:30 Uhr"),
            std::string::npos)
      << summary["message"];
  EXPECT_EQ(ActiveFakeBookings(), 0u);
  json confirmed = args;
  confirmed["confirm"] = true;
  auto [s2, booked] = Call("collect-appointment-data", confirmed);
  ASSERT_EQ(s2, 200) << booked.dump();
  EXPECT_TRUE(booked["success"].get<bool>()) << booked.dump();
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(fake_->Bookings()[0].event_type_id, 1002);
  // A retried confirmation books nothing more.
  EXPECT_TRUE(Call("collect-appointment-data", confirmed).second["success"].get<bool>());
  EXPECT_EQ(ActiveFakeBookings(), 1u);
}

// Regression (found by fuzz/retell_function_call_fuzz.cpp): a spoken confirmation ("ja") made
// the per-service booking limit's typed read of "confirm" throw, answering 500.
TEST_P(RetellFunctionsTest, CollectAppointmentDataAcceptsASpokenConfirmation) {
  const json args = {{"service", "Kontrolle"},
                     {"date", "Donnerstag"},
                     {"time", "halb drei"},
                     {"name", "Erika Mustermann"},
                     {"confirm", "ja"}};
  auto [status, booked] = Call("collect-appointment-data", args);
  ASSERT_EQ(status, 200) << booked.dump();
  EXPECT_TRUE(booked["success"].get<bool>()) << booked.dump();
  EXPECT_EQ(ActiveFakeBookings(), 1u);
}

TEST_P(RetellFunctionsTest, CustomersAndAppointmentsStayWithinTheirCompany) {
  ASSERT_TRUE(Call("book-appointment", {{"service", "Erstberatung"},
                                        {"date", "morgen"},
                                        {"time", "10 Uhr"},
                                        {"name", "Erika Mustermann"}})
                  .second["success"]
                  .get<bool>());
  // The same caller phoning the salon is a stranger there: no name, no appointments.
  auto [status, theirs] =
      Call("query-customer-appointments", json::object(), "salon-side", kErika, "+49401234567");
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(theirs["appointments"].empty()) << theirs.dump();
  auto [s2, cancel] =
      Call("cancel-appointment", json::object(), "salon-side", kErika, "+49401234567");
  ASSERT_EQ(s2, 200);
  EXPECT_FALSE(cancel["success"].get<bool>());
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 1);
}

// The practice's closing days (Betriebsferien) are refused like a holiday, named, and never
// offered; another company's calls do not see them.
TEST_P(RetellFunctionsTest, ClosingDaysAreRefusedNamedAndNeverOffered) {
  storage::SqlCompanyRepository companies(db(), clock_);
  auto practice = companies.FindBySlug("praxis-weber");
  ASSERT_TRUE(practice.has_value());
  practice->closing_days = {{"2026-12-01", "2026-12-02", "Betriebsferien"}};
  ASSERT_TRUE(companies.Update(practice->id, tenancy::SetTo(*practice)).has_value());

  auto [status, wish] = Call("check-availability",
                             {{"service", "Erstberatung"}, {"date", "morgen"}, {"time", "10 Uhr"}});
  ASSERT_EQ(status, 200) << wish.dump();
  EXPECT_EQ(wish["success"], false);
  EXPECT_EQ(wish["reason"], "closing_day");
  EXPECT_EQ(wish["message"].get<std::string>().rfind(
                "Vom 1. Dezember bis 2. Dezember haben wir geschlossen (Betriebsferien). Ich kann "
                "Ihnen anbieten:",
                0),
            0u)
      << wish.dump();
  ASSERT_FALSE(wish["alternatives"].empty()) << wish.dump();
  for (const auto& alternative : wish["alternatives"]) {
    const std::string day = alternative["local_iso"].get<std::string>().substr(0, 10);
    EXPECT_TRUE(day != "2026-12-01" && day != "2026-12-02") << alternative.dump();
  }
  auto [day_status, day] =
      Call("check-availability", {{"service", "Erstberatung"}, {"date", "Mittwoch"}});
  ASSERT_EQ(day_status, 200);
  EXPECT_EQ(day["reason"], "closing_day") << day.dump();

  auto [book_status, booked] = Call("book-appointment", {{"service", "Erstberatung"},
                                                         {"date", "morgen"},
                                                         {"time", "10 Uhr"},
                                                         {"name", "Erika Mustermann"}});
  ASSERT_EQ(book_status, 200) << booked.dump();
  EXPECT_EQ(booked["success"], false);
  EXPECT_EQ(booked["reason"], "closing_day");
  EXPECT_EQ(ActiveFakeBookings(), 0u);
  EXPECT_EQ(Count("appointments"), 0);

  // The salon is open.
  auto [salon_status, salon] =
      Call("check-availability", {{"service", "Haarschnitt"}, {"date", "morgen"}}, "salon-call",
           "+4915199990000", "+49401234567");
  ASSERT_EQ(salon_status, 200);
  EXPECT_NE(salon["reason"], "closing_day") << salon.dump();
  EXPECT_EQ(salon["available"], true) << salon.dump();
}

TEST_P(RetellFunctionsTest, TenantAndBranchIsolation) {
  // A service id of another company.
  long long salon_service = -1;
  db().Run([&](storage::Session& s) -> Status {
    s.Query("id", "FROM services WHERE name = 'Haarschnitt'", {},
            [&](const storage::Row& r) { salon_service = r.Int64("id"); });
    return Ok();
  });
  ASSERT_GT(salon_service, 0);
  auto [s1, foreign] =
      Call("check-availability",
           {{"service_id", salon_service}, {"date", "morgen"}, {"time", "10 Uhr"}});
  EXPECT_EQ(s1, 403) << foreign.dump();
  auto [s1b, foreign_book] =
      Call("book-appointment",
           {{"service_id", salon_service}, {"date", "morgen"}, {"time", "10 Uhr"}, {"name", "X"}});
  EXPECT_EQ(s1b, 403);
  // A service of another branch.
  auto [s2, branch] =
      Call("check-availability", {{"service", "Ausführliche Untersuchung"}, {"date", "morgen"}},
           "call-ch", kErika, kCharlottenburg);
  EXPECT_EQ(s2, 403);
  EXPECT_NE(branch["error"]["message"].get<std::string>().find("not available at your branch"),
            std::string::npos);
  // … said in German, naming the branch that offers it.
  EXPECT_EQ(branch["reason"], "other_branch") << branch.dump();
  EXPECT_EQ(branch["branches"], json::array({"Berlin Mitte"})) << branch.dump();
  EXPECT_EQ(branch["success"], false);
  EXPECT_EQ(branch["message"].get<std::string>().rfind(
                "Ausführliche Untersuchung bieten wir in unserer Filiale Berlin Mitte an, nicht "
                "hier.",
                0),
            0u)
      << branch.dump();
  // Another company's service id stays a neutral refusal that names nothing.
  EXPECT_FALSE(foreign.contains("branches")) << foreign.dump();
  EXPECT_EQ(foreign.dump().find("Haarschnitt"), std::string::npos) << foreign.dump();
  // Another company's appointment, and another customer's appointment of the same company.
  auto [s3, salon_booking] = Call(
      "book-appointment",
      {{"service", "Haarschnitt"}, {"date", "morgen"}, {"time", "10 Uhr"}, {"name", "Max Muster"}},
      "salon-call", "+4915199990000", "+49401234567");
  ASSERT_TRUE(salon_booking["success"].get<bool>()) << salon_booking.dump();
  const auto salon_appt = salon_booking["appointment_id"].get<long long>();
  auto [s4, cross] = Call("cancel-appointment", {{"appointment_id", salon_appt}});
  EXPECT_EQ(s4, 403);
  auto [s5, other_customer] = Call("cancel-appointment", {{"appointment_id", salon_appt}},
                                   "salon-call-2", "+4915111112222", "+49401234567");
  EXPECT_EQ(s5, 403);
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 1);
}

TEST_P(RetellFunctionsTest, ArgsOnlyModeNeedsTheCallIdInTheSignedArgs) {
  // The call must exist: the webhook created it (or an earlier function call with the call object).
  ASSERT_EQ(Call("list-services", json::object(), "args-only").first, 200);
  auto r = Post("/api/retell/list-services", R"({"call_id":"args-only"})");
  EXPECT_EQ(r.status, 200) << r.body;
  // A header or query call id may repeat the signed one ...
  http::Headers h;
  h.Add("X-Call-Id", "args-only");
  auto same = Post("/api/retell/check-availability?call_id=args-only",
                   R"({"call_id":"args-only","service":"Erstberatung","date":"morgen"})", h);
  EXPECT_EQ(same.status, 200) << same.body;
  // ... but an args-only body without it is refused: the signature would not cover the call.
  http::Headers only_header;
  only_header.Add("X-Call-Id", "args-only");
  auto header_only = Post("/api/retell/list-services", "{}", only_header);
  EXPECT_EQ(header_only.status, 400) << header_only.body;
  auto query_only = Post("/api/retell/list-services?call_id=args-only", R"({"x":1})");
  EXPECT_EQ(query_only.status, 400) << query_only.body;
  // An unsigned call id that differs from the signed one is a forgery.
  http::Headers other;
  other.Add("X-Call-Id", "someone-else");
  auto moved = Post("/api/retell/get-branches", R"({"call_id":"args-only"})", other);
  EXPECT_EQ(moved.status, 401) << moved.body;
  auto unknown_call = Post("/api/retell/list-services", R"({"call_id":"nobody"})");
  EXPECT_EQ(unknown_call.status, 404);
  auto unknown_function = Post("/api/retell/make-coffee", R"({"call_id":"args-only","a":1})");
  EXPECT_EQ(unknown_function.status, 404);
  auto unsigned_call = client_->Post("/api/retell/list-services", R"({"call_id":"args-only"})", {});
  ASSERT_TRUE(unsigned_call.has_value());
  EXPECT_EQ(unsigned_call->status, 401);
}

TEST_P(RetellFunctionsTest, ASignatureCannotBeMovedToAnotherFunctionOrCall) {
  ASSERT_EQ(Call("list-services", json::object(), "replay-call").first, 200);
  // One captured args-only request ...
  const std::string body = R"({"call_id":"replay-call"})";
  http::Headers headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Retell-Signature",
              retell::SignRetellPayload(body, kKey, ToUnixMillis(clock_.Now())));
  auto first = client_->Post("/api/retell/query-customer-appointments", body, headers);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200) << first->body;
  // ... may be retried as it was (Retell retries failed requests) ...
  auto retry = client_->Post("/api/retell/query-customer-appointments", body, headers);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, 200);
  // ... but not replayed onto another function within the signature's five minutes.
  for (const char* fn : {"cancel-appointment", "get-branches", "list-services"}) {
    auto moved = client_->Post(std::string("/api/retell/") + fn, body, headers);
    ASSERT_TRUE(moved.has_value());
    EXPECT_EQ(moved->status, 401) << fn << ": " << moved->body;
  }
  // Standard mode: the signed body names its function; another path is refused.
  json standard = {
      {"name", "list_services"},
      {"call", {{"call_id", "replay-call"}, {"from_number", kErika}, {"to_number", kMitte}}},
      {"args", json::object()}};
  EXPECT_EQ(Post("/api/retell/list-services", standard.dump()).status, 200);
  EXPECT_EQ(Post("/api/retell/cancel-appointment", standard.dump()).status, 401);
  standard["name"] = "cancel_appointment";
  standard["args"] = {{"reason", "x"}};
  EXPECT_EQ(Post("/api/retell/get-branches", standard.dump()).status, 401);
  EXPECT_EQ(Count("callback_requests"), 0);
}

TEST_P(RetellFunctionsTest, ACompanyUrlReachesOnlyThatCompanysCalls) {
  // The salon has its own Retell key and URL.
  ASSERT_TRUE(db().Run([](storage::Session& s) -> Status {
                    s.Execute(
                        "UPDATE companies SET retell_api_key = 'salon-key' WHERE slug = "
                        "'salon'");
                    return Ok();
                  })
                  .has_value());
  const Secret salon_key("salon-key");
  auto salon_post = [&](const std::string& function, const json& body) {
    const std::string text = body.dump();
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature",
                retell::SignRetellPayload(text, salon_key, ToUnixMillis(clock_.Now())));
    auto r = client_->Post("/api/retell/c/salon/" + function, text, headers);
    EXPECT_TRUE(r.has_value());
    return r.value_or(http::testing::ClientResponse{});
  };
  auto call_body = [&](const std::string& function, const std::string& call_id,
                       const std::string& to, const json& args) {
    return json{{"name", function},
                {"call", {{"call_id", call_id}, {"from_number", kErika}, {"to_number", to}}},
                {"args", args}};
  };
  // A praxis call (known to callgate) through the salon's URL and key: 404, nothing touched.
  ASSERT_TRUE(Call("book-appointment",
                   {{"service", "Erstberatung"},
                    {"date", "morgen"},
                    {"time", "10 Uhr"},
                    {"name", "Erika Mustermann"}},
                   "praxis-call")
                  .second["success"]
                  .get<bool>());
  const long long calls_before = Count("calls");
  for (const char* fn : {"list-services", "query-customer-appointments", "cancel-appointment",
                         "collect-customer-info"}) {
    auto r = salon_post(fn, call_body(fn, "praxis-call", kMitte, {{"name", "Mallory"}}));
    EXPECT_EQ(r.status, 404) << fn << ": " << r.body;
  }
  // A new call whose dialled number is the praxis's: 404, and no call row is created.
  auto created = salon_post("list-services",
                            call_body("list-services", "new-praxis-call", kMitte, json::object()));
  EXPECT_EQ(created.status, 404) << created.body;
  EXPECT_EQ(Count("calls"), calls_before);
  EXPECT_EQ(Count("calls", "retell_call_id = 'new-praxis-call'"), 0);
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 1);
  EXPECT_EQ(CustomersNamed("Mallory"), 0);
  // The salon's own calls work on its URL.
  auto own = salon_post("list-services",
                        call_body("list-services", "salon-own", "+49401234567", json::object()));
  EXPECT_EQ(own.status, 200) << own.body;
}

TEST_P(RetellFunctionsTest, ASpokenNumberNeverRevealsAdoptsOrChangesAnotherCustomer) {
  const std::string stranger = "+4915133334444";
  const long long erika_before = CustomersNamed("Erika Mustermann", "+4915112345678");
  ASSERT_EQ(erika_before, 1);
  ASSERT_TRUE(Call("book-appointment",
                   {{"service", "Erstberatung"},
                    {"date", "morgen"},
                    {"time", "10 Uhr"},
                    {"name", "Erika Mustermann"}},
                   "erika-call")
                  .second["success"]
                  .get<bool>());
  // A stranger names Erika's number.
  auto [status, body] =
      Call("collect-customer-info", {{"name", "Mallory"}, {"phone", "0151 12345678"}},
           "stranger-call", stranger);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body.dump().find("Erika"), std::string::npos) << body.dump();
  EXPECT_EQ(CustomersNamed("Erika Mustermann", "+4915112345678"), 1);
  EXPECT_EQ(CustomersNamed("Mallory", "+4915112345678"), 0);
  // The stranger is not Erika: none of her appointments can be seen or cancelled.
  auto [s2, listed] =
      Call("query-customer-appointments", json::object(), "stranger-call", stranger);
  ASSERT_EQ(s2, 200);
  EXPECT_TRUE(listed["appointments"].empty()) << listed.dump();
  auto [s3, cancel] = Call("cancel-appointment", json::object(), "stranger-call", stranger);
  ASSERT_EQ(s3, 200);
  EXPECT_FALSE(cancel["success"].get<bool>());
  // A booking naming her number does not become hers either.
  auto [s4, booked] = Call("book-appointment",
                           {{"service", "Erstberatung"},
                            {"date", "morgen"},
                            {"time", "11 Uhr"},
                            {"name", "Mallory"},
                            {"phone", "+49 151 12345678"}},
                           "stranger-call", stranger);
  ASSERT_EQ(s4, 200) << booked.dump();
  EXPECT_EQ(CustomersNamed("Erika Mustermann", "+4915112345678"), 1);
  EXPECT_EQ(Count("appointments a JOIN customers c ON c.id = a.customer_id",
                  "c.phone_e164 = '+4915112345678'"),
            1);
  // A withheld caller naming her number sees nothing of hers and changes nothing.
  auto [s5, withheld] = Call("collect-customer-info", {{"name", "Eve"}, {"phone", "01511 2345678"}},
                             "withheld-call", "anonymous");
  ASSERT_EQ(s5, 200) << withheld.dump();
  EXPECT_EQ(withheld.dump().find("Erika"), std::string::npos) << withheld.dump();
  auto [s6, none] =
      Call("query-customer-appointments", json::object(), "withheld-call", "anonymous");
  ASSERT_EQ(s6, 200);
  EXPECT_TRUE(none["appointments"].empty()) << none.dump();
  EXPECT_EQ(CustomersNamed("Eve") + CustomersNamed("Mallory"), 1);  // the stranger's own record
  EXPECT_EQ(CustomersNamed("Mallory", stranger), 1);
}

TEST_P(RetellFunctionsTest, CancelAndRescheduleOwnAppointment) {
  ASSERT_TRUE(Call("book-appointment", {{"service", "Erstberatung"},
                                        {"date", "übermorgen"},
                                        {"time", "10 Uhr"},
                                        {"name", "Erika Mustermann"}})
                  .second["success"]
                  .get<bool>());
  auto [s1, proposal] =
      Call("reschedule-appointment", {{"new_date", "Donnerstag"}, {"new_time", "11 Uhr"}});
  ASSERT_EQ(s1, 200) << proposal.dump();
  EXPECT_TRUE(proposal["needs_confirmation"].get<bool>()) << proposal.dump();
  EXPECT_EQ(ActiveFakeBookings(), 1u);
  EXPECT_EQ(fake_->Bookings()[0].start, Berlin(2026, 12, 2, 10));
  auto [s2, moved] = Call("reschedule-appointment",
                          {{"new_date", "Donnerstag"}, {"new_time", "11 Uhr"}, {"confirm", true}});
  ASSERT_EQ(s2, 200) << moved.dump();
  EXPECT_TRUE(moved["success"].get<bool>()) << moved.dump();
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 1);
  EXPECT_EQ(Count("appointments", "status = 'rescheduled'"), 1);

  auto [s3, cancelled] = Call("cancel-appointment", {{"reason", "krank"}});
  ASSERT_EQ(s3, 200) << cancelled.dump();
  EXPECT_TRUE(cancelled["success"].get<bool>()) << cancelled.dump();
  EXPECT_EQ(ActiveFakeBookings(), 0u);
  EXPECT_EQ(Count("appointments", "status IN ('booked', 'pending_sync')"), 0);

  auto [s4, withheld] = Call("cancel-appointment", json::object(), "anon", "anonymous");
  ASSERT_EQ(s4, 200);
  EXPECT_FALSE(withheld["success"].get<bool>());
  EXPECT_EQ(Count("callback_requests"), 1);
}

TEST_P(RetellFunctionsTest, SlotAnswersAreCachedAndInvalidatedByBookings) {
  const json args = {{"service", "Erstberatung"}, {"date", "morgen"}};
  ASSERT_EQ(Call("check-availability", args).first, 200);
  const auto after_first = fake_->Stats().Count("slots");
  ASSERT_EQ(Call("check-availability", args).first, 200);
  EXPECT_EQ(fake_->Stats().Count("slots"), after_first);  // served from cache
  ASSERT_TRUE(Call("book-appointment", {{"service", "Erstberatung"},
                                        {"date", "morgen"},
                                        {"time", "13 Uhr"},
                                        {"name", "Erika Mustermann"}})
                  .second["success"]
                  .get<bool>());
  const auto after_booking = fake_->Stats().Count("slots");
  auto [s, day] = Call("check-availability", args);
  ASSERT_EQ(s, 200);
  EXPECT_GT(fake_->Stats().Count("slots"), after_booking);  // invalidated: asked again
  for (const auto& slot : day["slots"]) EXPECT_NE(slot["local_time"], "13:00");
}

// Without Redis the functions are tried on the I/O thread that read the request: a cached answer
// is given there; a cache miss (it waits for Cal.com) and a tool that writes are handed to a
// handler thread and run again there, counted once.
TEST_P(RetellFunctionsTest, CachedAnswersComeFromTheIoThreadAndWhatWaitsFromAHandlerThread) {
  auto inline_requests = [this](const char* outcome) {
    return app_->metrics().Value("callgate_http_inline_requests_total", {{"outcome", outcome}});
  };
  auto signatures = [this] {
    return app_->metrics().Value("callgate_retell_signature_total", {{"outcome", "ok"}});
  };
  ASSERT_EQ(Call("list-services", json::object()).first, 200);  // the call is known now
  const double answered = inline_requests("answered");
  const double deferred = inline_requests("deferred");
  const double signed_ok = signatures();
  const json args = {{"service", "Erstberatung"}, {"date", "morgen"}};

  auto [s1, cold] = Call("check-availability", args);
  ASSERT_EQ(s1, 200) << cold.dump();
  EXPECT_EQ(inline_requests("deferred"), deferred + 1);
  EXPECT_EQ(inline_requests("answered"), answered);
  auto [s2, cached] = Call("check-availability", args);
  ASSERT_EQ(s2, 200) << cached.dump();
  EXPECT_EQ(inline_requests("answered"), answered + 1);
  EXPECT_EQ(inline_requests("deferred"), deferred + 1);
  EXPECT_EQ(cached["message"], cold["message"]);
  EXPECT_EQ(cached["slots"], cold["slots"]);
  EXPECT_EQ(signatures(), signed_ok + 2);  // once per request, not per attempt
  // The same signed request again (same body and time: the same signature) is Retell's retry:
  // answered from memory; the signature's first use, recorded by the cold request's attempt on
  // the I/O thread and again by its run on a handler thread, is the same request.
  EXPECT_EQ(Call("check-availability", args).first, 200);
  EXPECT_EQ(inline_requests("answered"), answered + 2);

  auto [s3, booked] = Call("book-appointment", {{"service", "Erstberatung"},
                                                {"date", "morgen"},
                                                {"time", "13 Uhr"},
                                                {"name", "Erika Mustermann"}});
  ASSERT_EQ(s3, 200) << booked.dump();
  EXPECT_TRUE(booked["success"].get<bool>()) << booked.dump();
  EXPECT_EQ(inline_requests("deferred"), deferred + 2);
  EXPECT_EQ(Count("appointments"), 1);
  EXPECT_EQ(signatures(), signed_ok + 4);
  // The booking dropped the day's cached slots: the next answer waits for Cal.com again.
  EXPECT_EQ(Call("check-availability", args).first, 200);
  EXPECT_EQ(inline_requests("deferred"), deferred + 3);
  EXPECT_EQ(inline_requests("answered"), answered + 2);
}

TEST_P(RetellFunctionsTest, InboundGreetingFetchesTodayAndTomorrowInParallel) {
  auto behavior = fake_->behavior();
  behavior.latency_ms = 1000;
  fake_->SetBehavior(behavior);
  const std::string body = json{{"event", "call_inbound"},
                                {"call_inbound", {{"from_number", kErika}, {"to_number", kMitte}}}}
                               .dump();
  const auto started = std::chrono::steady_clock::now();
  auto r = Post("/webhooks/retell/inbound", body);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.body;
  const auto vars = json::parse(r.body)["call_inbound"]["dynamic_variables"];
  EXPECT_NE(vars["naechste_termine"].get<std::string>().find("Erstberatung"), std::string::npos);
  EXPECT_GE(fake_->Stats().Count("slots"), 2u);
  // Two 1 s answers, fetched at once: well under their sum (the margin absorbs a loaded
  // machine's scheduling; sequential fetches could not finish before 2 s).
  EXPECT_LT(elapsed, std::chrono::milliseconds(1900));
}

// Cal.com webhooks keep appointments in sync, also for bookings made on Cal.com's own pages.
class CalcomWebhooksTest : public RetellFunctionsTest {
 protected:
  http::testing::ClientResponse Deliver(const json& body, const Secret& secret = kCalcomSecret,
                                        const std::string& path = "/webhooks/calcom") {
    const std::string raw = body.dump();
    http::Headers h;
    h.Add("Content-Type", "application/json");
    h.Add("X-Cal-Signature-256", calcom::SignCalcomPayload(raw, secret));
    h.Add("x-cal-webhook-version", "2021-10-20");
    auto r = client_->Post(path, raw, h);
    EXPECT_TRUE(r.has_value());
    return r.value_or(http::testing::ClientResponse{});
  }
  static json Event(const std::string& trigger, json payload) {
    return {{"triggerEvent", trigger},
            {"createdAt", "2026-11-30T07:00:00.000Z"},
            {"payload", std::move(payload)}};
  }
};

TEST_P(CalcomWebhooksTest, RejectsUnsignedAndBadlySignedDeliveries) {
  const json body = Event("BOOKING_CANCELLED", {{"uid", "x"}});
  auto unsigned_r = client_->Post("/webhooks/calcom", body.dump(), {});
  ASSERT_TRUE(unsigned_r.has_value());
  EXPECT_EQ(unsigned_r->status, 401);
  EXPECT_EQ(Deliver(body, Secret("wrong")).status, 401);
  http::Headers literal;
  literal.Add("X-Cal-Signature-256", "no-secret-provided");
  EXPECT_EQ(client_->Post("/webhooks/calcom", body.dump(), literal)->status, 401);
  EXPECT_EQ(Count("webhook_events"), 0);
}

TEST_P(CalcomWebhooksTest, BookingMadeOnCalcomAppearsOnce) {
  const json created = Event("BOOKING_CREATED", {{"uid", "cal-page-1"},
                                                 {"bookingId", 77},
                                                 {"eventTypeId", 1003},
                                                 {"startTime", "2026-12-03T09:00:00Z"},
                                                 {"endTime", "2026-12-03T10:00:00Z"},
                                                 {"attendees",
                                                  {{{"name", "Paula Page"},
                                                    {"email", "paula@example.org"},
                                                    {"timeZone", "Europe/Berlin"},
                                                    {"phoneNumber", "+4915177778888"}}}},
                                                 {"status", "ACCEPTED"},
                                                 {"metadata", json::object()}});
  auto r = Deliver(created);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outcome"], "created");
  EXPECT_EQ(json::parse(Deliver(created).body)["outcome"], "duplicate");
  // The attendee's number was typed into Cal.com's form: a contact, not an identity (SPEC §4).
  // No customer is made by it, so its owner is not greeted or confirmed as "Paula Page" later.
  EXPECT_EQ(Count("appointments",
                  "source = 'calcom' AND calcom_booking_uid = 'cal-page-1' AND "
                  "status = 'booked' AND customer_id IS NULL"),
            1);
  EXPECT_EQ(Count("customers", "phone_e164 = '+4915177778888'"), 0);

  // Someone books on the page under Erika's number with another name and e-mail address: she
  // is neither renamed nor given their address, and the booking is not put into her list.
  json taken = created;
  taken["payload"]["uid"] = "cal-page-2";
  taken["payload"]["bookingId"] = 78;
  taken["payload"]["startTime"] = "2026-12-03T11:00:00Z";
  taken["payload"]["endTime"] = "2026-12-03T12:00:00Z";
  taken["payload"]["attendees"] = {{{"name", "Mallory"},
                                    {"email", "mallory@example.org"},
                                    {"timeZone", "Europe/Berlin"},
                                    {"phoneNumber", "0151 12345678"}}};
  ASSERT_EQ(json::parse(Deliver(taken).body)["outcome"], "created");
  EXPECT_EQ(CustomersNamed("Erika Mustermann", "+4915112345678"), 1);
  EXPECT_EQ(CustomersNamed("Mallory"), 0);
  EXPECT_EQ(Count("appointments", "calcom_booking_uid = 'cal-page-2' AND customer_id IS NULL"), 1);
  auto [status, mine] = Call("query-customer-appointments", json::object());
  EXPECT_EQ(status, 200) << mine.dump();
  EXPECT_EQ(mine.dump().find("11:00"), std::string::npos) << mine.dump();
  EXPECT_EQ(mine.dump().find("12 Uhr"), std::string::npos) << mine.dump();
}

// Cal.com announces callgate's own bookings too, possibly before the booking flow has stored
// their uid: such a delivery is left to the booking flow. Only one carrying the appointment's
// check value is: a booking made on the page whose URL names Erika's appointment is recorded
// like any other page booking, not hidden from the practice's list.
TEST_P(CalcomWebhooksTest, OnlyOurOwnBookingIsLeftToTheBookingFlow) {
  const json booked = BookErikaAt("14 Uhr");
  ASSERT_EQ(booked["status"], "booked") << booked.dump();
  const long long id = booked["appointment_id"].get<long long>();
  const auto bookings = fake_->Bookings();
  ASSERT_EQ(bookings.size(), 1u);
  ASSERT_TRUE(LoseTheAnswerOf(id));  // Cal.com's delivery overtakes the create's answer
  auto Announce = [&](const std::string& uid, const std::string& start, const std::string& end,
                      const std::map<std::string, std::string>& metadata) {
    return Deliver(Event("BOOKING_CREATED", {{"uid", uid},
                                             {"eventTypeId", 1001},
                                             {"startTime", start},
                                             {"endTime", end},
                                             {"attendees", json::array()},
                                             {"status", "ACCEPTED"},
                                             {"metadata", metadata}}));
  };
  auto own = Announce(bookings[0].uid, "2026-12-01T13:00:00Z", "2026-12-01T13:30:00Z",
                      bookings[0].metadata);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(json::parse(own.body)["outcome"], "unchanged");
  EXPECT_EQ(Count("appointments"), 1);

  std::map<std::string, std::string> forged = {{"callgate_appointment", std::to_string(id)}};
  auto page = Announce("cal-page-forged", "2026-12-01T15:00:00Z", "2026-12-01T15:30:00Z", forged);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(json::parse(page.body)["outcome"], "created");
  forged["callgate_check"] = std::string(32, 'a');
  auto guessed =
      Announce("cal-page-guessed", "2026-12-01T16:00:00Z", "2026-12-01T16:30:00Z", forged);
  EXPECT_EQ(json::parse(guessed.body)["outcome"], "created");
  EXPECT_EQ(Count("appointments", "source = 'calcom' AND calcom_booking_uid LIKE 'cal-page-%'"), 2);
  EXPECT_EQ(Count("appointments", "id = " + std::to_string(id) + " AND status = 'pending_sync'"),
            1);
}

TEST_P(CalcomWebhooksTest, CancellationAndRescheduleOnCalcomUpdateOurAppointment) {
  auto [status, booked] = Call("book-appointment", {{"service", "Erstberatung"},
                                                    {"date", "morgen"},
                                                    {"time", "10 Uhr"},
                                                    {"name", "Erika Mustermann"}});
  ASSERT_TRUE(booked["success"].get<bool>()) << booked.dump();
  const std::string uid = booked["booking_uid"];
  // Moved on Cal.com's page.
  auto moved = Deliver(Event("BOOKING_RESCHEDULED", {{"uid", "new-uid-1"},
                                                     {"rescheduleUid", uid},
                                                     {"eventTypeId", 1001},
                                                     {"startTime", "2026-12-02T13:00:00Z"},
                                                     {"endTime", "2026-12-02T13:30:00Z"},
                                                     {"status", "ACCEPTED"}}));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(json::parse(moved.body)["outcome"], "rescheduled");
  EXPECT_EQ(Count("appointments", "status = 'rescheduled' AND calcom_booking_uid = '" + uid + "'"),
            1);
  EXPECT_EQ(Count("appointments", "status = 'booked' AND calcom_booking_uid = 'new-uid-1'"), 1);
  // Then cancelled there.
  auto cancelled = Deliver(
      Event("BOOKING_CANCELLED",
            {{"uid", "new-uid-1"}, {"eventTypeId", 1001}, {"cancellationReason", "krank"}}));
  ASSERT_EQ(cancelled.status, 200);
  EXPECT_EQ(json::parse(cancelled.body)["outcome"], "cancelled");
  EXPECT_EQ(Count("appointments", "status IN ('booked', 'pending_sync')"), 0);
}

TEST_P(CalcomWebhooksTest, ACompanyWebhookTouchesOnlyThatCompanysAppointments) {
  // The salon has its own Cal.com account and webhook secret.
  ASSERT_TRUE(db().Run([](storage::Session& s) -> Status {
                    s.Execute(
                        "UPDATE companies SET calcom_webhook_secret = 'whsec_salon' WHERE "
                        "slug = 'salon'");
                    return Ok();
                  })
                  .has_value());
  const Secret salon_secret("whsec_salon");
  const std::string salon_url = "/webhooks/calcom/c/salon";
  auto [status, booked] = Call("book-appointment", {{"service", "Erstberatung"},
                                                    {"date", "morgen"},
                                                    {"time", "10 Uhr"},
                                                    {"name", "Erika Mustermann"}});
  ASSERT_TRUE(booked["success"].get<bool>()) << booked.dump();
  const std::string praxis_uid = booked["booking_uid"];
  // The salon's secret cannot cancel or move the praxis's booking, nor claim its event type.
  const json cancel = Event("BOOKING_CANCELLED", {{"uid", praxis_uid}, {"eventTypeId", 1001}});
  auto r = Deliver(cancel, salon_secret, salon_url);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outcome"], "ignored");
  auto moved = Deliver(Event("BOOKING_RESCHEDULED", {{"uid", "stolen-1"},
                                                     {"rescheduleUid", praxis_uid},
                                                     {"eventTypeId", 1001},
                                                     {"startTime", "2026-12-02T13:00:00Z"},
                                                     {"endTime", "2026-12-02T13:30:00Z"}}),
                       salon_secret, salon_url);
  EXPECT_EQ(json::parse(moved.body)["outcome"], "ignored") << moved.body;
  auto claimed = Deliver(Event("BOOKING_CREATED", {{"uid", "claim-1"},
                                                   {"eventTypeId", 1001},
                                                   {"startTime", "2026-12-03T09:00:00Z"},
                                                   {"endTime", "2026-12-03T09:30:00Z"}}),
                         salon_secret, salon_url);
  EXPECT_EQ(json::parse(claimed.body)["outcome"], "ignored") << claimed.body;
  EXPECT_EQ(
      Count("appointments", "status = 'booked' AND calcom_booking_uid = '" + praxis_uid + "'"), 1);
  EXPECT_EQ(Count("appointments"), 1);
  // Its deliveries cannot pre-empt the platform's: the same body from the platform account
  // is not a duplicate and does cancel.
  auto real = Deliver(cancel);
  EXPECT_EQ(json::parse(real.body)["outcome"], "cancelled") << real.body;
  // The platform secret is not accepted on the salon's URL, the salon's not on the platform's,
  // and an unknown company's URL answers like a bad signature.
  EXPECT_EQ(Deliver(cancel, kCalcomSecret, salon_url).status, 401);
  EXPECT_EQ(Deliver(cancel, salon_secret).status, 401);
  EXPECT_EQ(Deliver(cancel, salon_secret, "/webhooks/calcom/c/nobody").status, 401);
  // The salon's own bookings arrive through its URL; the platform account cannot touch them.
  const json salon_created = Event("BOOKING_CREATED", {{"uid", "salon-page-1"},
                                                       {"eventTypeId", 2001},
                                                       {"startTime", "2026-12-03T09:00:00Z"},
                                                       {"endTime", "2026-12-03T09:30:00Z"}});
  EXPECT_EQ(json::parse(Deliver(salon_created).body)["outcome"], "ignored");
  EXPECT_EQ(json::parse(Deliver(salon_created, salon_secret, salon_url).body)["outcome"],
            "created");
  auto platform_cancel =
      Deliver(Event("BOOKING_CANCELLED", {{"uid", "salon-page-1"}, {"eventTypeId", 2001}}));
  EXPECT_EQ(json::parse(platform_cancel.body)["outcome"], "ignored") << platform_cancel.body;
  EXPECT_EQ(Count("appointments", "status = 'booked' AND calcom_booking_uid = 'salon-page-1'"), 1);
  // Each stored delivery is its company's, so that company's erasure requests reach it and no
  // other's do: on the salon's URL the salon's (4), on the platform's the praxis's cancellation
  // of its booking (1); the two the platform account may not touch are nobody's.
  const std::string salon = "(SELECT id FROM companies WHERE slug = 'salon')";
  EXPECT_EQ(Count("webhook_events", "source = 'calcom' AND company_id = " + salon), 4);
  EXPECT_EQ(Count("webhook_events", "source = 'calcom' AND company_id <> " + salon), 1);
  EXPECT_EQ(Count("webhook_events", "source = 'calcom' AND company_id IS NULL"), 2);
}

TEST_P(CalcomWebhooksTest, AnnouncedChangesInvalidateCachedSlots) {
  const json args = {{"service", "Erstberatung"}, {"date", "morgen"}};
  ASSERT_EQ(Call("check-availability", args).first, 200);
  const auto before = fake_->Stats().Count("slots");
  ASSERT_EQ(Call("check-availability", args).first, 200);
  ASSERT_EQ(fake_->Stats().Count("slots"), before);
  ASSERT_EQ(Deliver(Event("BOOKING_CANCELLED", {{"uid", "unknown"}, {"eventTypeId", 1001}})).status,
            200);
  ASSERT_EQ(Call("check-availability", args).first, 200);
  EXPECT_GT(fake_->Stats().Count("slots"), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, CalcomWebhooksTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

// CALLGATE_FUNCTION_LIMIT_PER_MINUTE reaches the handlers: the limit is per company and
// function, and a refusal is the standard 429 with a Retry-After in whole seconds.
class RetellFunctionLimitTest : public RetellFunctionsTest {
 protected:
  void Configure(app::Config& config) override { config.function_limit_per_minute = 3; }
};

TEST_P(RetellFunctionLimitTest, TheConfiguredLimitPerFunctionAnswers429) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("list-services", json::object()).first, 200) << i;
  auto [status, body] = Call("list-services", json::object());
  EXPECT_EQ(status, 429);
  EXPECT_EQ(body["error"]["code"], "rate_limited");
  // Another function of the same company has its own allowance.
  EXPECT_EQ(Call("get-branches", json::object()).first, 200);
  // Retry-After: whole seconds until the next request fits (3 a minute: at most 20 s).
  const json request = {{"name", "list-services"},
                        {"call",
                         {{"call_id", "call-1"},
                          {"call_type", "phone_call"},
                          {"from_number", kErika},
                          {"to_number", kMitte},
                          {"direction", "inbound"},
                          {"agent_id", "agent_1"},
                          {"call_status", "ongoing"}}},
                        {"args", json::object()}};
  auto refused = Post("/api/retell/list-services", request.dump());
  ASSERT_EQ(refused.status, 429);
  const int retry_after = std::stoi(std::string(refused.headers.Get("Retry-After").value_or("0")));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 20);
}

TEST_P(RetellFunctionLimitTest, ARequestRunAgainOnAHandlerThreadIsChargedOnce) {
  // Each day is a slot-cache miss: the attempt on the I/O thread is charged, then would wait for
  // Cal.com, and the request runs again on a handler thread without being charged again.
  const double deferred =
      app_->metrics().Value("callgate_http_inline_requests_total", {{"outcome", "deferred"}});
  for (const char* day : {"morgen", "übermorgen", "Freitag"}) {
    auto [status, body] = Call("check-availability", {{"service", "Erstberatung"}, {"date", day}});
    ASSERT_EQ(status, 200) << day << " " << body.dump();
  }
  EXPECT_EQ(app_->metrics().Value("callgate_http_inline_requests_total", {{"outcome", "deferred"}}),
            deferred + 3);
  EXPECT_EQ(Call("check-availability", {{"service", "Erstberatung"}, {"date", "Samstag"}}).first,
            429);
}

INSTANTIATE_TEST_SUITE_P(Backends, RetellFunctionLimitTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, RetellFunctionsTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
