// The MCP endpoint through the real HTTP server, against the local Cal.com stand-in, on SQLite
// and PostgreSQL: the official MCP client (npm @modelcontextprotocol/sdk, Client +
// StreamableHTTPClientTransport, run by node from tests/sdk) connects with an agent token,
// lists the tools, checks availability and books; a second company's agent sees nothing of the
// first; the wire rules (tokens, roles, Origin, sessions, GET) over raw HTTP; and the agent
// user and token made by the real binary. Time is fixed: Monday 2026-11-30 08:00 in Berlin.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/credentials.hpp"
#include "auth/sql_repositories.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "mcp/agent_tools.hpp"
#include "retell/signature.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;
namespace fs = std::filesystem;

const Secret kKey("platform-key-mcp");
const fs::path kSdkDir = fs::path(CALLGATE_SOURCE_DIR) / "tests/sdk";
constexpr const char* kMitte = "+493083793369";
constexpr const char* kErika = "+4915112345678";

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

std::string Output(const std::string& cmd, int* exit_code = nullptr) {
  std::string out;
  int status = -1;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    status = ::pclose(p);
  }
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string LastLine(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// The text of a tools/call result (its first content block).
std::string TextOf(const json& result) {
  if (!result.contains("content") || result["content"].empty()) return "";
  return result["content"][0].value("text", "");
}

class McpTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    // Praxis Dr. Weber (demo: two branches) and Salon Schnitt (one branch).
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    auto salon = tools::ParseTenantJson(R"({"companies":[{"name":"Salon Schnitt","slug":"salon",
      "calcom_api_key":"cal_salon","branches":[{"name":"Hamburg","address":"Jungfernstieg 1",
      "business_hours":{"mon":["09:00","18:00"],"tue":["09:00","18:00"],"wed":["09:00","18:00"],
                        "thu":["09:00","18:00"],"fri":["09:00","18:00"]},
      "phone_numbers":["+49 40 1234567"]}],
      "services":[{"name":"Haarschnitt","duration_minutes":30,"calcom_event_type_id":2001}],
      "customers":[{"name":"Max Muster","phone":"+49 151 99990000"}]}]})");
    ASSERT_TRUE(salon.has_value());
    ASSERT_TRUE(tools::ImportTenants(*salon, db(), clock_).has_value());
    weber_ = IdOf("companies", "slug = 'praxis-weber'");
    salon_ = IdOf("companies", "slug = 'salon'");

    users_ = std::make_unique<auth::SqlUserRepository>(db(), clock_);
    tokens_ = std::make_unique<auth::SqlTokenRepository>(db(), clock_);
    auth::AuthSettings settings;
    settings.password_cost = auth::PasswordHashCost::Minimum();
    auth_ = std::make_unique<auth::AuthService>(settings, *users_, *tokens_, clock_);
    agent_weber_ = TokenFor("agent@praxis-weber.de", auth::Role::kAgent, weber_);
    agent_salon_ = TokenFor("agent@salon.de", auth::Role::kAgent, salon_);
    admin_weber_ = TokenFor("admin@praxis-weber.de", auth::Role::kCompanyAdmin, weber_);

    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
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
    config.calcom_slots_timeout_ms = 2000;
    config.mcp_allowed_origins = {"https://console.example.com"};
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

  long long Count(const std::string& table, const std::string& where = "") {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", "FROM " + table + (where.empty() ? "" : " WHERE " + where), {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    return n.value_or(-1);
  }

  std::string TokenFor(const std::string& email, auth::Role role, std::int64_t company) {
    auth::NewUser user;
    user.email = email;
    user.role = role;
    user.company_id = tenancy::CompanyId(company);
    auto created = auth_->CreateUser(user);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    auto token = auth_->CreateToken(created->id, {"test", std::nullopt, {}});
    EXPECT_TRUE(token.has_value()) << token.error().message;
    return token->text.Reveal();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(app_->port()) + "/mcp"; }

  // Runs tests/sdk/mcp-client.mjs (the official SDK) with `plan` and returns its report.
  json RunClient(json plan) {
    plan["url"] = Url();
    const fs::path file = fs::temp_directory_path() / ("cg-mcp-plan-" + std::to_string(::getpid()) +
                                                       "-" + std::to_string(++plans_) + ".json");
    std::ofstream(file) << plan.dump();
    int exit_code = -1;
    const std::string out =
        Output("node '" + (kSdkDir / "mcp-client.mjs").string() + "' '" + file.string() + "' 2>&1",
               &exit_code);
    fs::remove(file);
    EXPECT_EQ(exit_code, 0) << out;
    json report = json::parse(LastLine(out), nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << out;
    return report.is_discarded() ? json::object() : report;
  }

  // A call that the signed Retell webhook announced: Erika calls Berlin Mitte.
  std::string StartRetellCall(const std::string& call_id) {
    const json body = {{"event", "call_started"},
                       {"call",
                        {{"call_id", call_id},
                         {"call_type", "phone_call"},
                         {"from_number", kErika},
                         {"to_number", kMitte},
                         {"direction", "inbound"},
                         {"agent_id", "agent_1"},
                         {"call_status", "ongoing"},
                         {"start_timestamp", ToUnixMillis(clock_.Now())}}}};
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature",
                retell::SignRetellPayload(body.dump(), kKey, ToUnixMillis(clock_.Now())));
    auto r = client_->Post("/webhooks/retell", body.dump(), headers);
    EXPECT_TRUE(r.has_value() && r->status < 300) << (r ? r->body : r.error().message);
    return call_id;
  }

  // One raw request.
  http::testing::ClientResponse Raw(const std::string& method, const std::string& target,
                                    const std::string& body,
                                    std::vector<std::pair<std::string, std::string>> headers) {
    http::testing::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    for (auto& [name, value] : headers) request.headers.Add(name, value);
    auto r = client_->Send(request);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r.value_or(http::testing::ClientResponse{});
  }

  http::testing::ClientResponse Initialize(
      const std::string& token, std::vector<std::pair<std::string, std::string>> extra = {}) {
    extra.emplace_back("Content-Type", "application/json");
    extra.emplace_back("Accept", "application/json, text/event-stream");
    if (!token.empty()) extra.emplace_back("Authorization", "Bearer " + token);
    return Raw("POST", "/mcp",
               R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{)"
               R"("protocolVersion":"2025-11-25","capabilities":{},)"
               R"("clientInfo":{"name":"raw","version":"1"}}})",
               extra);
  }

  bool SdkMissing() {
    if (fs::exists(kSdkDir / "node_modules/@modelcontextprotocol/sdk")) return false;
    if (std::getenv("CI") != nullptr) {
      ADD_FAILURE() << "@modelcontextprotocol/sdk not installed in tests/sdk";
    }
    return true;
  }

  std::int64_t weber_ = 0, salon_ = 0;
  std::string agent_weber_, agent_salon_, admin_weber_;
  int plans_ = 0;
  std::unique_ptr<auth::SqlUserRepository> users_;
  std::unique_ptr<auth::SqlTokenRepository> tokens_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
};

