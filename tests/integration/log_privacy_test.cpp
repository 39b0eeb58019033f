// Personal data through the real server (docs/privacy.md).
// - No personal data in the logs: a whole call — inbound webhook, lifecycle webhooks with a
//   transcript, the agent's functions collecting a name and an e-mail and booking, the call
//   analysis job, admin API reads, an export and an erasure — runs while its log output is
//   captured; the output must not contain the caller's number in any written form, the e-mail
//   address or the transcript sentence (masks like +49151****678 are fine).
// - An erasure stays: the platform delivering the call's webhooks again afterwards (inside its
//   retry window: duplicates) or late (call_analyzed, live transcripts: erased) brings back
//   neither the content, nor the raw body, nor the customer. Cal.com's later deliveries about
//   the person's bookings (the cancellation the erase asked for, a reschedule by the practice)
//   are applied, and keep neither their raw bodies nor the person.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "calcom/webhook.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "retell/signature.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kKey("platform-key-123");
const Secret kCalcomSecret("whsec_privacy_test");
constexpr const char* kMitte = "+493083793369";
// The caller (a new one, unknown to the demo tenant) and what she says.
constexpr const char* kCaller = "+4917612345678";
constexpr const char* kEmail = "lieselotte.privat@example.org";
constexpr const char* kSentence = "meine Tochter hat eine Allergie gegen Penicillin";

class LogPrivacyTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(*FromLocal(LocalDateTime{2026, 11, 30, 8, 0, 0}, "Europe/Berlin"));
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    users_ = std::make_unique<auth::SqlUserRepository>(db(), clock_);
    tokens_ = std::make_unique<auth::SqlTokenRepository>(db(), clock_);
    auth::AuthSettings settings;
    settings.password_cost = auth::PasswordHashCost::Minimum();
    auth::AuthService auth(settings, *users_, *tokens_, clock_);
    auth::NewUser user;
    user.email = "root@example.com";
    user.role = auth::Role::kPlatformAdmin;
    auto created = auth.CreateUser(user);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    auto token = auth.CreateToken(created->id, {"test", std::nullopt, {}});
    ASSERT_TRUE(token.has_value());
    token_ = token->text.Reveal();

    app::Config config;
    config.listen_port = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kKey;
    config.calcom_base_url = fake_->base_url();
    config.calcom_slots_timeout_ms = 2000;
    config.calcom_webhook_secret = kCalcomSecret;
    config.log_level = "debug";
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

  int PostSigned(const std::string& path, const json& body) {
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature",
                retell::SignRetellPayload(body.dump(), kKey, ToUnixMillis(clock_.Now())));
    auto r = client_->Post(path, body.dump(), headers);
    EXPECT_TRUE(r.has_value());
    last_body_ = r ? r->body : "";
    return r ? r->status : 0;
  }
  // A Cal.com delivery about booking `uid` to the platform's URL, with the attendee's data.
  int DeliverCalcom(const std::string& trigger, const std::string& uid, json payload = {}) {
    payload["uid"] = uid;
    payload["eventTypeId"] = 1001;
    payload["attendees"] = json::array({{{"name", "Lieselotte Privat"},
                                         {"email", kEmail},
                                         {"timeZone", "Europe/Berlin"},
                                         {"phoneNumber", kCaller}}});
    const std::string raw = json{
        {"triggerEvent", trigger},
        {"createdAt", FormatIso8601Utc(clock_.Now())},
        {"payload",
         std::move(payload)}}.dump();
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Cal-Signature-256", calcom::SignCalcomPayload(raw, kCalcomSecret));
    auto r = client_->Post("/webhooks/calcom", raw, headers);
    EXPECT_TRUE(r.has_value());
    last_body_ = r ? r->body : "";
    return r ? r->status : 0;
  }
  // The caller books through the agent, as in a call: the booking's Cal.com uid.
  std::string Book() {
    EXPECT_EQ(Function("book-appointment", {{"service", "Erstberatung"},
                                            {"date", "morgen"},
                                            {"time", "10:00"},
                                            {"name", "Lieselotte Privat"},
                                            {"email", kEmail}}),
              200);
    std::string uid;
    EXPECT_TRUE(db().Run([&](storage::Session& s) -> Status {
                      s.Query("calcom_booking_uid",
                              "FROM appointments WHERE calcom_booking_uid IS NOT NULL", {},
                              [&](const storage::Row& r) { uid = r.String("calcom_booking_uid"); });
                      return Ok();
                    })
                    .has_value());
    EXPECT_FALSE(uid.empty());
    return uid;
  }

  // The `outcome` of the last signed delivery's answer.
  std::string LastOutcome() const {
    const json answer = json::parse(last_body_, nullptr, false);
    return answer.is_object() ? answer.value("outcome", "") : "";
  }

  int Admin(const std::string& method, const std::string& target, const std::string& body = "") {
    http::testing::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers.Add("Authorization", "Bearer " + token_);
    if (!body.empty()) request.headers.Add("Content-Type", "application/json");
    auto r = client_->Send(request);
    EXPECT_TRUE(r.has_value());
    return r ? r->status : 0;
  }

  json Call(const std::string& event) {
    return {{"call_type", "phone_call"},
            {"call_id", "call-log-1"},
            {"from_number", kCaller},
            {"to_number", kMitte},
            {"direction", "inbound"},
            {"agent_id", "agent_1"},
            {"call_status", event == "call_started" ? "ongoing" : "ended"},
            {"start_timestamp", ToUnixMillis(clock_.Now())},
            {"end_timestamp", ToUnixMillis(clock_.Now()) + 60000},
            {"transcript", std::string("Agent: Guten Tag.\nUser: ") + kSentence + ", " + kEmail +
                               ", meine Nummer ist 0176 12345678.\n"},
            {"call_analysis", {{"call_summary", kSentence}, {"user_sentiment", "Neutral"}}},
            {"call_cost", {{"combined_cost", 12.5}}}};
  }

  int Function(const std::string& name, const json& args) {
    return PostSigned("/api/retell/" + name, {{"name", name},
                                              {"call",
                                               {{"call_id", "call-log-1"},
                                                {"call_type", "phone_call"},
                                                {"from_number", kCaller},
                                                {"to_number", kMitte},
                                                {"direction", "inbound"},
                                                {"agent_id", "agent_1"},
                                                {"call_status", "ongoing"}}},
                                              {"args", args}});
  }

  long long Count(const std::string& from_where) {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", from_where, {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    return n.value_or(-1);
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<auth::SqlUserRepository> users_;
  std::unique_ptr<auth::SqlTokenRepository> tokens_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
  std::string token_;
  std::string last_body_;
};

