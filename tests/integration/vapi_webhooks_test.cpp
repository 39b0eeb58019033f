// Vapi's server messages through the real HTTP server, against the local Cal.com stand-in, on
// SQLite and PostgreSQL, in the wire shapes of reference/vapi.md. Time is fixed: Monday
// 2026-11-30 08:00 in Berlin.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/digest.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kVapiSecret("vapi-platform-secret-1");
constexpr const char* kSalonSecret = "salon-vapi-secret-2";
constexpr const char* kMitte = "+493083793369";
constexpr const char* kSalonNumber = "+49401234567";
constexpr const char* kErika = "+4915112345678";

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

class VapiWebhooksTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    auto salon = tools::ParseTenantJson(R"({"companies":[{"name":"Salon Schnitt","slug":"salon",
      "vapi_secret":"salon-vapi-secret-2","calcom_api_key":"cal_salon",
      "branches":[{"name":"Hamburg","phone_numbers":["+49 40 1234567"]}]}]})");
    ASSERT_TRUE(salon.has_value()) << salon.error().message;
    ASSERT_TRUE(tools::ImportTenants(*salon, db(), clock_).has_value());

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.workers = 0;  // the tests look at the queued call analysis themselves
    config.database_url = test_database().UrlText();
    config.calcom_base_url = fake_->base_url();
    config.vapi_secret = kVapiSecret;
    config.vapi_assistant_id = "asst_platform";
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

  // Posts {"message": message} with `auth` headers; status and body.
  http::testing::ClientResponse Post(const json& message, http::Headers auth,
                                     const std::string& path = "/webhooks/vapi") {
    auth.Add("Content-Type", "application/json");
    auto r = client_->Post(path, json{{"message", message}}.dump(), auth);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r.value_or(http::testing::ClientResponse{});
  }
  static http::Headers SecretHeader(const std::string& secret) {
    http::Headers h;
    h.Add("X-Vapi-Secret", secret);
    return h;
  }
  static http::Headers Bearer(const std::string& secret) {
    http::Headers h;
    h.Add("Authorization", "Bearer " + secret);
    return h;
  }
  // Vapi's HMAC credential with its defaults: hex HMAC-SHA256 of "{timestamp}.{body}".
  http::Headers Hmac(const json& message, long long skew_seconds = 0) {
    const std::string ts = std::to_string(ToUnixMillis(clock_.Now()) / 1000 + skew_seconds);
    http::Headers h;
    h.Add("x-timestamp", ts);
    h.Add("x-signature",
          ToHex(HmacSha256(kVapiSecret.Reveal(), ts + "." + json{{"message", message}}.dump())));
    return h;
  }

  static json Call(const std::string& id, const std::string& from = kErika) {
    return {{"id", id},
            {"orgId", "0b7c4e0e-org"},
            {"type", "inboundPhoneCall"},
            {"customer", {{"number", from}}}};
  }
  static json ToolCalls(const std::string& call_id, json list, const std::string& to = kMitte) {
    return {{"type", "tool-calls"},
            {"timestamp", 1678901234567},
            {"toolCallList", list},
            {"toolWithToolCallList", json::array()},
            {"call", Call(call_id)},
            {"customer", {{"number", kErika}}},
            {"phoneNumber", {{"number", to}}},
            {"assistant", json::object()},
            {"artifact", {{"messages", json::array()}}}};
  }
  static json Function(const std::string& id, const std::string& name, json arguments) {
    return {{"id", id},
            {"type", "function"},
            {"function", {{"name", name}, {"arguments", std::move(arguments)}}}};
  }
  // The results of a tool-calls answer, each result string parsed.
  static std::vector<json> Results(const http::testing::ClientResponse& r) {
    std::vector<json> out;
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("results")) return out;
    for (const auto& result : body["results"]) {
      const std::string text = result["result"].get<std::string>();
      EXPECT_EQ(text.find('\n'), std::string::npos) << text;
      json parsed = json::parse(text, nullptr, false);
      parsed["toolCallId"] = result["toolCallId"];
      parsed["name"] = result["name"];
      out.push_back(std::move(parsed));
    }
    return out;
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