TEST_P(McpTest, OfficialClientConnectsListsChecksAndBooks) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  const json report = RunClient({{"token", agent_weber_},
                                 {"list", true},
                                 {"terminate", true},
                                 {"calls",
                                  {{{"name", "check_availability"},
                                    {"arguments",
                                     {{"service", "Erstberatung"},
                                      {"date", "morgen"},
                                      {"time", "10:00"},
                                      {"branch", "Berlin Mitte"}}}},
                                   {{"name", "book_appointment"},
                                    {"arguments",
                                     {{"service", "Erstberatung"},
                                      {"date", "morgen"},
                                      {"time", "10:00"},
                                      {"name", "Jonas Neumann"},
                                      {"phone", "+49 151 55555555"},
                                      {"branch", "Berlin Mitte"}}}}}}});
  ASSERT_FALSE(report.contains("connectError")) << report.dump();
  EXPECT_EQ(report["protocolVersion"], "2025-11-25");
  EXPECT_EQ(report["server"]["name"], "callgate");
  EXPECT_EQ(report["sessionId"].get<std::string>().size(), 64u);
  EXPECT_EQ(report["terminated"], true);

  // The tools of the shared table, with their schemas and hints; the offer and new-booking
  // tools take a branch.
  std::map<std::string, json> tools;
  for (const auto& tool : report["tools"]) tools[tool["name"].get<std::string>()] = tool;
  ASSERT_TRUE(tools.contains("check_availability")) << report["tools"].dump();
  ASSERT_TRUE(tools.contains("book_appointment"));
  ASSERT_TRUE(tools.contains("query_customer_appointments"));
  EXPECT_EQ(tools["check_availability"]["inputSchema"]["type"], "object");
  EXPECT_TRUE(tools["check_availability"]["inputSchema"]["properties"].contains("branch"));
  EXPECT_TRUE(tools["book_appointment"]["inputSchema"]["properties"].contains("branch"));
  EXPECT_FALSE(
      tools["query_customer_appointments"]["inputSchema"]["properties"].contains("branch"));
  EXPECT_EQ(tools["check_availability"]["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(tools["book_appointment"]["annotations"]["readOnlyHint"], false);
  EXPECT_EQ(tools["cancel_appointment"]["annotations"]["destructiveHint"], true);

  ASSERT_EQ(report["results"].size(), 2u);
  const json& check = report["results"][0];
  EXPECT_EQ(check["isError"], false) << check.dump();
  EXPECT_NE(TextOf(check).find("10 Uhr"), std::string::npos) << TextOf(check);
  EXPECT_EQ(check["structuredContent"]["available"], true) << check.dump();
  const json& booked = report["results"][1];
  EXPECT_EQ(booked["isError"], false) << booked.dump();
  EXPECT_EQ(booked["structuredContent"]["success"], true) << booked.dump();
  EXPECT_EQ(json::parse(TextOf(booked), nullptr, false), booked["structuredContent"]);
  EXPECT_EQ(report.dump().find("database"), std::string::npos);

  // Booked in company A's calendar, at Berlin Mitte, as a new contact without a call.
  const auto mitte = IdOf("branches", "name = 'Berlin Mitte'");
  EXPECT_EQ(Count("appointments", "company_id = " + std::to_string(weber_) +
                                      " AND branch_id = " + std::to_string(mitte) +
                                      " AND status = 'booked' AND call_id IS NULL"),
            1);
  ASSERT_EQ(fake_->Bookings().size(), 1u);
  EXPECT_EQ(fake_->Bookings()[0].start, Berlin(2026, 12, 1, 10));
}

TEST_P(McpTest, SeveralBranchesAndNoneGivenNamesThemAndAsks) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  const json report = RunClient(
      {{"token", agent_weber_},
       {"calls",
        {{{"name", "check_availability"},
          {"arguments", {{"service", "Erstberatung"}, {"date", "morgen"}}}},
         {{"name", "check_availability"},
          {"arguments", {{"service", "Erstberatung"}, {"date", "morgen"}, {"branch", "Spandau"}}}},
         {{"name", "get_branches"}, {"arguments", json::object()}}}}});
  ASSERT_EQ(report["results"].size(), 3u) << report.dump();
  const json& asks = report["results"][0];
  EXPECT_EQ(asks["isError"], false) << asks.dump();
  EXPECT_NE(TextOf(asks).find("Berlin Mitte"), std::string::npos) << TextOf(asks);
  EXPECT_NE(TextOf(asks).find("Berlin Charlottenburg"), std::string::npos);
  EXPECT_EQ(asks["structuredContent"]["branches"].size(), 2u);
  const json& unknown = report["results"][1];
  EXPECT_EQ(unknown["isError"], true) << unknown.dump();
  EXPECT_NE(TextOf(unknown).find("Spandau"), std::string::npos);
  // Listing the branches needs no branch.
  EXPECT_EQ(report["results"][2]["isError"], false) << report["results"][2].dump();
  EXPECT_EQ(Count("appointments"), 0);
}

