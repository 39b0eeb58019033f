// Event types with several lengths, through the agent's book tool against the Cal.com stand-in,
// on SQLite and PostgreSQL: the create asks for the service's length (`lengthInMinutes`) where
// the event type offers several, never where it has one, and the appointment keeps the end
// Cal.com answered — also when the answer was lost and the booking was found by reconciliation,
// and when the booking was completed later by the pending-booking job. Time is fixed: Monday
// 2026-11-30 08:00 in Berlin.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "pending_booking_retry.hpp"
#include "retell_tool_call.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;
using namespace std::chrono_literals;

const Secret kKey("platform-key-123");
constexpr const char* kPhysio = "+49431555000";
constexpr const char* kCaller = "+4915112345678";
// 3001 offers 30 (default), 45 and 60 minutes; 3002 has one length of 30 minutes.
constexpr std::int64_t kSeveral = 3001;
constexpr std::int64_t kSingle = 3002;

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

class CalcomLengthsTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    auto physio = tools::ParseTenantJson(R"({"companies":[{"name":"Physio Nord","slug":"physio",
      "calcom_api_key":"cal_physio","branches":[{"name":"Kiel","phone_numbers":["+49 431 555000"]}],
      "services":[{"name":"Massage","duration_minutes":45,"calcom_event_type_id":3001},
                  {"name":"Fango","duration_minutes":60,"calcom_event_type_id":3001},
                  {"name":"Lymphdrainage","duration_minutes":30,"calcom_event_type_id":3002},
                  {"name":"Kurzbehandlung","duration_minutes":20,"calcom_event_type_id":3002}]}]})");
    ASSERT_TRUE(physio.has_value()) << physio.error().message;
    ASSERT_TRUE(tools::ImportTenants(*physio, db(), clock_).has_value());

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    auto several = fake_options.event_types.front();  // 30 minutes, Mon–Fri 09:00–18:00
    several.id = kSeveral;
    several.slug = "massage";
    several.length_options = {30, 45, 60};
    auto single = fake_options.event_types.front();
    single.id = kSingle;
    single.slug = "lymphdrainage";
    fake_options.event_types = {several, single};
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kKey;
    config.calcom_base_url = fake_->base_url();
    config.calcom_bookings_timeout_ms = 700;
    config.calcom_slots_timeout_ms = 2000;
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

  // Calls the book tool the way Retell does.
  std::pair<int, json> Book(const std::string& service, const std::string& time,
                            const std::string& call_id) {
    const json args = {
        {"service", service}, {"date", "morgen"}, {"time", time}, {"name", "Erika Mustermann"}};
    return testing::CallRetellTool(*client_, kKey, clock_.Now(), "book-appointment", args, call_id,
                                   kCaller, kPhysio);
  }

  // The stored appointment's status and end.
  std::pair<std::string, SystemTimePoint> Stored(long long appointment_id) {
    std::pair<std::string, SystemTimePoint> out;
    auto read = db().Run([&](storage::Session& s) -> Status {
      s.Query("status, ends_at", "FROM appointments WHERE id = :id",
              storage::Params().Add(static_cast<std::int64_t>(appointment_id)),
              [&](const storage::Row& r) {
                out = {r.String("status"), r.Time("ends_at")};
              });
      return Ok();
    });
    EXPECT_TRUE(read.has_value());
    return out;
  }

  // The `lengthInMinutes` of every create the stand-in received, in order (0 = none sent).
  std::vector<int> SentLengths() {
    std::vector<int> out;
    for (const auto& r : fake_->Requests()) {
      if (r.endpoint != "bookings_create") continue;
      const json body = json::parse(r.body, nullptr, false);
      out.push_back(body.is_object() ? body.value("lengthInMinutes", 0) : -1);
    }
    return out;
  }

  const calcom::fake::FakeBooking* FakeBookingAt(SystemTimePoint start) {
    bookings_ = fake_->Bookings();
    for (const auto& b : bookings_) {
      if (b.start == start && b.status != "cancelled") return &b;
    }
    return nullptr;
  }

  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 150; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return done();
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
  std::vector<calcom::fake::FakeBooking> bookings_;
};