TEST_P(VapiWebhooksTest, AssistantRequestAnswersWithTheInboundVariables) {
  const json message = {{"type", "assistant-request"},
                        {"timestamp", 1678901234567},
                        {"call", Call("vapi-ar-1")},
                        {"customer", {{"number", kErika}}},
                        {"phoneNumber", {{"number", kMitte}}}};
  auto r = Post(message, SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body);
  EXPECT_EQ(body["assistantId"], "asst_platform");
  const json& vars = body["assistantOverrides"]["variableValues"];
  EXPECT_EQ(vars["company_name"], "Praxis Dr. Weber");
  EXPECT_EQ(vars["heute_datum"], "Montag, 30. November 2026");
  EXPECT_EQ(vars["morgen_wochentag"], "Dienstag");
  EXPECT_EQ(vars["caller_known"], "true");
  EXPECT_EQ(vars["caller_name"], "Erika Mustermann");
  EXPECT_EQ(vars["caller_number"], kErika);
  EXPECT_EQ(Count("calls"), 0);  // nothing stored while the phone rings
  // 8:00, before Berlin Mitte opens at 9: no one to hand the caller to.
  EXPECT_EQ(vars["transfer_number"], "");
  clock_.SetNow(Berlin(2026, 11, 30, 10));
  auto open = Post(message, SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(json::parse(open.body)["assistantOverrides"]["variableValues"]["transfer_number"],
            "+493083793300");
  // Friday 25.12., 10:00: open by the hours, but a public holiday.
  clock_.SetNow(Berlin(2026, 12, 25, 10));
  auto holiday = Post(message, SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(holiday.status, 200) << holiday.body;
  EXPECT_EQ(json::parse(holiday.body)["assistantOverrides"]["variableValues"]["transfer_number"],
            "");
}

TEST_P(VapiWebhooksTest, ToolCallsCheckAndBookWithBothArgumentShapes) {
  // Arguments as an object (DOCS), then as a JSON string (SDK).
  auto first = Post(
      ToolCalls("vapi-tc-1",
                {Function("tc_a", "check_availability",
                          {{"service", "Erstberatung"}, {"date", "morgen"}, {"time", "10 Uhr"}}),
                 Function("tc_b", "book_appointment",
                          json{{"service", "Erstberatung"},
                               {"date", "morgen"},
                               {"time", "10:00"},
                               {"name", "Erika Mustermann"}}
                              .dump())}),
      Bearer(kVapiSecret.Reveal()));
  ASSERT_EQ(first.status, 200) << first.body;
  auto results = Results(first);
  ASSERT_EQ(results.size(), 2u) << first.body;
  EXPECT_EQ(results[0]["toolCallId"], "tc_a");
  EXPECT_EQ(results[0]["name"], "check_availability");
  EXPECT_TRUE(results[0]["available"].get<bool>()) << results[0].dump();
  EXPECT_NE(results[0]["message"].get<std::string>().find("Dienstag, 1. Dezember, um 10 Uhr"),
            std::string::npos)
      << results[0].dump();
  EXPECT_EQ(results[1]["toolCallId"], "tc_b");
  ASSERT_TRUE(results[1]["success"].get<bool>()) << results[1].dump();
  EXPECT_EQ(results[1]["status"], "booked");

  auto second =
      Post(ToolCalls("vapi-tc-1",
                     {Function("tc_c", "check_availability",
                               json{{"service", "Erstberatung"}, {"date", "morgen"}}.dump()),
                      Function("tc_d", "book_appointment",
                               {{"service", "Erstberatung"},
                                {"date", "morgen"},
                                {"time", "14:30"},
                                {"name", "Erika Mustermann"}})}),
           Bearer(kVapiSecret.Reveal()));
  ASSERT_EQ(second.status, 200) << second.body;
  results = Results(second);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["toolCallId"], "tc_c");
  EXPECT_FALSE(results[0]["slots"].empty()) << results[0].dump();
  ASSERT_TRUE(results[1]["success"].get<bool>()) << results[1].dump();

  EXPECT_EQ(ActiveFakeBookings(), 2u);
  const auto bookings = fake_->Bookings();
  ASSERT_EQ(bookings.size(), 2u);
  EXPECT_EQ(bookings[0].start, Berlin(2026, 12, 1, 10));
  EXPECT_EQ(bookings[1].start, Berlin(2026, 12, 1, 14, 30));
  EXPECT_EQ(Count("appointments", "status = 'booked'"), 2);
  // The caller is the platform's customer.number: Erika, a known customer of the demo company.
  EXPECT_EQ(Count("appointments a JOIN customers c ON c.id = a.customer_id",
                  "c.phone_e164 = '+4915112345678'"),
            2);
  EXPECT_EQ(Count("calls", "retell_call_id = 'vapi-tc-1'"), 1);
}

// The platform's secret opens the demo company's number. A call id of the salon (which has a
// secret of its own) sent with that number opens nothing of the salon's call: not its caller's
// appointments, not a cancel — and the salon's own URL still serves it.
TEST_P(VapiWebhooksTest, AnotherCompanysCallIdWithThisCompanysNumberOpensNothing) {
  const std::string salon_number = "+49 40 1234567";
  auto own = Post(
      ToolCalls("salon-call-1", {Function("tc_1", "list_services", json::object())}, salon_number),
      SecretHeader("salon-vapi-secret-2"), "/webhooks/vapi/c/salon");
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_EQ(Results(own).size(), 1u) << own.body;
  ASSERT_FALSE(Results(own)[0].contains("error")) << own.body;  // the salon's (empty) offer
  ASSERT_EQ(Count("calls", "retell_call_id = 'salon-call-1'"), 1);

  for (const char* tool : {"query_customer_appointments", "cancel_appointment"}) {
    auto crossed = Post(ToolCalls("salon-call-1", {Function("tc_2", tool, json::object())}),
                        SecretHeader(kVapiSecret.Reveal()));
    EXPECT_EQ(crossed.status, 404) << tool << ": " << crossed.body;
    EXPECT_EQ(crossed.body.find("Schnitt"), std::string::npos) << crossed.body;
  }
  // Nor the other way round: the salon's number with a call of the demo company.
  auto demo = Post(ToolCalls("demo-call-1", {Function("tc_3", "list_services", json::object())}),
                   SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(demo.status, 200) << demo.body;
  auto reverse = Post(
      ToolCalls("demo-call-1", {Function("tc_4", "list_services", json::object())}, salon_number),
      SecretHeader("salon-vapi-secret-2"), "/webhooks/vapi/c/salon");
  EXPECT_EQ(reverse.status, 404) << reverse.body;
  auto again = Post(
      ToolCalls("salon-call-1", {Function("tc_5", "list_services", json::object())}, salon_number),
      SecretHeader("salon-vapi-secret-2"), "/webhooks/vapi/c/salon");
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_P(VapiWebhooksTest, AnUnknownToolIsAnsweredInItsResult) {
  auto r = Post(ToolCalls("vapi-tc-2", {Function("tc_x", "order_pizza", json::object()),
                                        Function("tc_y", "list_services", "")}),
                SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = Results(r);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["error"], "unknown_tool");
  EXPECT_TRUE(results[1]["success"].get<bool>()) << results[1].dump();
}

TEST_P(VapiWebhooksTest, CallReportsAreStoredOnceThroughTheCallPipeline) {
  const json started = {{"type", "status-update"},
                        {"status", "in-progress"},
                        {"call", Call("vapi-eoc-1")},
                        {"phoneNumber", {{"number", kMitte}}},
                        {"timestamp", 1678901234567}};
  auto r = Post(started, Hmac(started));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outcome"], "recorded");
  const json report = {
      {"type", "end-of-call-report"},
      {"endedReason", "customer-ended-call"},
      {"cost", 0.31},
      {"startedAt", "2026-11-30T07:00:00.000Z"},
      {"endedAt", "2026-11-30T07:03:20.000Z"},
      {"artifact",
       {{"transcript", "AI: Praxis Dr. Weber, guten Tag.\nUser: Ich möchte einen Termin."},
        {"messages", json::array({{{"role", "bot"}, {"message", "Praxis Dr. Weber"}}})},
        {"recordingUrl", "https://storage.vapi.example/rec.wav"}}},
      {"analysis", {{"summary", "Termin angefragt"}, {"successEvaluation", "true"}}},
      {"call", Call("vapi-eoc-1")},
      {"customer", {{"number", kErika}}},
      {"phoneNumber", {{"number", kMitte}}}};
  auto first = Post(report, Hmac(report));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body)["outcome"], "recorded");
  auto again = Post(report, SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["outcome"], "duplicate");

  EXPECT_EQ(Count("calls",
                  "retell_call_id = 'vapi-eoc-1' AND platform = 'vapi' AND "
                  "status = 'ended' AND duration_ms = 200000 AND "
                  "retell_cost_cents = 31 AND customer_id IS NOT NULL"),
            1);
  EXPECT_EQ(Count("calls", "platform = 'retell'"), 0);
  EXPECT_EQ(Count("webhook_events", "source = 'vapi'"), 2);
  EXPECT_EQ(Count("jobs", "type = 'call_analysis'"), 1);  // analysed and priced once
  // Other messages are acknowledged and stored nowhere.
  const json update = {{"type", "conversation-update"}, {"call", Call("vapi-eoc-1")}};
  EXPECT_EQ(Post(update, SecretHeader(kVapiSecret.Reveal())).status, 200);
  EXPECT_EQ(Count("webhook_events"), 2);
}

TEST_P(VapiWebhooksTest, ACallsStartIsQueuedFromTheIoThreadAndAnsweredOnceCommitted) {
  auto& m = app_->metrics();
  auto inline_requests = [&](const char* outcome) {
    return m.Value("callgate_http_inline_requests_total", {{"outcome", outcome}});
  };
  auto started = [](const std::string& id) {
    return json{{"type", "status-update"},
                {"status", "in-progress"},
                {"call", Call(id)},
                {"phoneNumber", {{"number", kMitte}}},
                {"timestamp", 1678901234567}};
  };
  // The first message of a company fills the tenancy cache on a handler thread: tried on the
  // I/O thread, run again there, written and counted once.
  auto warm = Post(started("vapi-warm"), Hmac(started("vapi-warm")));
  ASSERT_EQ(warm.status, 200) << warm.body;
  EXPECT_EQ(json::parse(warm.body)["outcome"], "recorded");
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%vapi-warm%'"), 1);
  EXPECT_EQ(
      m.Value("callgate_vapi_webhook_total", {{"event", "call_started"}, {"outcome", "recorded"}}),
      1);
  EXPECT_EQ(m.Value("callgate_vapi_auth_total", {{"outcome", "ok_hmac"}}), 1);
  EXPECT_EQ(m.Value("callgate_vapi_message_total", {{"type", "status-update"}, {"outcome", "ok"}}),
            1);

  // Once per TENANCY_CACHE_REFRESH_MS the cache's version check reads the database and that
  // message goes to a handler thread: a few tries, one of which must stay on the I/O thread.
  std::string call_id;
  for (int attempt = 0; attempt < 4 && call_id.empty(); ++attempt) {
    const double answered = inline_requests("answered");
    const double deferred = inline_requests("deferred");
    const std::string id = "vapi-io-" + std::to_string(attempt);
    auto r = Post(started(id), SecretHeader(kVapiSecret.Reveal()));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), (json{{"status", "ok"}, {"outcome", "recorded"}}));
    // Answered only once committed: another connection sees the call and its event at once.
    EXPECT_EQ(Count("calls", "retell_call_id = '" + id + "' AND platform = 'vapi'"), 1);
    EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%" + id + "%'"), 1);
    if (inline_requests("deferred") == deferred) {
      EXPECT_EQ(inline_requests("answered"), answered + 1);
      call_id = id;
    }
  }
  ASSERT_FALSE(call_id.empty()) << "every call's start went to a handler thread";
  // A redelivery is answered the same way, as a duplicate, and counted as one.
  auto again = Post(started(call_id), SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["outcome"], "duplicate");
  EXPECT_EQ(
      m.Value("callgate_vapi_webhook_total", {{"event", "call_started"}, {"outcome", "duplicate"}}),
      1);
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%" + call_id + "%'"), 1);
}

