// The operations dashboard through the real HTTP server, on SQLite and PostgreSQL: the page is
// public and self-contained, its JSON endpoints need an admin token, platform-wide data is for
// platform admins only, the overview is scoped to the caller's company, and a failed job retried
// through the endpoint is queued again. Time is fixed: 2026-11-30 07:00 UTC.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "calcom/fake/fake_calcom.hpp"
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

constexpr const char* kTenants = R"({"companies":[
  {"name":"Praxis A","slug":"praxis-a","calcom_api_key":"cal_key_a_4711",
   "branches":[{"name":"Mitte","phone_numbers":["+49 30 1111111"]}],
   "services":[{"name":"Erstberatung","duration_minutes":30,"calcom_event_type_id":1001}]},
  {"name":"Salon B","slug":"salon-b","calcom_api_key":"cal_key_b_42",
   "branches":[{"name":"Hamburg","phone_numbers":["+49 40 2222222"]}],
   "services":[{"name":"Haarschnitt","duration_minutes":30,"calcom_event_type_id":1002}]}]})";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
  std::string content_type;
};

class DashboardTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(FromUnixMillis(1'796'022'000'000));  // 2026-11-30T07:00:00Z
    auto tenants = tools::ParseTenantJson(kTenants);
    ASSERT_TRUE(tenants.has_value()) << tenants.error().message;
    ASSERT_TRUE(tools::ImportTenants(*tenants, db(), clock_).has_value());
    company_a_ = IdOf("companies", "slug = 'praxis-a'");
    company_b_ = IdOf("companies", "slug = 'salon-b'");

    users_ = std::make_unique<auth::SqlUserRepository>(db(), clock_);
    tokens_ = std::make_unique<auth::SqlTokenRepository>(db(), clock_);
    auth::AuthSettings settings;
    settings.password_cost = auth::PasswordHashCost::Minimum();
    auth_ = std::make_unique<auth::AuthService>(settings, *users_, *tokens_, clock_);
    platform_ = TokenFor("root@example.com", auth::Role::kPlatformAdmin, std::nullopt);
    admin_a_ = TokenFor("admin@praxis-a.de", auth::Role::kCompanyAdmin, company_a_);
    viewer_a_ = TokenFor("viewer@praxis-a.de", auth::Role::kViewer, company_a_);

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());

    app::Config config;
    config.listen_port = 0;
    config.database_url = DatabaseUrl();
    config.calcom_base_url = fake_->base_url();
    config.workers = 0;  // retried jobs stay queued where the test can see them
    config.run_scheduler = false;
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

  std::string DatabaseUrl() { return test_database().UrlText(); }

  std::int64_t IdOf(const std::string& table, const std::string& where) {
    auto id = db().Run([&](storage::Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("id", "FROM " + table + " WHERE " + where + " ORDER BY id", {},
              [&](const storage::Row& r) {
                if (out == 0) out = r.Int64("id");
              });
      return out;
    });
    EXPECT_TRUE(id.has_value() && *id > 0) << table << " " << where;
    return id.value_or(0);
  }

  long long Count(const std::string& table, const std::string& where) {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", "FROM " + table + " WHERE " + where, {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    EXPECT_TRUE(n.has_value());
    return n.value_or(-1);
  }

  void Exec(const std::string& sql, const storage::Params& params) {
    auto done = db().Run([&](storage::Session& s) -> Status {
      s.Execute(sql, params);
      return Ok();
    });
    ASSERT_TRUE(done.has_value()) << done.error().message;
  }

  std::int64_t InsertCall(std::int64_t company, const std::string& retell_id,
                          SystemTimePoint created, std::optional<int> successful) {
    Exec(
        "INSERT INTO calls (company_id, retell_call_id, direction, from_number, status, "
        "call_successful, created_at, updated_at) VALUES (:c, :r, 'inbound', '+4915112345678', "
        "'ended', :s, :t, :u)",
        storage::Params().Add(company).Add(retell_id).Add(successful).Add(created).Add(created));
    return IdOf("calls", "retell_call_id = '" + retell_id + "'");
  }

  void InsertAppointment(std::int64_t company, std::optional<std::int64_t> call,
                         SystemTimePoint created, const std::string& status = "booked") {
    const SystemTimePoint start = created + std::chrono::hours(24);
    Exec(
        "INSERT INTO appointments (company_id, call_id, starts_at, ends_at, timezone, status, "
        "source, created_at, updated_at) VALUES (:c, :call, :s, :e, 'Europe/Berlin', :st, "
        "'phone_agent', :t, :u)",
        storage::Params()
            .Add(company)
            .Add(call)
            .Add(start)
            .Add(start + std::chrono::minutes(30))
            .Add(status)
            .Add(created)
            .Add(created));
  }

  std::int64_t InsertFailedJob(const std::string& type) {
    const SystemTimePoint now = clock_.Now();
    Exec(
        "INSERT INTO failed_jobs (job_id, queue, type, payload, attempts, error, request_id, "
        "failed_at, created_at, updated_at) VALUES (99, 'low', :type, '{\"x\":1}', 3, "
        "'boom: upstream said no', 'req-dash-1', :f, :c, :u)",
        storage::Params().Add(type).Add(now).Add(now).Add(now));
    return IdOf("failed_jobs", "type = '" + type + "'");
  }

  std::string TokenFor(const std::string& email, auth::Role role,
                       std::optional<std::int64_t> company) {
    auth::NewUser user;
    user.email = email;
    user.role = role;
    if (company) user.company_id = tenancy::CompanyId(*company);
    auto created = auth_->CreateUser(user);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    auto token = auth_->CreateToken(created->id, {"test", std::nullopt, {}});
    EXPECT_TRUE(token.has_value()) << token.error().message;
    return token->text.Reveal();
  }

  Answer Call(const std::string& method, const std::string& target,
              const std::optional<std::string>& token) {
    http::testing::ClientRequest request;
    request.method = method;
    request.target = target;
    if (token) request.headers.Add("Authorization", "Bearer " + *token);
    auto r = client_->Send(request);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.raw = r->body;
    if (auto ct = r->headers.Get("Content-Type")) a.content_type = std::string(*ct);
    a.body = json::parse(r->body, nullptr, false);
    return a;
  }

  static const json* CompanyRow(const json& overview, std::int64_t id) {
    for (const auto& c : overview["companies"]) {
      if (c["company_id"] == id) return &c;
    }
    return nullptr;
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<auth::SqlUserRepository> users_;
  std::unique_ptr<auth::SqlTokenRepository> tokens_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
  std::int64_t company_a_ = 0, company_b_ = 0;
  std::string platform_, admin_a_, viewer_a_;
};