TEST_P(LogPrivacyTest, AWholeCallLogsNoNumberEmailOrTranscript) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(
      PostSigned("/webhooks/retell/inbound",
                 {{"event", "call_inbound"},
                  {"call_inbound",
                   {{"agent_id", "agent_1"}, {"from_number", kCaller}, {"to_number", kMitte}}}}),
      200);
  EXPECT_EQ(
      PostSigned("/webhooks/retell", {{"event", "call_started"}, {"call", Call("call_started")}}),
      200);
  EXPECT_EQ(
      Function("collect-customer-info",
               {{"name", "Lieselotte Privat"}, {"email", kEmail}, {"phone", "0176 12345678"}}),
      200);
  EXPECT_EQ(Function("list-services", json::object()), 200);
  Book();
  EXPECT_EQ(Function("query-customer-appointments", json::object()), 200);
  // A request that fails: an unparsable number in the admin API, a refused erase.
  const std::string company = "/api/admin/companies/1";
  EXPECT_EQ(Admin("POST", company + "/customers", R"({"phone_e164":"+49 176 1234"})"), 422);
  EXPECT_EQ(PostSigned("/webhooks/retell", {{"event", "call_ended"}, {"call", Call("call_ended")}}),
            200);
  EXPECT_EQ(
      PostSigned("/webhooks/retell", {{"event", "call_analyzed"}, {"call", Call("call_analyzed")}}),
      200);
  // The queued analysis runs on the in-process workers; wait until it is done. (The booking's
  // own job waits for its time: the fake clock does not reach it.)
  for (int i = 0; i < 200 && Count("FROM jobs WHERE type = 'call_analysis'") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Admin("GET", company + "/customers"), 200);
  EXPECT_EQ(Admin("GET", company + "/calls"), 200);
  EXPECT_EQ(Admin("POST", company + "/privacy/export", json{{"phone", kCaller}}.dump()), 200);
  EXPECT_EQ(Admin("POST", company + "/privacy/erase", json{{"phone", kCaller}}.dump()), 409);
  EXPECT_EQ(Admin("POST", company + "/privacy/erase",
                  json{{"phone", kCaller}, {"cancel_future", true}}.dump()),
            200);
  const std::string logs = ::testing::internal::GetCapturedStderr();

  ASSERT_NE(logs.find("http_request"), std::string::npos) << "no log output was captured";
  for (std::string_view secret :
       {std::string_view(kCaller), std::string_view("4917612345678"),
        std::string_view("017612345678"), std::string_view("0176 12345678"),
        std::string_view(kEmail), std::string_view("lieselotte.privat"),
        std::string_view(kSentence), std::string_view("Penicillin")}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "the logs contain " << secret;
  }
  EXPECT_NE(logs.find("+49176****678"), std::string::npos);  // the masked form is used
}