TEST_P(VapiWebhooksTest, ABatchOfToolCallsRunsOnAHandlerThreadAndEachCallOnce) {
  auto& m = app_->metrics();
  // Warm the tenancy cache and the call's context with one call alone.
  auto one = Post(ToolCalls("vapi-batch", {Function("tc_0", "list_services", "")}),
                  SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(one.status, 200) << one.body;
  const double deferred = m.Value("callgate_http_inline_requests_total", {{"outcome", "deferred"}});
  auto batch = Post(
      ToolCalls("vapi-batch",
                {Function("tc_1", "list_services", ""),
                 Function("tc_2", "check_availability",
                          {{"service", "Erstberatung"}, {"date", "morgen"}, {"time", "10 Uhr"}})}),
      SecretHeader(kVapiSecret.Reveal()));
  ASSERT_EQ(batch.status, 200) << batch.body;
  ASSERT_EQ(Results(batch).size(), 2u) << batch.body;
  // Handed on before any call ran, so none ran (or was charged or counted) twice.
  EXPECT_EQ(m.Value("callgate_http_inline_requests_total", {{"outcome", "deferred"}}),
            deferred + 1);
  EXPECT_EQ(m.Value("callgate_agent_tool_total",
                    {{"platform", "vapi"}, {"tool", "list-services"}, {"outcome", "success"}}),
            2);
  EXPECT_EQ(m.Sum("callgate_agent_tool_total",
                  [](const observability::Labels& labels) {
                    for (const auto& [k, v] : labels) {
                      if (k == "tool" && v == "check-availability") return true;
                    }
                    return false;
                  }),
            1);
}

TEST_P(VapiWebhooksTest, BadCredentialsAre401AndChangeNothing) {
  const json started = {{"type", "status-update"},
                        {"status", "in-progress"},
                        {"call", Call("vapi-401")},
                        {"phoneNumber", {{"number", kMitte}}}};
  EXPECT_EQ(Post(started, {}).status, 401);
  EXPECT_EQ(Post(started, SecretHeader("vapi-platform-secret")).status, 401);
  EXPECT_EQ(Post(started, Bearer("wrong")).status, 401);
  EXPECT_EQ(Post(started, Hmac(started, -301)).status, 401);  // stale
  json tampered = started;
  tampered["status"] = "ended";
  EXPECT_EQ(Post(tampered, Hmac(started)).status, 401);
  // A company's own secret opens only its own URL, and the platform secret not that one.
  EXPECT_EQ(Post(started, SecretHeader(kSalonSecret)).status, 401);
  EXPECT_EQ(Post(started, SecretHeader(kVapiSecret.Reveal()), "/webhooks/vapi/c/salon").status,
            401);
  EXPECT_EQ(Post(started, SecretHeader(kSalonSecret), "/webhooks/vapi/c/praxis-weber").status, 401);
  // The salon's secret on its URL naming the demo company's number: 404, nothing created.
  EXPECT_EQ(Post(started, SecretHeader(kSalonSecret), "/webhooks/vapi/c/salon").status, 404);
  EXPECT_EQ(Post(ToolCalls("vapi-401", {Function("t", "list_services", json::object())}),
                 SecretHeader(kSalonSecret), "/webhooks/vapi/c/salon")
                .status,
            404);
  EXPECT_EQ(Count("calls"), 0);
  EXPECT_EQ(Count("webhook_events"), 0);
  // The salon's own number on its URL.
  json own = started;
  own["call"]["id"] = "vapi-salon-1";
  own["phoneNumber"]["number"] = kSalonNumber;
  EXPECT_EQ(Post(own, SecretHeader(kSalonSecret), "/webhooks/vapi/c/salon").status, 200);
  EXPECT_EQ(Count("calls", "platform = 'vapi'"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, VapiWebhooksTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