TEST_P(McpTest, SecondCompanysAgentSeesNothingOfTheFirst) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  const std::string weber_call = StartRetellCall("call_weber_1");
  const json report =
      RunClient({{"token", agent_salon_},
                 {"headers", {{"X-Call-Id", weber_call}}},
                 {"list", true},
                 {"calls",
                  {{{"name", "list_services"}, {"arguments", json::object()}},
                   {{"name", "query_customer_appointments"}, {"arguments", json::object()}},
                   {{"name", "get_branches"}, {"arguments", json::object()}}}}});
  ASSERT_EQ(report["results"].size(), 3u) << report.dump();
  const std::string all = report["results"].dump();
  for (const char* weber_text : {"Erstberatung", "Berlin Mitte", "Erika", "Praxis"}) {
    EXPECT_EQ(all.find(weber_text), std::string::npos) << weber_text << " in " << all;
  }
  // Company A's call id is unknown to company B.
  for (const auto& result : report["results"]) {
    EXPECT_EQ(result["isError"], true) << result.dump();
  }
  EXPECT_EQ(Count("calls"), 1);

  // Without the foreign call id, B's tools answer for B.
  const json own =
      RunClient({{"token", agent_salon_},
                 {"calls",
                  {{{"name", "list_services"}, {"arguments", json::object()}},
                   {{"name", "query_customer_appointments"}, {"arguments", json::object()}}}}});
  ASSERT_EQ(own["results"].size(), 2u) << own.dump();
  EXPECT_EQ(own["results"][0]["isError"], false) << own.dump();
  EXPECT_NE(TextOf(own["results"][0]).find("Haarschnitt"), std::string::npos);
  EXPECT_EQ(TextOf(own["results"][0]).find("Erstberatung"), std::string::npos);
  // The caller's own data needs a known call.
  EXPECT_EQ(own["results"][1]["isError"], true);
  EXPECT_NE(TextOf(own["results"][1]).find("X-Call-Id"), std::string::npos);
}