TEST_P(CalcomLengthsTest, TheServicesLengthIsBookedAndItsEndStored) {
  // Massage (45 min) on the event type with several lengths: 10:30 lies on its 45-minute grid.
  auto [status, massage] = Book("Massage", "10:30", "call-massage");
  ASSERT_EQ(status, 200) << massage.dump();
  ASSERT_TRUE(massage["success"].get<bool>()) << massage.dump();
  EXPECT_EQ(massage["status"], "booked");
  const auto start = Berlin(2026, 12, 1, 10, 30);
  const auto* booked = FakeBookingAt(start);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->end, start + 45min);  // not the event type's default of 30
  auto stored = Stored(massage["appointment_id"].get<long long>());
  EXPECT_EQ(stored.first, "booked");
  EXPECT_EQ(stored.second, booked->end);

  // Fango (60 min) on the same event type books 60 minutes.
  auto [s2, fango] = Book("Fango", "15 Uhr", "call-fango");
  ASSERT_EQ(s2, 200) << fango.dump();
  ASSERT_TRUE(fango["success"].get<bool>()) << fango.dump();
  const auto* hour = FakeBookingAt(Berlin(2026, 12, 1, 15));
  ASSERT_NE(hour, nullptr);
  EXPECT_EQ(hour->end - hour->start, 60min);
  EXPECT_EQ(Stored(fango["appointment_id"].get<long long>()).second, hour->end);

  // Lymphdrainage on the event type with one length: no lengthInMinutes (Cal.com would refuse
  // it), the event type's length is booked.
  auto [s3, single] = Book("Lymphdrainage", "11 Uhr", "call-single");
  ASSERT_EQ(s3, 200) << single.dump();
  ASSERT_TRUE(single["success"].get<bool>()) << single.dump();
  const auto* one = FakeBookingAt(Berlin(2026, 12, 1, 11));
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->end - one->start, 30min);
  EXPECT_EQ(Stored(single["appointment_id"].get<long long>()).second, one->end);

  EXPECT_EQ(SentLengths(), (std::vector<int>{45, 60, 0}));
  // The account's event types were listed once for the three bookings.
  EXPECT_EQ(fake_->Stats().Count("event_types"), 1u);
}

TEST_P(CalcomLengthsTest, ALostAnswerIsReconciledWithTheStoredEnd) {
  auto behavior = fake_->behavior();
  behavior.commit_delay_ms = 1500;  // booked at once, answered after the 700 ms budget
  behavior.fault_endpoint = "bookings_create";
  fake_->SetBehavior(behavior);
  // 14:15 lies on the 45-minute grid (09:00, 09:45, … 13:30, 14:15).
  auto [status, body] = Book("Massage", "14:15", "call-timeout");
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_TRUE(body["success"].get<bool>()) << body.dump();
  // Found by listing the bookings that start with it; the stored end is Cal.com's.
  EXPECT_EQ(body["status"], "booked");
  const auto start = Berlin(2026, 12, 1, 14, 15);
  const auto* booked = FakeBookingAt(start);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->end, start + 45min);
  auto stored = Stored(body["appointment_id"].get<long long>());
  EXPECT_EQ(stored.first, "booked");
  EXPECT_EQ(stored.second, booked->end);
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 1u);  // no second create
}

// A service shorter than its event type's one length: Cal.com books the event type's 30 minutes
// for the 20-minute service. When the answer is lost, the search for the booking must still find
// it although it ends after the service would; otherwise the call hears "pending" and the job's
// second create collides with the booking the first one made.
TEST_P(CalcomLengthsTest, ALostAnswerIsFoundAlsoWhenCalcomBookedLongerThanTheService) {
  auto behavior = fake_->behavior();
  behavior.commit_delay_ms = 1500;  // booked at once, answered after the 700 ms budget
  behavior.fault_endpoint = "bookings_create";
  fake_->SetBehavior(behavior);
  auto [status, body] = Book("Kurzbehandlung", "16 Uhr", "call-short");
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_TRUE(body["success"].get<bool>()) << body.dump();
  EXPECT_EQ(body["status"], "booked") << body.dump();
  const auto start = Berlin(2026, 12, 1, 16);
  const auto* booked = FakeBookingAt(start);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->end, start + 30min);
  const auto stored = Stored(body["appointment_id"].get<long long>());
  EXPECT_EQ(stored.first, "booked");
  EXPECT_EQ(stored.second, booked->end);
  EXPECT_EQ(fake_->Stats().Count("bookings_create"), 1u);
}

TEST_P(CalcomLengthsTest, APendingBookingAsksForTheSameLength) {
  auto behavior = fake_->behavior();
  behavior.forced_status = 503;
  behavior.fault_endpoint = "bookings_create";
  fake_->SetBehavior(behavior);
  auto [status, body] = Book("Massage", "12 Uhr", "call-pending");
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["status"], "pending_sync") << body.dump();
  // The job queued with the hold runs once the call's own request is long over (and fails);
  // Cal.com comes back and the backoff passes.
  clock_.Advance(2min);
  ASSERT_TRUE(Eventually([&] { return testing::PendingBookingAwaitsRetry(db()); }));
  fake_->SetBehavior(calcom::fake::FakeCalcomBehavior{});
  clock_.Advance(2min);
  const long long id = body["appointment_id"].get<long long>();
  EXPECT_TRUE(Eventually([&] { return Stored(id).first == "booked"; }));
  const auto start = Berlin(2026, 12, 1, 12);
  const auto* booked = FakeBookingAt(start);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->end, start + 45min);
  EXPECT_EQ(Stored(id).second, booked->end);
  const auto lengths = SentLengths();
  ASSERT_FALSE(lengths.empty());
  EXPECT_EQ(lengths.back(), 45);
}

INSTANTIATE_TEST_SUITE_P(Backends, CalcomLengthsTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