TEST_P(DashboardTest, ServesTheSelfContainedPageWithoutAToken) {
  auto page = Call("GET", "/dashboard", std::nullopt);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(page.raw.find("/api/admin/dashboard/overview"), std::string::npos);
  EXPECT_NE(page.raw.find("sessionStorage"), std::string::npos);
  // No external resources: nothing is loaded from another origin.
  EXPECT_EQ(page.raw.find("http://"), std::string::npos);
  EXPECT_EQ(page.raw.find("https://"), std::string::npos);
}

TEST_P(DashboardTest, EndpointsNeedATokenAndPlatformDataNeedsAPlatformAdmin) {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/api/admin/dashboard/overview"},
      {"GET", "/api/admin/dashboard/system"},
      {"GET", "/api/admin/dashboard/failed-jobs"},
      {"POST", "/api/admin/dashboard/failed-jobs/1/retry"}};
  for (const auto& [method, path] : endpoints) {
    EXPECT_EQ(Call(method, path, std::nullopt).status, 401) << path;
    EXPECT_EQ(Call(method, path, "cg_not-a-real-token").status, 401) << path;
  }
  for (const auto& [method, path] : endpoints) {
    if (path.ends_with("/overview")) continue;
    EXPECT_EQ(Call(method, path, admin_a_).status, 403) << path;
    EXPECT_EQ(Call(method, path, viewer_a_).status, 403) << path;
  }
  EXPECT_EQ(Call("GET", "/api/admin/dashboard/overview", viewer_a_).status, 200);
  auto system = Call("GET", "/api/admin/dashboard/system", platform_);
  ASSERT_EQ(system.status, 200) << system.raw;
  EXPECT_TRUE(system.body["traffic"].contains("latency_ms"));
  EXPECT_TRUE(system.body["traffic"]["latency_ms"].contains("p99"));
  EXPECT_TRUE(system.body["queues"].is_array());
  EXPECT_TRUE(system.body["circuit_breakers"].is_array());
  EXPECT_TRUE(system.body["alerts"].is_array());
}