TEST_P(McpTest, KnownCallOpensTheCallersOwnData) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  const std::string call = StartRetellCall("call_weber_2");
  const json report =
      RunClient({{"token", agent_weber_},
                 {"headers", {{"X-Call-Id", call}}},
                 {"calls",
                  {{{"name", "book_appointment"},
                    {"arguments",
                     {{"service", "Erstberatung"},
                      {"date", "morgen"},
                      {"time", "11:00"},
                      {"name", "Erika Mustermann"}}}},
                   {{"name", "query_customer_appointments"}, {"arguments", json::object()}}}}});
  ASSERT_EQ(report["results"].size(), 2u) << report.dump();
  EXPECT_EQ(report["results"][0]["isError"], false) << report.dump();
  const json& mine = report["results"][1];
  EXPECT_EQ(mine["isError"], false) << mine.dump();
  EXPECT_EQ(mine["structuredContent"]["appointments"].size(), 1u) << mine.dump();
  EXPECT_EQ(Count("appointments", "call_id IS NOT NULL"), 1);
}

TEST_P(McpTest, AnOldCallNoLongerOpensTheCallersData) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  const std::string call = StartRetellCall("call_weber_3");
  auto ask = [&] {
    return RunClient(
        {{"token", agent_weber_},
         {"headers", {{"X-Call-Id", call}}},
         {"calls", {{{"name", "query_customer_appointments"}, {"arguments", json::object()}}}}});
  };
  const json fresh = ask();
  ASSERT_EQ(fresh["results"].size(), 1u) << fresh.dump();
  EXPECT_NE(fresh["results"][0]["structuredContent"].value("error", ""), "unknown_call")
      << fresh.dump();
  // Never ended, started longer ago than any phone call lasts: the id opens nothing.
  clock_.Advance(mcp::kOngoingCallWindow + std::chrono::minutes(1));
  const json stale = ask();
  ASSERT_EQ(stale["results"].size(), 1u) << stale.dump();
  EXPECT_EQ(stale["results"][0]["isError"], true) << stale.dump();
  EXPECT_EQ(stale["results"][0]["structuredContent"]["error"], "unknown_call") << stale.dump();
}

