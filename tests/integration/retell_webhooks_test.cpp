// Retell webhooks through the real HTTP server: signatures, tenants, idempotency.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
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

const Secret kPlatformKey("platform-key-123");
const Secret kOwnKey("salon-own-key-456");

class RetellWebhooksTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    auto salon = tools::ParseTenantJson(R"({"companies":[{"name":"Salon Schnitt","slug":"salon",
      "retell_api_key":"salon-own-key-456","branches":[{"name":"Hamburg",
      "transfer_number":"040 7654321","phone_numbers":["+49 40 1234567"]}]}]})");
    ASSERT_TRUE(salon.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    ASSERT_TRUE(tools::ImportTenants(*salon, db(), clock_).has_value());

    fake_ = std::make_unique<calcom::fake::FakeCalcom>();
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.calcom_base_url = fake_->base_url();
    config.workers = 0;  // these tests look at the queued jobs themselves
    config.database_url = test_database().UrlText();
    config.retell_api_key = kPlatformKey;
    // simulate-call plays two whole calls back to back: room for them in the Cal.com budget, so
    // none of their times is an unconfirmed fallback.
    config.calcom_budget_burst = 100;
    auto application = app::Application::Create(config, system_clock_);
    ASSERT_TRUE(application.has_value()) << application.error().message;
    app_ = std::move(*application);
    ASSERT_TRUE(app_->Start().has_value());
    client_ = std::make_unique<TestClient>(app_->port());
  }
  void TearDown() override {
    if (app_) app_->Stop();
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  Result<http::testing::ClientResponse> PostSigned(const std::string& path, const std::string& body,
                                                   const Secret& key = kPlatformKey,
                                                   long long skew_ms = 0) {
    const auto ts = ToUnixMillis(system_clock_.Now()) + skew_ms;
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature", retell::SignRetellPayload(body, key, ts));
    return client_->Post(path, body, headers);
  }

  static std::string CallEvent(const std::string& event, const std::string& call_id,
                               const std::string& to = "+493083793369") {
    return json{{"event", event},
                {"call",
                 {{"call_type", "phone_call"},
                  {"from_number", "+4915112345678"},
                  {"to_number", to},
                  {"direction", "inbound"},
                  {"call_id", call_id},
                  {"agent_id", "agent_1"},
                  {"call_status", event == "call_started" ? "ongoing" : "ended"},
                  {"start_timestamp", 1714608475945},
                  {"end_timestamp", 1714608491736},
                  {"duration_ms", 15791},
                  {"transcript", "Agent: Grüß Gott!\nUser: Guten Tag, Jürgen Weiß hier.\n"},
                  {"call_cost", {{"combined_cost", 12.5}}}}}}
        .dump();
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

  SystemClock system_clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
};

TEST_P(RetellWebhooksTest, AcceptsEveryLifecycleEvent) {
  for (const char* event : {"call_started", "transcript_updated", "call_ended", "call_analyzed",
                            "transfer_started", "brand_new_event"}) {
    auto r = PostSigned("/webhooks/retell", CallEvent(event, "call-all"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 200) << event << ": " << r->body;
  }
  EXPECT_EQ(Count("calls", "retell_call_id = 'call-all' AND status = 'ended'"), 1);
  EXPECT_EQ(Count("jobs", "type = 'call_analysis'"), 2);  // after call_ended and call_analyzed
}

TEST_P(RetellWebhooksTest, GroupCommitsAndCheckpointsAreCountedInTheMetrics) {
  for (const char* call_id : {"call-m1", "call-m2"}) {
    auto r = PostSigned("/webhooks/retell", CallEvent("call_started", call_id));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // SQLite commits every webhook's transaction in a group; PostgreSQL groups the platform
  // events a call_started is (call_ended, which enqueues a job, is a transaction of its own).
  const bool sqlite = db().dialect() == storage::Dialect::kSqlite;
  const observability::Labels writes{{"writes", sqlite ? "transactions" : "call_events"}};
  auto& m = app_->metrics();
  EXPECT_GE(m.Value("callgate_storage_group_commits_total", writes), 1);
  EXPECT_GE(m.Value("callgate_storage_group_commit_writes_total", writes), 2);
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE callgate_storage_group_commits_total counter"), std::string::npos);
  // The SQLite log's checkpoints, failures included, on SQLite only.
  const auto has = [&](const std::string& series) {
    return text.find(series + " ") != std::string::npos;
  };
  EXPECT_EQ(has(R"(callgate_sqlite_checkpoints_total{outcome="failed"})"), sqlite);
  EXPECT_EQ(has(R"(callgate_sqlite_checkpoints_total{outcome="done"})"), sqlite);
  EXPECT_EQ(has(R"(callgate_sqlite_checkpoints_total{outcome="by_commit"})"), sqlite);
}

// A webhook announcing a body over CALLGATE_MAX_BODY_BYTES is refused from its headers, before
// its signature or body is looked at: nothing is stored, and the refusal shows in the metrics
// (it reaches no handler, so no access log line or request counter sees it).
TEST_P(RetellWebhooksTest, AnOversizedWebhookIsRefusedFromItsHeadersAndCounted) {
  const auto refused = [&] { return app_->metrics().Value("callgate_http_bodies_refused_total"); };
  EXPECT_EQ(refused(), 0);
  auto connection = http::testing::RawConnection::Connect(app_->port());
  ASSERT_TRUE(connection.has_value());
  const std::string body = CallEvent("call_started", "call-oversized");
  ASSERT_TRUE(connection->Send(
      "POST /webhooks/retell HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nX-Retell-Signature: " +
      retell::SignRetellPayload(body, kPlatformKey, ToUnixMillis(system_clock_.Now())) +
      "\r\nContent-Length: " + std::to_string(2 * 1024 * 1024 + 1) + "\r\n\r\n" + body));
  EXPECT_TRUE(connection->WaitForClose(std::chrono::seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_EQ(refused(), 1);
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%call-oversized%'"), 0);
  EXPECT_EQ(Count("calls", "retell_call_id = 'call-oversized'"), 0);
  EXPECT_NE(
      app_->metrics().RenderPrometheus().find("# TYPE callgate_http_bodies_refused_total counter"),
      std::string::npos);
}

// A signed webhook whose chunked body a lenient parser would frame one way and a proxy another
// (a bare LF in a chunk extension) is refused before its body is read: nothing of it, nor of
// the event hidden behind it, is stored, and the refusal shows in the metrics.
TEST_P(RetellWebhooksTest, AWebhookWithALooselyFramedChunkIsRefusedAndCounted) {
  const auto refused = [&] {
    return app_->metrics().Value("callgate_http_malformed_requests_total");
  };
  EXPECT_EQ(refused(), 0);
  const auto signed_request = [&](const std::string& body, const std::string& framing) {
    return "POST /webhooks/retell HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "X-Retell-Signature: " +
           retell::SignRetellPayload(body, kPlatformKey, ToUnixMillis(system_clock_.Now())) +
           "\r\n" + framing;
  };
  const std::string hidden_body = CallEvent("call_started", "call-hidden");
  const std::string hidden =
      signed_request(hidden_body, "Content-Length: " + std::to_string(hidden_body.size()) +
                                      "\r\n\r\n" + hidden_body);
  const std::string body = CallEvent("call_started", "call-loose");
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  auto connection = http::testing::RawConnection::Connect(app_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send(signed_request(body, "Transfer-Encoding: chunked\r\n\r\n") + size +
                               ";x\n" + body + "\r\n0\r\n\r\n" + hidden));
  EXPECT_TRUE(connection->WaitForClose(std::chrono::seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 400 ", 0), 0u) << connection->received();
  EXPECT_EQ(refused(), 1);
  EXPECT_EQ(Count("calls", "retell_call_id IN ('call-loose', 'call-hidden')"), 0);
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%call-loose%'"), 0);
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%call-hidden%'"), 0);
  // The same webhook framed by the grammar is stored.
  auto framed = http::testing::RawConnection::Connect(app_->port());
  ASSERT_TRUE(framed.has_value());
  ASSERT_TRUE(framed->Send(signed_request(body, "Transfer-Encoding: chunked\r\n\r\n") + size +
                           "\r\n" + body + "\r\n0\r\n\r\n"));
  const auto answer = framed->ReadResponse(std::chrono::seconds(15));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(Count("calls", "retell_call_id = 'call-loose'"), 1);
  EXPECT_EQ(refused(), 1);
}

TEST_P(RetellWebhooksTest, CallStartedIsQueuedFromTheIoThreadAndAnsweredOnceCommitted) {
  auto& m = app_->metrics();
  auto inline_requests = [&](const char* outcome) {
    return m.Value("callgate_http_inline_requests_total", {{"outcome", outcome}});
  };
  // The first request of a company fills the tenancy cache on a handler thread.
  auto warm = PostSigned("/webhooks/retell", CallEvent("call_started", "call-warm"));
  ASSERT_TRUE(warm.has_value()) << warm.error().message;
  ASSERT_EQ(warm->status, 200) << warm->body;
  // Tried on the I/O thread, run again on a handler thread: written once, recorded (not a
  // duplicate of its own first attempt), counted once.
  EXPECT_EQ(json::parse(warm->body)["outcome"], "recorded");
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%call-warm%'"), 1);
  EXPECT_EQ(m.Value("callgate_retell_webhook_total",
                    {{"event", "call_started"}, {"outcome", "recorded"}}),
            1);

  // Once per TENANCY_CACHE_REFRESH_MS the cache's version check reads the database, and that
  // request goes to a handler thread: a few tries, one of which must stay on the I/O thread.
  std::string call_id;
  double answered = 0, deferred = 0;
  for (int attempt = 0; attempt < 4 && call_id.empty(); ++attempt) {
    answered = inline_requests("answered");
    deferred = inline_requests("deferred");
    const std::string id = "call-io-" + std::to_string(attempt);
    auto started = PostSigned("/webhooks/retell", CallEvent("call_started", id));
    ASSERT_TRUE(started.has_value()) << started.error().message;
    EXPECT_EQ(started->status, 200) << started->body;
    EXPECT_EQ(json::parse(started->body), (json{{"status", "ok"}, {"outcome", "recorded"}}));
    EXPECT_TRUE(started->headers.Get("X-Request-Id").has_value());
    // Answered only once committed: another connection sees the call and its event at once.
    EXPECT_EQ(Count("calls", "retell_call_id = '" + id + "' AND status = 'ongoing'"), 1);
    EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%" + id + "%'"), 1);
    if (inline_requests("deferred") == deferred) call_id = id;
  }
  ASSERT_FALSE(call_id.empty()) << "every call_started went to a handler thread";
  // Counted among the later answers when the write was committed after the handler returned
  // (or before, when the group was that fast): the counter is there either way.
  EXPECT_NE(m.RenderPrometheus().find("# TYPE callgate_http_later_answers_total counter"),
            std::string::npos);
  // Verified, parsed and queued on the I/O thread; answered later, by no handler thread.
  EXPECT_EQ(inline_requests("answered"), answered + 1);

  // A redelivery is answered the same way, as a duplicate.
  auto again = PostSigned("/webhooks/retell", CallEvent("call_started", call_id));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(json::parse(again->body)["outcome"], "duplicate");
  EXPECT_EQ(Count("webhook_events", "dedupe_key LIKE '%" + call_id + "%'"), 1);

  // call_ended is written in a transaction with its analysis job: run on a handler thread.
  const double deferred_before_end = inline_requests("deferred");
  auto ended = PostSigned("/webhooks/retell", CallEvent("call_ended", call_id));
  ASSERT_TRUE(ended.has_value()) << ended.error().message;
  EXPECT_EQ(ended->status, 200) << ended->body;
  EXPECT_GE(inline_requests("deferred"), deferred_before_end + 1);
  EXPECT_EQ(Count("calls", "retell_call_id = '" + call_id + "' AND status = 'ended'"), 1);
  EXPECT_EQ(Count("jobs", "type = 'call_analysis'"), 1);
}

TEST_P(RetellWebhooksTest, RejectsMissingBadAndStaleSignaturesAndStoresNothing) {
  const std::string body = CallEvent("call_started", "call-401");
  auto missing = client_->Post("/webhooks/retell", body, {});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "unauthenticated");
  auto wrong_key = PostSigned("/webhooks/retell", body, Secret("not-the-key"));
  EXPECT_EQ(wrong_key->status, 401);
  auto stale = PostSigned("/webhooks/retell", body, kPlatformKey, -300'001 - 5'000);
  EXPECT_EQ(stale->status, 401);
  http::Headers tampered;
  tampered.Add("X-Retell-Signature",
               retell::SignRetellPayload(body, kPlatformKey, ToUnixMillis(system_clock_.Now())));
  auto changed = client_->Post("/webhooks/retell", body + " ", tampered);
  EXPECT_EQ(changed->status, 401);
  auto inbound = client_->Post("/webhooks/retell/inbound", "{}", {});
  EXPECT_EQ(inbound->status, 401);

  EXPECT_EQ(Count("calls"), 0);
  EXPECT_EQ(Count("webhook_events"), 0);
  auto& m = app_->metrics();
  EXPECT_EQ(m.Value("callgate_retell_signature_total", {{"outcome", "missing"}}), 2);
  EXPECT_EQ(m.Value("callgate_retell_signature_total", {{"outcome", "mismatch"}}), 2);
  EXPECT_EQ(m.Value("callgate_retell_signature_total", {{"outcome", "stale"}}), 1);
}

TEST_P(RetellWebhooksTest, UnknownNumberIs404AndCreatesNothing) {
  auto r = PostSigned("/webhooks/retell", CallEvent("call_started", "call-404", "+4989999999"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "not_found");
  EXPECT_EQ(Count("calls"), 0);
  EXPECT_EQ(Count("webhook_events"), 0);
  auto inbound = PostSigned(
      "/webhooks/retell/inbound",
      R"({"event":"call_inbound","call_inbound":{"from_number":"+4915112345678","to_number":"+4989999999"}})");
  EXPECT_EQ(inbound->status, 404);
}

TEST_P(RetellWebhooksTest, RedeliveryAnswers2xxAndChangesNothing) {
  const std::string body = CallEvent("call_ended", "call-dup");
  auto first = PostSigned("/webhooks/retell", body);
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(json::parse(first->body)["outcome"], "recorded");
  auto again = PostSigned("/webhooks/retell", body);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(json::parse(again->body)["outcome"], "duplicate");
  EXPECT_EQ(Count("calls"), 1);
  EXPECT_EQ(Count("webhook_events"), 1);
  EXPECT_EQ(Count("jobs", "type = 'call_analysis'"), 1);
}

TEST_P(RetellWebhooksTest, ConcurrentDuplicateDeliveriesCreateExactlyOneCall) {
  const std::string body = CallEvent("call_ended", "call-race");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = PostSigned("/webhooks/retell", body);
      if (r && r->status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(Count("calls"), 1);
  EXPECT_EQ(Count("webhook_events"), 1);
  EXPECT_EQ(Count("jobs", "type = 'call_analysis'"), 1);
}

TEST_P(RetellWebhooksTest, CompanyKeyVerifiesOnlyItsOwnUrl) {
  const std::string salon_call = CallEvent("call_started", "call-salon", "+49401234567");
  // The company's own key on its URL: accepted.
  auto own = PostSigned("/webhooks/retell/c/salon", salon_call, kOwnKey);
  EXPECT_EQ(own->status, 200) << own->body;
  // The platform key does not verify a company URL whose company has its own key …
  auto platform_on_company =
      PostSigned("/webhooks/retell/c/salon", CallEvent("call_ended", "call-salon", "+49401234567"));
  EXPECT_EQ(platform_on_company->status, 401);
  // … the company key does not verify the platform URL …
  auto own_on_platform = PostSigned("/webhooks/retell",
                                    CallEvent("call_ended", "call-salon", "+49401234567"), kOwnKey);
  EXPECT_EQ(own_on_platform->status, 401);
  // … nor another company's URL, and events for another company's number are refused there.
  auto own_on_other =
      PostSigned("/webhooks/retell/c/praxis-weber", CallEvent("call_started", "call-x"), kOwnKey);
  EXPECT_EQ(own_on_other->status, 401);
  auto foreign_number =
      PostSigned("/webhooks/retell/c/salon", CallEvent("call_started", "call-y"), kOwnKey);
  EXPECT_EQ(foreign_number->status, 404);
  auto unknown_company = PostSigned("/webhooks/retell/c/nobody", salon_call, kOwnKey);
  EXPECT_EQ(unknown_company->status, 401);
  EXPECT_EQ(Count("calls"), 1);
}

TEST_P(RetellWebhooksTest, ToleratesUnknownFields) {
  json body = json::parse(CallEvent("call_started", "call-extra"));
  body["call"]["brand_new_field"] = {{"nested", true}};
  body["top_level_extra"] = 42;
  auto r = PostSigned("/webhooks/retell", body.dump());
  EXPECT_EQ(r->status, 200) << r->body;
  auto not_json = PostSigned("/webhooks/retell", "this is not json");
  EXPECT_GE(not_json->status, 400);
  EXPECT_LT(not_json->status, 500);
}

TEST_P(RetellWebhooksTest, InboundAnswersWithDynamicVariables) {
  auto r =
      PostSigned("/webhooks/retell/inbound",
                 R"({"event":"call_inbound","event_timestamp":1,"call_inbound":{"agent_id":"a",)"
                 R"("from_number":"+4915112345678","to_number":"+493083793369"}})");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  const auto vars = json::parse(r->body)["call_inbound"]["dynamic_variables"];
  EXPECT_EQ(vars["company_name"], "Praxis Dr. Weber");
  EXPECT_EQ(vars["branch_name"], "Berlin Mitte");
  EXPECT_EQ(vars["caller_name"], "Erika Mustermann");
  for (const auto& [k, v] : vars.items()) EXPECT_TRUE(v.is_string()) << k;

  // A branch without opening hours hands callers to its transfer number at any hour.
  auto salon =
      PostSigned("/webhooks/retell/inbound/c/salon",
                 R"({"event":"call_inbound","event_timestamp":1,"call_inbound":{"agent_id":"a",)"
                 R"("from_number":"+4915112345678","to_number":"+49401234567"}})",
                 kOwnKey);
  ASSERT_TRUE(salon.has_value());
  ASSERT_EQ(salon->status, 200) << salon->body;
  EXPECT_EQ(json::parse(salon->body)["call_inbound"]["dynamic_variables"]["transfer_number"],
            "+49407654321");
}

// On a closing day (the company's or the branch's own) there is no transfer to a person, and the
// greeting's next free times skip it.
TEST_P(RetellWebhooksTest, OnAClosingDayNobodyIsTransferredAndNoTimeIsOffered) {
  auto iso = [&](int days_ahead) {
    auto l = ToLocal(system_clock_.Now() + std::chrono::hours(24 * days_ahead), "Europe/Berlin");
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d", l->year, l->month, l->day);
    return std::string(text);
  };
  // Two days around now, so the test holds at any hour (a day boundary between the two reads).
  const tenancy::ClosingDays closed{iso(-1), iso(2), "Betriebsferien"};
  storage::SqlCompanyRepository companies(db(), system_clock_);
  auto salon = companies.FindBySlug("salon");
  ASSERT_TRUE(salon.has_value());
  salon->closing_days = {closed};
  ASSERT_TRUE(companies.Update(salon->id, tenancy::SetTo(*salon)).has_value());
  auto practice = companies.FindBySlug("praxis-weber");
  ASSERT_TRUE(practice.has_value());
  storage::SqlBranchRepository branches(db(), system_clock_);
  auto mitte = branches.FindByName(practice->id, "Berlin Mitte");
  ASSERT_TRUE(mitte.has_value());
  mitte->closing_days = {closed};
  ASSERT_TRUE(branches.Update(practice->id, mitte->id, tenancy::SetTo(*mitte)).has_value());

  auto inbound = [&](const std::string& path, const std::string& to, const Secret& key) {
    auto r =
        PostSigned(path,
                   R"({"event":"call_inbound","event_timestamp":1,"call_inbound":{"agent_id":"a",)"
                   R"("from_number":"+4915112345678","to_number":")" +
                       to + R"("}})",
                   key);
    EXPECT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["call_inbound"]["dynamic_variables"];
  };
  // The salon's branch has no opening hours: it would transfer at any hour, but not today.
  EXPECT_EQ(inbound("/webhooks/retell/inbound/c/salon", "+49401234567", kOwnKey)["transfer_number"],
            "");
  // Berlin Mitte's own closing days: no transfer, and no free time today or tomorrow.
  const auto vars = inbound("/webhooks/retell/inbound", "+493083793369", kPlatformKey);
  EXPECT_EQ(vars["transfer_number"], "");
  ASSERT_TRUE(vars.contains("naechste_termine")) << vars.dump();
  EXPECT_EQ(vars["naechste_termine"], "Erstberatung: heute und morgen keine freien Termine");
}

// Runs `callgate simulate-call` against the app; the exit status and everything it printed.
std::pair<int, std::string> Simulate(int port, const std::string& call_id) {
  const std::string cmd = std::string(CALLGATE_BINARY) +
                          " simulate-call --url http://127.0.0.1:" + std::to_string(port) +
                          " --key " + kPlatformKey.Reveal() + " --call-id " + call_id + " 2>&1";
  std::string output;
  int status = -1;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
    status = ::pclose(p);
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST_P(RetellWebhooksTest, SimulateCallPlaysAWholeCall) {
  // Twice for the same caller: each run books, moves and cancels its own appointment and
  // leaves nothing booked behind.
  for (const std::string call_id : {"sim-e2e", "sim-e2e-2"}) {
    const auto [status, output] = Simulate(app_->port(), call_id);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("call_analyzed"), std::string::npos) << output;
    EXPECT_NE(output.find("Praxis Dr. Weber"), std::string::npos) << output;
    EXPECT_NE(output.find("verschoben"), std::string::npos) << output;
    EXPECT_EQ(Count("appointments", "status IN ('booked', 'pending_sync')"), 0) << output;
  }
  EXPECT_EQ(Count("appointments", "status = 'cancelled'"), 2);
  EXPECT_EQ(Count("calls",
                  "retell_call_id = 'sim-e2e' AND status = 'ended' AND summary IS NOT "
                  "NULL AND sentiment = 'Positive'"),
            1);
}

TEST_P(RetellWebhooksTest, SimulateCallFailsWhenAStepIsRefused) {
  // A change policy that allows no move at all: the confirmed move is answered 200 with
  // success=false, and simulate-call must say so and exit non-zero.
  auto changed = db().Run([](storage::Session& s) -> Result<long long> {
    return s.Execute("UPDATE companies SET reschedule_notice_hours = 100000");
  });
  ASSERT_TRUE(changed && *changed > 0);
  const auto [status, output] = Simulate(app_->port(), "sim-refused");
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("reschedule-appointment was refused"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Backends, RetellWebhooksTest, storage::testing::AllBackendsAndPgBouncer(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