TEST_P(DashboardTest, OverviewCountsTodayPerCompanyAndScopesCompanyUsers) {
  const SystemTimePoint now = clock_.Now();
  const auto call_a = InsertCall(company_a_, "call_a_booked", now - std::chrono::hours(1), 1);
  InsertCall(company_a_, "call_a_plain", now - std::chrono::minutes(5), 0);
  InsertCall(company_a_, "call_a_yesterday", now - std::chrono::hours(9), 1);  // 22:00 UTC
  InsertCall(company_b_, "call_b_today", now - std::chrono::minutes(30), std::nullopt);
  InsertAppointment(company_a_, call_a, now - std::chrono::hours(1));
  InsertAppointment(company_a_, std::nullopt, now - std::chrono::hours(2), "cancelled");
  InsertAppointment(company_b_, std::nullopt, now - std::chrono::hours(20));  // yesterday

  auto all = Call("GET", "/api/admin/dashboard/overview", platform_);
  ASSERT_EQ(all.status, 200) << all.raw;
  ASSERT_NE(CompanyRow(all.body, company_a_), nullptr);
  ASSERT_NE(CompanyRow(all.body, company_b_), nullptr);
  EXPECT_EQ((*CompanyRow(all.body, company_a_))["calls_today"], 2);
  EXPECT_EQ((*CompanyRow(all.body, company_a_))["bookings_today"], 1);
  EXPECT_EQ((*CompanyRow(all.body, company_b_))["calls_today"], 1);
  EXPECT_EQ((*CompanyRow(all.body, company_b_))["bookings_today"], 0);
  EXPECT_EQ(all.body["totals"]["calls_today"], 3);
  ASSERT_EQ(all.body["recent_calls"].size(), 4u);
  std::map<std::string, std::string> outcome;
  for (const auto& c : all.body["recent_calls"]) outcome[c["retell_call_id"]] = c["outcome"];
  EXPECT_EQ(outcome["call_a_booked"], "booked");
  EXPECT_EQ(outcome["call_a_plain"], "unsuccessful");
  EXPECT_EQ(outcome["call_b_today"], "ended");
  // The platform's staff see callers' numbers masked; the company's own users in full.
  for (const auto& c : all.body["recent_calls"]) EXPECT_EQ(c["from_number"], "+49151****678");
  EXPECT_EQ(all.raw.find("+4915112345678"), std::string::npos);

  for (const auto& token : {admin_a_, viewer_a_}) {
    auto mine = Call("GET", "/api/admin/dashboard/overview", token);
    ASSERT_EQ(mine.status, 200) << mine.raw;
    EXPECT_EQ(mine.body["companies"].size(), 1u);
    EXPECT_EQ(CompanyRow(mine.body, company_b_), nullptr);
    EXPECT_EQ(mine.body["totals"]["calls_today"], 2);
    EXPECT_EQ(mine.body["recent_calls"].size(), 3u);
    for (const auto& c : mine.body["recent_calls"]) {
      EXPECT_EQ(c["company_id"], company_a_);
      EXPECT_EQ(c["from_number"], "+4915112345678");
    }
    EXPECT_EQ(mine.raw.find("Salon B"), std::string::npos);
    EXPECT_EQ(mine.raw.find("call_b_today"), std::string::npos);
  }
  // It shows callers' numbers: each read is audited, for the reader's company.
  EXPECT_EQ(Count("audit_events",
                  "action = 'dashboard.overview' AND company_id = " + std::to_string(company_a_)),
            2);
  EXPECT_EQ(Count("audit_events", "action = 'dashboard.overview' AND company_id IS NULL"), 1);
}