TEST_P(McpTest, TokensRolesOriginSessionsAndMethodsOnTheWire) {
  // No token, a bad one: 401 with a Bearer challenge.
  auto none = Initialize("");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.Get("WWW-Authenticate").value_or("").rfind("Bearer", 0), 0u);
  auto bad = Initialize("cg_not_a_token");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.headers.Get("WWW-Authenticate").value_or("").rfind("Bearer", 0), 0u);
  // An admin's token does not open /mcp; an agent's opens nothing of the admin API.
  EXPECT_EQ(Initialize(admin_weber_).status, 403);
  for (const char* path : {"/api/admin/me", "/api/admin/companies", "/api/availability/quick",
                           "/api/admin/dashboard/overview"}) {
    auto refused = Raw("GET", path, "", {{"Authorization", "Bearer " + agent_weber_}});
    EXPECT_EQ(refused.status, 403) << path << " " << refused.body;
  }
  const std::string company = "/api/admin/companies/" + std::to_string(weber_);
  EXPECT_EQ(Raw("PATCH", company, R"({"name":"X"})",
                {{"Authorization", "Bearer " + agent_weber_}, {"Content-Type", "application/json"}})
                .status,
            403);

  // Origin: absent or allowed passes, anything else is 403.
  EXPECT_EQ(Initialize(agent_weber_, {{"Origin", "https://console.example.com"}}).status, 200);
  EXPECT_EQ(Initialize(agent_weber_, {{"Origin", "https://evil.example"}}).status, 403);

  auto opened = Initialize(agent_weber_);
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string session(opened.headers.Get("Mcp-Session-Id").value_or(""));
  ASSERT_EQ(session.size(), 64u);
  auto ping = [&](const std::string& token, const std::string& id) {
    std::vector<std::pair<std::string, std::string>> h = {{"Authorization", "Bearer " + token},
                                                          {"Content-Type", "application/json"},
                                                          {"MCP-Protocol-Version", "2025-11-25"}};
    if (!id.empty()) h.emplace_back("Mcp-Session-Id", id);
    return Raw("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", h);
  };
  EXPECT_EQ(ping(agent_weber_, session).status, 200);
  EXPECT_EQ(ping(agent_weber_, "").status, 400);
  EXPECT_EQ(ping(agent_weber_, std::string(64, 'f')).status, 404);
  EXPECT_EQ(ping(agent_salon_, session).status, 404);  // another company's session
  auto get = Raw("GET", "/mcp", "", {{"Authorization", "Bearer " + agent_weber_}});
  EXPECT_EQ(get.status, 405);
  auto end = Raw("DELETE", "/mcp", "",
                 {{"Authorization", "Bearer " + agent_weber_}, {"Mcp-Session-Id", session}});
  EXPECT_EQ(end.status, 204);
  EXPECT_EQ(ping(agent_weber_, session).status, 404);
}