TEST_P(LogPrivacyTest, AnErasureStaysWhenThePlatformDeliversTheCallAgain) {
  const std::string company = "/api/admin/companies/1";
  // The caller is a customer (as a booking would have made them); the call is linked to them.
  ASSERT_EQ(Admin("POST", company + "/customers",
                  json{{"phone_e164", kCaller}, {"name", "Lieselotte"}}.dump()),
            201);
  for (const char* event : {"call_started", "call_ended"}) {
    ASSERT_EQ(PostSigned("/webhooks/retell", {{"event", event}, {"call", Call(event)}}), 200);
  }
  // The queued analysis runs on the in-process workers.
  for (int i = 0; i < 200 && Count("FROM jobs") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string caller_rows =
      std::string("FROM customers WHERE phone_e164 = '") + kCaller + "'";
  ASSERT_EQ(Count(caller_rows), 1);
  ASSERT_EQ(Count("FROM calls WHERE retell_call_id = 'call-log-1' AND customer_id IS NOT NULL"), 1);
  ASSERT_EQ(Admin("POST", company + "/privacy/erase", json{{"phone", kCaller}}.dump()), 200);
  const std::string content =
      "FROM calls WHERE retell_call_id = 'call-log-1' AND (from_number IS NOT NULL OR transcript "
      "IS NOT NULL OR summary IS NOT NULL OR analysis IS NOT NULL OR customer_id IS NOT NULL)";
  ASSERT_EQ(Count(content), 0);
  // The raw events are emptied; their rows keep the dedupe keys.
  ASSERT_EQ(Count("FROM webhook_events WHERE payload <> ''"), 0);
  ASSERT_EQ(Count("FROM webhook_events"), 2);

  // The same deliveries again, inside the platform's retry window: duplicates.
  clock_.Advance(std::chrono::minutes(2));
  for (const char* event : {"call_started", "call_ended"}) {
    EXPECT_EQ(PostSigned("/webhooks/retell", {{"event", event}, {"call", Call(event)}}), 200);
    EXPECT_EQ(LastOutcome(), "duplicate") << event;
  }
  // Deliveries about the call that come late (the analysis, a live transcript): acknowledged,
  // and nothing is kept.
  for (const char* event : {"call_analyzed", "transcript_updated"}) {
    EXPECT_EQ(PostSigned("/webhooks/retell", {{"event", event}, {"call", Call(event)}}), 200);
    EXPECT_EQ(LastOutcome(), "erased") << event;
  }
  for (int i = 0; i < 200 && Count("FROM jobs") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Count(content), 0);
  EXPECT_EQ(Count(caller_rows), 0);
  EXPECT_EQ(Count("FROM webhook_events WHERE payload <> ''"), 0);
  EXPECT_EQ(Count("FROM webhook_events"), 2);
  EXPECT_EQ(Count("FROM failed_jobs"), 0);
  EXPECT_EQ(Count("FROM calls WHERE retell_call_id = 'call-log-1' AND erased_at IS NOT NULL"), 1);

  // A new call of the same caller is theirs to make: it is stored as any other.
  auto next = Call("call_started");
  next["call_id"] = "call-log-2";
  EXPECT_EQ(PostSigned("/webhooks/retell", {{"event", "call_started"}, {"call", next}}), 200);
  EXPECT_EQ(
      Count(std::string("FROM calls WHERE retell_call_id = 'call-log-2' AND from_number = '") +
            kCaller + "'"),
      1);
}

// The erase cancels the person's future booking in Cal.com, which then announces the
// cancellation with the attendee's name, e-mail and number: applied, kept without its body.
TEST_P(LogPrivacyTest, CalcomsCancellationAfterAnEraseKeepsNoAttendeeData) {
  const std::string uid = Book();
  ASSERT_EQ(Admin("POST", "/api/admin/companies/1/privacy/erase",
                  json{{"phone", kCaller}, {"cancel_future", true}}.dump()),
            200);
  ASSERT_EQ(Count("FROM appointments WHERE status = 'cancelled' AND erased_at IS NOT NULL AND "
                  "customer_id IS NULL"),
            1);
  const long long events = Count("FROM webhook_events");

  EXPECT_EQ(DeliverCalcom("BOOKING_CANCELLED", uid,
                          {{"status", "CANCELLED"}, {"cancellationReason", "erasure"}}),
            200);
  EXPECT_EQ(LastOutcome(), "unchanged");
  EXPECT_EQ(Count("FROM webhook_events WHERE source = 'calcom'"), 1);
  EXPECT_EQ(Count("FROM webhook_events WHERE source = 'calcom' AND payload = '' AND "
                  "company_id IS NOT NULL"),
            1);
  // Its redelivery is a duplicate; a later trigger callgate does not act on keeps nothing
  // either.
  EXPECT_EQ(DeliverCalcom("BOOKING_CANCELLED", uid,
                          {{"status", "CANCELLED"}, {"cancellationReason", "erasure"}}),
            200);
  EXPECT_EQ(LastOutcome(), "duplicate");
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(DeliverCalcom("MEETING_ENDED", uid), 200);
  EXPECT_EQ(LastOutcome(), "ignored");
  EXPECT_EQ(Count("FROM webhook_events"), events + 2);
  EXPECT_EQ(Count("FROM webhook_events WHERE payload <> ''"), 0);
  EXPECT_EQ(Count("FROM customers WHERE phone_e164 = '" + std::string(kCaller) + "'"), 0);
}

// A past booking of an erased person that the practice moves in Cal.com: the new booking is
// recorded (the calendar stays true), without the person, and is marked erased too, so its
// own later deliveries keep nothing.
TEST_P(LogPrivacyTest, ABookingMovedFromAnErasedOneStaysErased) {
  const std::string uid = Book();
  clock_.Advance(std::chrono::hours(48));  // the appointment is past: nothing to cancel
  ASSERT_EQ(Admin("POST", "/api/admin/companies/1/privacy/erase", json{{"phone", kCaller}}.dump()),
            200);
  const auto next_week = clock_.Now() + std::chrono::hours(24 * 7);
  EXPECT_EQ(DeliverCalcom("BOOKING_RESCHEDULED", "moved-" + uid,
                          {{"rescheduleUid", uid},
                           {"status", "ACCEPTED"},
                           {"startTime", FormatIso8601Utc(next_week)},
                           {"endTime", FormatIso8601Utc(next_week + std::chrono::minutes(30))}}),
            200);
  EXPECT_EQ(LastOutcome(), "rescheduled");
  EXPECT_EQ(Count("FROM appointments WHERE calcom_booking_uid = 'moved-" + uid +
                  "' AND status = 'booked' AND erased_at IS NOT NULL AND customer_id IS NULL"),
            1);
  EXPECT_EQ(DeliverCalcom("BOOKING_CANCELLED", "moved-" + uid, {{"status", "CANCELLED"}}), 200);
  EXPECT_EQ(LastOutcome(), "cancelled");
  EXPECT_EQ(Count("FROM webhook_events WHERE source = 'calcom'"), 2);
  EXPECT_EQ(Count("FROM webhook_events WHERE payload <> ''"), 0);
  EXPECT_EQ(Count("FROM customers WHERE phone_e164 = '" + std::string(kCaller) + "'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogPrivacyTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