// The overview shows a company's users their callers' numbers and callback reasons: it is
// answered only once that access is on record. Without the audit log it is 503 with none of it.
TEST_P(DashboardTest, TheOverviewIsRefusedWhileItsAccessCannotBeRecorded) {
  InsertCall(company_a_, "call_a_audit", clock_.Now() - std::chrono::minutes(5), 0);
  Answer refused;
  {
    storage::testing::TableAway away(db(), "audit_events");
    refused = Call("GET", "/api/admin/dashboard/overview", admin_a_);
  }
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.raw.find("4915112345678"), std::string::npos) << refused.raw;
  EXPECT_EQ(refused.raw.find("call_a_audit"), std::string::npos) << refused.raw;
  auto answered = Call("GET", "/api/admin/dashboard/overview", admin_a_);
  ASSERT_EQ(answered.status, 200) << answered.raw;
  EXPECT_NE(answered.raw.find("call_a_audit"), std::string::npos);
}

TEST_P(DashboardTest, OverviewShowsOpenCallbacksPerBranchAndMarksTheOverdueOnes) {
  const SystemTimePoint now = clock_.Now();  // Monday 8:00 Berlin; the branches have no hours
  const auto mitte = IdOf("branches", "name = 'Mitte'");
  const auto hamburg = IdOf("branches", "name = 'Hamburg'");
  auto note = [&](std::int64_t company, std::optional<std::int64_t> branch, const std::string& name,
                  SystemTimePoint due, const std::string& status = "open") {
    Exec(
        "INSERT INTO callback_requests (company_id, branch_id, phone, name, reason, status, "
        "due_at, created_at, updated_at) VALUES (:c, :b, '+4915112345678', :n, 'Rückfrage', :s, "
        ":d, :t, :u)",
        storage::Params().Add(company).Add(branch).Add(name).Add(status).Add(due).Add(now).Add(
            now));
  };
  // Without opening hours the SLA (2 hours) is wall-clock time.
  note(company_a_, mitte, "Erika", now - std::chrono::hours(3));  // overdue for an hour
  note(company_a_, mitte, "Hans", now - std::chrono::hours(1));   // an hour left
  note(company_a_, mitte, "Ina", now - std::chrono::hours(9), "in_progress");
  note(company_a_, std::nullopt, "Jonas", now - std::chrono::hours(10));
  note(company_a_, mitte, "Karl", now - std::chrono::hours(8), "completed");
  note(company_b_, hamburg, "Max", now - std::chrono::hours(5));

  auto all = Call("GET", "/api/admin/dashboard/overview", platform_);
  ASSERT_EQ(all.status, 200) << all.raw;
  const json& platform = all.body["callbacks"];
  EXPECT_EQ(platform["open"], 4);
  EXPECT_EQ(platform["overdue"], 3);
  EXPECT_EQ(platform["sla"]["minutes"], 120);
  ASSERT_EQ(platform["branches"].size(), 3u);
  EXPECT_TRUE(platform["next"].empty());  // the numbers to call are the companies' business

  auto mine = Call("GET", "/api/admin/dashboard/overview", viewer_a_);
  ASSERT_EQ(mine.status, 200) << mine.raw;
  const json& own = mine.body["callbacks"];
  EXPECT_EQ(own["open"], 3);
  EXPECT_EQ(own["overdue"], 2);
  ASSERT_EQ(own["branches"].size(), 2u);
  const json* branch = nullptr;
  for (const auto& b : own["branches"]) {
    if (b["branch_id"] == mitte) branch = &b;
  }
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ((*branch)["branch_name"], "Mitte");
  EXPECT_EQ((*branch)["company_name"], "Praxis A");
  EXPECT_EQ((*branch)["open"], 2);
  EXPECT_EQ((*branch)["overdue"], 1);
  EXPECT_EQ((*branch)["oldest_overdue_due"], FormatIso8601Utc(now - std::chrono::hours(3)));
  // The next ones to call, in due order: open and in progress, overdue ones marked.
  std::vector<std::string> names;
  for (const auto& c : own["next"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Jonas", "Ina", "Erika", "Hans"}));
  EXPECT_TRUE(own["next"][0]["overdue"].get<bool>());
  EXPECT_FALSE(own["next"][1]["overdue"].get<bool>());  // someone is calling
  EXPECT_TRUE(own["next"][2]["overdue"].get<bool>());
  EXPECT_FALSE(own["next"][3]["overdue"].get<bool>());
  EXPECT_EQ(own["next"][2]["phone"], "+4915112345678");
  EXPECT_EQ(mine.raw.find("Max"), std::string::npos);
  EXPECT_EQ(mine.raw.find("Hamburg"), std::string::npos);
}

TEST_P(DashboardTest, RetryingAFailedJobQueuesItAgain) {
  const auto failed = InsertFailedJob("dashboard_probe");
  auto list = Call("GET", "/api/admin/dashboard/failed-jobs", platform_);
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["id"], failed);
  EXPECT_EQ(list.body["items"][0]["type"], "dashboard_probe");
  EXPECT_FALSE(list.body["items"][0].contains("payload"));
  auto before = Call("GET", "/api/admin/dashboard/system", platform_);
  EXPECT_EQ(before.body["failed_jobs"], 1);

  const std::string retry = "/api/admin/dashboard/failed-jobs/" + std::to_string(failed) + "/retry";
  EXPECT_EQ(Call("POST", retry, admin_a_).status, 403);
  EXPECT_EQ(Count("failed_jobs", "id = " + std::to_string(failed)), 1);
  auto retried = Call("POST", retry, platform_);
  ASSERT_EQ(retried.status, 200) << retried.raw;
  EXPECT_EQ(retried.body["retried"], failed);
  EXPECT_GT(retried.body["job_id"].get<std::int64_t>(), 0);

  EXPECT_EQ(Count("failed_jobs", "id = " + std::to_string(failed)), 0);
  EXPECT_EQ(Count("audit_events", "action = 'failed_jobs.retry' AND target = 'failed_job:" +
                                      std::to_string(failed) + "'"),
            1);
  auto after = Call("GET", "/api/admin/dashboard/failed-jobs", platform_);
  EXPECT_TRUE(after.body["items"].empty());
  auto system = Call("GET", "/api/admin/dashboard/system", platform_);
  EXPECT_EQ(system.body["failed_jobs"], 0);
  std::int64_t low_ready = -1;
  for (const auto& q : system.body["queues"]) {
    if (q["queue"] == "low")
      low_ready = q["ready"].get<std::int64_t>() + q["delayed"].get<std::int64_t>();
  }
  EXPECT_EQ(low_ready, 1) << system.raw;

  EXPECT_EQ(Call("POST", retry, platform_).status, 404);  // already retried
  EXPECT_EQ(Call("POST", "/api/admin/dashboard/failed-jobs/abc/retry", platform_).status, 400);
}

TEST_P(DashboardTest, TrafficLeavesOutTheDashboardsOwnPolling) {
  EXPECT_EQ(Call("GET", "/health", std::nullopt).status, 200);
  EXPECT_EQ(Call("GET", "/health", std::nullopt).status, 200);
  // The access-log hook runs after the response is written: wait for it to count.
  for (int i = 0; i < 100 && app_->metrics().Sum("callgate_http_requests_total",
                                                 [](const auto&) { return true; }) < 2;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto first = Call("GET", "/api/admin/dashboard/system", platform_);
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body["traffic"]["requests_total"], 2);
  EXPECT_EQ(first.body["traffic"]["errors_total"], 0);
  EXPECT_EQ(first.body["traffic"]["latency_ms"]["count"], 2);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(Call("GET", "/health", std::nullopt).status, 200);
  for (int i = 0; i < 100 && app_->metrics().Sum("callgate_http_requests_total",
                                                 [](const auto& l) {
                                                   for (const auto& [k, v] : l)
                                                     if (k == "route" && v == "/health")
                                                       return true;
                                                   return false;
                                                 }) < 3;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto second = Call("GET", "/api/admin/dashboard/system", platform_);
  EXPECT_EQ(second.body["traffic"]["requests"], 1);
  EXPECT_DOUBLE_EQ(second.body["traffic"]["request_rate_per_s"].get<double>(), 0.1);
  EXPECT_EQ(second.body["traffic"]["error_rate"], 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, DashboardTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