// An agent token with the "read" ability (admin create-token --ability read) opens /mcp and
// the tools that change nothing; booking and noting a callback are refused, nothing is stored.
TEST_P(McpTest, AReadOnlyAgentTokenChangesNothing) {
  auth::NewUser user;
  user.email = "reader@praxis-weber.de";
  user.role = auth::Role::kAgent;
  user.company_id = tenancy::CompanyId(weber_);
  auto created = auth_->CreateUser(user);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  auto token = auth_->CreateToken(created->id, {"reader", std::nullopt, {"read"}});
  ASSERT_TRUE(token.has_value()) << token.error().message;
  const std::string reader = token->text.Reveal();
  auto opened = Initialize(reader);
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string session(opened.headers.Get("Mcp-Session-Id").value_or(""));
  const auto call = [&](const std::string& name, const json& arguments) {
    const json message = {{"jsonrpc", "2.0"},
                          {"id", 7},
                          {"method", "tools/call"},
                          {"params", {{"name", name}, {"arguments", arguments}}}};
    auto r = Raw("POST", "/mcp", message.dump(),
                 {{"Authorization", "Bearer " + reader},
                  {"Content-Type", "application/json"},
                  {"Accept", "application/json, text/event-stream"},
                  {"MCP-Protocol-Version", "2025-11-25"},
                  {"Mcp-Session-Id", session}});
    EXPECT_EQ(r.status, 200) << r.body;
    const json answer = json::parse(r.body, nullptr, false);
    return answer.is_object() ? answer.value("result", json::object()) : json::object();
  };
  const json offer =
      call("check_availability",
           {{"service", "Erstberatung"}, {"date", "morgen"}, {"branch", "Berlin Mitte"}});
  EXPECT_EQ(offer.value("isError", true), false) << offer.dump();
  const json booked = call("book_appointment", {{"service", "Erstberatung"},
                                                {"date", "morgen"},
                                                {"time", "11:00"},
                                                {"name", "Erika Mustermann"},
                                                {"phone", "+4915100002222"},
                                                {"branch", "Berlin Mitte"}});
  EXPECT_EQ(booked.value("isError", false), true) << booked.dump();
  EXPECT_EQ(booked.value("structuredContent", json::object()).value("error", ""), "read_only_token")
      << booked.dump();
  const json noted = call("request_callback", {{"topic", "Rückruf"},
                                               {"phone", "+4915100002222"},
                                               {"name", "E"},
                                               {"branch", "Berlin Mitte"}});
  EXPECT_EQ(noted.value("isError", false), true) << noted.dump();
  EXPECT_EQ(noted.value("structuredContent", json::object()).value("error", ""), "read_only_token")
      << noted.dump();
  EXPECT_EQ(Count("appointments"), 0);
  EXPECT_EQ(Count("callback_requests"), 0);
  EXPECT_TRUE(fake_->Bookings().empty());
}

TEST_P(McpTest, OfficialClientWithoutAValidTokenIsRefused) {
  if (SdkMissing()) GTEST_SKIP() << "run: npm ci --prefix tests/sdk";
  EXPECT_EQ(RunClient({{"token", "cg_wrong"}})["connectError"]["code"], 401);
  EXPECT_EQ(RunClient({{"token", admin_weber_}})["connectError"]["code"], 403);
}

TEST_P(McpTest, CliCreatesAnAgentUserAndToken) {
  const fs::path dir = fs::temp_directory_path() / ("cg-mcp-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // The binary runs on the real clock; so does the server for this test.
  clock_.SetNow(SystemClock().Now());
  auto run = [&](const std::string& args, int* code) {
    return Output("cd '" + dir.string() +
                      "' && env -i PATH=/usr/bin:/bin CALLGATE_LOG_FORMAT=text "
                      "CALLGATE_DATABASE_URL='" +
                      test_database().UrlText() + "' '" + std::string(CALLGATE_BINARY) + "' " +
                      args + " 2>&1",
                  code);
  };
  int code = -1;
  const std::string user =
      run("admin create-user --role agent --company salon --email Voice@Salon.de", &code);
  ASSERT_EQ(code, 0) << user;
  EXPECT_NE(user.find("agent"), std::string::npos) << user;
  run("admin create-user --role agent --email lost@salon.de", &code);
  EXPECT_NE(code, 0);  // an agent belongs to a company
  const std::string token = LastLine(run("admin create-token --email voice@salon.de", &code));
  ASSERT_EQ(code, 0) << token;
  ASSERT_TRUE(auth::LooksLikeToken(token)) << token;
  auto opened = Initialize(token);
  EXPECT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(Raw("GET", "/api/admin/me", "", {{"Authorization", "Bearer " + token}}).status, 403);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, McpTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
