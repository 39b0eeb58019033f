// The admin API through the real HTTP server, on SQLite and PostgreSQL: tokens, the role and
// company scoping matrix (BOLA), mass-assignment protection, the diagnostic endpoint, quick
// availability against the Cal.com stand-in, and the `callgate admin` commands of the binary.
// Time is fixed: Monday 2026-11-30 08:00 in Berlin.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "crypto/keyring.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kCalcomKeyA = "cal_secret_key_of_praxis_a_4711";
constexpr const char* kRetellKeyA = "retell_secret_key_of_praxis_a_0815";

constexpr const char* kTenants = R"({"companies":[
  {"name":"Praxis A","slug":"praxis-a","calcom_api_key":"cal_secret_key_of_praxis_a_4711",
   "retell_api_key":"retell_secret_key_of_praxis_a_0815",
   "branches":[{"name":"Mitte","phone_numbers":["+49 30 1111111"]}],
   "services":[{"name":"Erstberatung","duration_minutes":30,"price_cents":6000,
                "calcom_event_type_id":1001,"is_default":true},
               {"name":"Ohne Kalender","duration_minutes":30}],
   "customers":[{"name":"Erika","phone":"+49 151 12345678"}]},
  {"name":"Salon B","slug":"salon-b","calcom_api_key":"cal_secret_key_of_salon_b_42",
   "branches":[{"name":"Hamburg","phone_numbers":["+49 40 2222222"]}],
   "services":[{"name":"Haarschnitt","duration_minutes":30,"price_cents":2500,
                "calcom_event_type_id":1002}],
   "customers":[{"name":"Max","phone":"+49 151 99990000"}]}]})";

SystemTimePoint Berlin(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, "Europe/Berlin");
}

struct Answer {
  int status = 0;
  json body;
  std::string raw;
  http::Headers headers;
};

class AdminApiTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    clock_.SetNow(Berlin(2026, 11, 30, 8));
    auto tenants = tools::ParseTenantJson(kTenants);
    ASSERT_TRUE(tenants.has_value()) << tenants.error().message;
    ASSERT_TRUE(tools::ImportTenants(*tenants, db(), clock_).has_value());
    company_a_ = IdOf("companies", "slug = 'praxis-a'");
    company_b_ = IdOf("companies", "slug = 'salon-b'");
    branch_b_ = IdOf("branches", "company_id = " + std::to_string(company_b_));
    service_a_ = IdOf("services", "name = 'Erstberatung'");
    service_b_ = IdOf("services", "name = 'Haarschnitt'");

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
    auto series = fake_options.event_types.front();  // 1007: a recurring event type
    series.id = 1007;
    series.slug = "kurs";
    series.recurrence_count = 4;
    fake_options.event_types.push_back(series);
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());
    StartApp(BaseConfig());
  }

  void TearDown() override {
    if (app_) app_->Stop();
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  std::string DatabaseUrl() { return test_database().UrlText(); }

  app::Config BaseConfig() {
    app::Config config;
    config.listen_port = 0;
    config.database_url = DatabaseUrl();
    config.calcom_base_url = fake_->base_url();
    config.calcom_slots_timeout_ms = 2000;
    return config;
  }

  void StartApp(const app::Config& config) {
    if (app_) app_->Stop();
    auto application = app::Application::Create(config, clock_);
    ASSERT_TRUE(application.has_value()) << application.error().message;
    app_ = std::move(*application);
    ASSERT_TRUE(app_->Start().has_value());
    client_ = std::make_unique<TestClient>(app_->port(), std::chrono::seconds(20));
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

  std::string Text(const std::string& column, const std::string& table, const std::string& where) {
    auto v = db().Run([&](storage::Session& s) -> Result<std::string> {
      std::string out;
      s.Query(column, "FROM " + table + " WHERE " + where, {}, [&](const storage::Row& r) {
        // Sealed columns (docs/privacy.md) decrypt; other text passes through.
        out = r.OptionalOpened(column, table + "." + column).value_or("");
      });
      return out;
    });
    return v.value_or("<error>");
  }

  std::string TokenFor(const std::string& email, auth::Role role,
                       std::optional<std::int64_t> company,
                       std::optional<std::chrono::hours> lifetime = std::nullopt) {
    auth::NewUser user;
    user.email = email;
    user.role = role;
    if (company) user.company_id = tenancy::CompanyId(*company);
    auto created = auth_->FindUserByEmail(email);
    if (!created) created = auth_->CreateUser(user);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    auto token = auth_->CreateToken(created->id, {"test", lifetime, {}});
    EXPECT_TRUE(token.has_value()) << token.error().message;
    return token->text.Reveal();
  }

  Answer Call(const std::string& method, const std::string& target,
              const std::optional<std::string>& token, const std::string& body = "") {
    http::testing::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    if (token) request.headers.Add("Authorization", "Bearer " + *token);
    if (!body.empty()) request.headers.Add("Content-Type", "application/json");
    auto r = client_->Send(request);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.raw = r->body;
    a.body = json::parse(r->body, nullptr, false);
    a.headers = r->headers;
    return a;
  }

  std::string CompanyPath(std::int64_t id, const std::string& rest = "") {
    return "/api/admin/companies/" + std::to_string(id) + rest;
  }

  double AuthCount(const std::string& outcome) {
    return app_->metrics().Value("callgate_admin_auth_total", {{"outcome", outcome}});
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<auth::SqlUserRepository> users_;
  std::unique_ptr<auth::SqlTokenRepository> tokens_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  std::unique_ptr<TestClient> client_;
  std::int64_t company_a_ = 0, company_b_ = 0, branch_b_ = 0, service_a_ = 0, service_b_ = 0;
  std::string platform_, admin_a_, viewer_a_;
};

TEST_P(AdminApiTest, RefusesRequestsWithoutAValidToken) {
  const std::string path = CompanyPath(company_a_, "/branches");
  auto missing = Call("GET", path, std::nullopt);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body["error"]["code"], "unauthenticated");
  EXPECT_EQ(Call("GET", path, "cg_not-a-real-token").status, 401);
  EXPECT_EQ(Call("GET", path, auth::GenerateToken()->text.Reveal()).status, 401);

  const std::string short_lived =
      TokenFor("temp@praxis-a.de", auth::Role::kCompanyAdmin, company_a_, std::chrono::hours(24));
  EXPECT_EQ(Call("GET", path, short_lived).status, 200);
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(Call("GET", path, short_lived).status, 401);

  const std::string revoked = TokenFor("temp@praxis-a.de", auth::Role::kCompanyAdmin, company_a_);
  EXPECT_EQ(Call("GET", "/api/admin/me", revoked).status, 200);
  auto token = tokens_->FindByHash(auth::HashToken(revoked));
  ASSERT_TRUE(token.has_value());
  ASSERT_TRUE(auth_->RevokeToken(token->id).has_value());
  EXPECT_EQ(Call("GET", "/api/admin/me", revoked).status, 401);

  EXPECT_EQ(AuthCount("missing"), 1);
  EXPECT_EQ(AuthCount("malformed"), 1);
  EXPECT_EQ(AuthCount("unknown"), 1);
  EXPECT_EQ(AuthCount("expired"), 1);
  EXPECT_EQ(AuthCount("revoked"), 1);
  // Tokens are stored only as hashes.
  EXPECT_EQ(Count("api_tokens", "token_hash = '" + auth::HashToken(admin_a_) + "'"), 1);
  EXPECT_EQ(Count("api_tokens", "token_hash = '" + admin_a_ + "'"), 0);
}

TEST_P(AdminApiTest, RepeatedFailedAuthenticationsAreLimitedPerAddress) {
  const std::string path = "/api/admin/me";
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Call("GET", path, "cg_guess").status, 401) << i;
  // Over the limit further failures from the address are answered 429 ...
  auto limited = Call("GET", path, "cg_guess");
  EXPECT_EQ(limited.status, 429) << limited.raw;
  EXPECT_EQ(limited.body["error"]["code"], "rate_limited");
  // ... while a valid token from the same address is never refused (SPEC §4).
  EXPECT_EQ(Call("GET", path, admin_a_).status, 200);
  EXPECT_EQ(AuthCount("malformed"), 21);
  // The allowance refills with time.
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(Call("GET", path, "cg_guess").status, 401);
}

// A name with a control character (a NUL, a line break that would forge a log line) is a 422
// naming the field, on create and on update, and nothing is stored. Rows stored before keep
// taking updates of their other fields.
TEST_P(AdminApiTest, NamesWithControlCharactersAreRefused) {
  const auto branches_before = Count("branches");
  for (const char* name : {R"("Mitte\u0000Nord")", R"("Mitte\nlevel=error")", R"("Mitte\u007f")",
                           R"("Mitte\u0085Nord")", R"("Mitte\u2028Nord")", R"("\u202edroN")"}) {
    auto create = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                       std::string(R"({"name":)") + name + "}");
    EXPECT_EQ(create.status, 422) << name << ": " << create.raw;
    EXPECT_NE(create.raw.find("name: must not contain control characters"), std::string::npos)
        << create.raw;
  }
  EXPECT_EQ(Count("branches"), branches_before);
  const std::string service = CompanyPath(company_a_, "/services/" + std::to_string(service_a_));
  auto update = Call("PATCH", service, admin_a_, R"({"name":"Beratung\r\nX"})");
  EXPECT_EQ(update.status, 422) << update.raw;
  EXPECT_EQ(Count("services", "name LIKE '%X'"), 0);
}

TEST_P(AdminApiTest, AnEventTypeBelongsToOneCompany) {
  // Salon B's event type 1002 cannot be claimed by praxis A, on create or update.
  const auto services_before = Count("services");
  auto create = Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                     R"({"name":"Gestohlen","duration_minutes":30,"calcom_event_type_id":1002})");
  EXPECT_EQ(create.status, 422) << create.raw;
  EXPECT_NE(create.raw.find("calcom_event_type_id"), std::string::npos) << create.raw;
  EXPECT_EQ(Count("services"), services_before);
  const std::string service = CompanyPath(company_a_, "/services/" + std::to_string(service_a_));
  auto update = Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":1002})");
  EXPECT_EQ(update.status, 422) << update.raw;
  EXPECT_EQ(Count("services", "company_id = " + std::to_string(company_a_) +
                                  " AND calcom_event_type_id = 1002"),
            0);
  // An id its own Cal.com account does not have is refused as well.
  auto foreign = Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":4242})");
  EXPECT_EQ(foreign.status, 422) << foreign.raw;
  EXPECT_NE(foreign.raw.find("Cal.com account"), std::string::npos) << foreign.raw;
  // Its own event types, and ones nobody uses, are fine. Each check asks Cal.com within the
  // account's outbound budget, like every other Cal.com request.
  const auto budget_taken = [&] {
    return app_->metrics().Value("callgate_calendar_budget_total", {{"outcome", "allowed"}});
  };
  const auto taken_before = budget_taken();
  EXPECT_EQ(Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":1001})").status, 200);
  EXPECT_EQ(budget_taken(), taken_before + 1);
  // When the account's event types cannot be listed (Cal.com away, or its budget used up by a
  // flood of such changes), no event type is stored unchecked: 503, try again.
  calcom::fake::FakeCalcomBehavior down;
  down.forced_status = 500;
  down.fault_endpoint = "event_types";
  fake_->SetBehavior(down);
  auto unchecked = Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":4242})");
  EXPECT_EQ(unchecked.status, 503) << unchecked.raw;
  EXPECT_EQ(Count("services", "calcom_event_type_id = 4242"), 0);
  EXPECT_EQ(Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                 R"({"name":"Ungeprueft","duration_minutes":30,"calcom_event_type_id":4243})")
                .status,
            503);
  EXPECT_EQ(Count("services", "name = 'Ungeprueft'"), 0);
  fake_->SetBehavior({});
  EXPECT_EQ(Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                 R"({"name":"Neu","duration_minutes":30,"calcom_event_type_id":1003})")
                .status,
            201);
}

TEST_P(AdminApiTest, ARecurringEventTypeIsRefusedForAService) {
  // Cal.com would book a whole series for it; a phone booking is one appointment.
  const auto services_before = Count("services");
  auto create = Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                     R"({"name":"Kurs","duration_minutes":30,"calcom_event_type_id":1007})");
  EXPECT_EQ(create.status, 422) << create.raw;
  EXPECT_NE(create.raw.find("recurring event type"), std::string::npos) << create.raw;
  EXPECT_EQ(Count("services"), services_before);
  const std::string service = CompanyPath(company_a_, "/services/" + std::to_string(service_a_));
  auto update = Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":1007})");
  EXPECT_EQ(update.status, 422) << update.raw;
  EXPECT_EQ(Count("services", "calcom_event_type_id = 1007"), 0);
  EXPECT_EQ(Call("PATCH", service, admin_a_, R"({"calcom_event_type_id":1001})").status, 200);
}

TEST_P(AdminApiTest, DeactivatingACompanyEndsItsAdminsAccess) {
  ASSERT_EQ(Call("GET", CompanyPath(company_a_), admin_a_).status, 200);
  ASSERT_EQ(Call("DELETE", CompanyPath(company_a_), platform_).status, 200);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", CompanyPath(company_a_)},
           {"GET", "/api/admin/me"},
           {"GET", "/api/admin/companies"},
           {"GET", CompanyPath(company_a_, "/calls")}}) {
    auto r = Call(method, path, admin_a_);
    EXPECT_EQ(r.status, 403) << method << " " << path << ": " << r.raw;
    EXPECT_EQ(Call(method, path, viewer_a_).status, 403) << path;
  }
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_), admin_a_, R"({"name":"Still here"})").status,
            403);
  EXPECT_EQ(Count("companies", "name = 'Still here'"), 0);
  EXPECT_EQ(AuthCount("company_inactive"), 9);
  // Platform admins still manage it; reactivated, its admins are back.
  ASSERT_EQ(Call("POST", CompanyPath(company_a_, "/activate"), platform_).status, 200);
  EXPECT_EQ(Call("GET", CompanyPath(company_a_), admin_a_).status, 200);
}

TEST_P(AdminApiTest, RoleAndCompanyScopingMatrix) {
  struct Actor {
    std::string name;
    std::string token;
    int read_a, write_a, read_b, write_b;
  };
  const std::vector<Actor> actors = {
      {"platform_admin", platform_, 200, 201, 200, 201},
      {"company_admin_a", admin_a_, 200, 201, 404, 404},
      {"viewer_a", viewer_a_, 200, 403, 404, 404},
  };
  int n = 0;
  for (const auto& actor : actors) {
    for (const auto& [company, read, write] :
         {std::tuple{company_a_, actor.read_a, actor.write_a},
          std::tuple{company_b_, actor.read_b, actor.write_b}}) {
      SCOPED_TRACE(actor.name + " on company " + std::to_string(company));
      const long long before = Count("branches", "company_id = " + std::to_string(company));
      EXPECT_EQ(Call("GET", CompanyPath(company, "/branches"), actor.token).status, read);
      EXPECT_EQ(Call("GET", CompanyPath(company), actor.token).status, read);
      EXPECT_EQ(Call("GET", CompanyPath(company, "/services"), actor.token).status, read);
      EXPECT_EQ(Call("GET", CompanyPath(company, "/customers"), actor.token).status, read);
      EXPECT_EQ(Call("GET", CompanyPath(company, "/calls"), actor.token).status, read);
      auto created = Call("POST", CompanyPath(company, "/branches"), actor.token,
                          json{{"name", "Filiale " + std::to_string(++n)}}.dump());
      EXPECT_EQ(created.status, write) << created.raw;
      auto closing = Call("PATCH", CompanyPath(company), actor.token,
                          R"({"closing_days":[{"from":"2026-12-24","name":"Matrix"}]})");
      EXPECT_EQ(closing.status, write == 201 ? 200 : write) << closing.raw;
      auto patched = Call("PATCH", CompanyPath(company, "/customers/1"), actor.token,
                          json{{"notes", "touched"}}.dump());
      if (write == 201) {
        EXPECT_NE(patched.status, 403);
      } else {
        EXPECT_EQ(patched.status, write == 403 ? 403 : 404);
      }
      EXPECT_EQ(Count("branches", "company_id = " + std::to_string(company)),
                before + (write == 201 ? 1 : 0));
    }
  }
  // Another company's id answers exactly like an id that does not exist.
  auto other = Call("GET", CompanyPath(company_b_), admin_a_);
  auto none = Call("GET", CompanyPath(999999), admin_a_);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body["error"]["message"], none.body["error"]["message"]);
  // A resource of company B addressed under company A's path is not found either.
  EXPECT_EQ(Call("GET", CompanyPath(company_a_, "/branches/" + std::to_string(branch_b_)), admin_a_)
                .status,
            404);
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_, "/services/" + std::to_string(service_b_)),
                 admin_a_, R"({"name":"Gekapert"})")
                .status,
            404);
  EXPECT_EQ(Text("name", "services", "id = " + std::to_string(service_b_)), "Haarschnitt");
  EXPECT_EQ(
      Call("DELETE", CompanyPath(company_a_, "/services/" + std::to_string(service_b_)), admin_a_)
          .status,
      404);
  EXPECT_EQ(Text("is_active", "services", "id = " + std::to_string(service_b_)), "1");
  EXPECT_EQ(
      Call("DELETE", CompanyPath(company_a_, "/branches/" + std::to_string(branch_b_)), admin_a_)
          .status,
      404);
  EXPECT_EQ(Text("is_active", "branches", "id = " + std::to_string(branch_b_)), "1");
  // Company lists: platform admins see all, company users their own only.
  EXPECT_EQ(Call("GET", "/api/admin/companies", platform_).body["items"].size(), 2u);
  auto own = Call("GET", "/api/admin/companies", viewer_a_);
  ASSERT_EQ(own.body["items"].size(), 1u);
  EXPECT_EQ(own.body["items"][0]["id"], company_a_);
  // Platform-only endpoints.
  EXPECT_EQ(Call("POST", "/api/admin/companies", admin_a_, R"({"name":"X","slug":"x-co"})").status,
            403);
  EXPECT_EQ(Call("POST", "/api/admin/companies", platform_, R"({"name":"X","slug":"x-co"})").status,
            201);
  EXPECT_EQ(Call("DELETE", CompanyPath(company_a_), admin_a_).status, 403);
  EXPECT_EQ(Call("POST", CompanyPath(company_a_, "/phone-numbers"), admin_a_,
                 R"({"number_e164":"+49 30 5555555"})")
                .status,
            403);
  auto me = Call("GET", "/api/admin/me", viewer_a_);
  EXPECT_EQ(me.body["role"], "viewer");
  EXPECT_EQ(me.body["company_id"], company_a_);
}

TEST_P(AdminApiTest, MassAssignmentAttemptsAreRejectedAndChangeNothing) {
  const std::string company = CompanyPath(company_a_);
  const std::string service = CompanyPath(company_a_, "/services/" + std::to_string(service_a_));
  const std::string customer = CompanyPath(company_a_, "/customers/1");
  struct Attempt {
    std::string method, path, token;
    json body;
    std::string field;
  };
  const std::vector<Attempt> attempts = {
      {"PATCH", company, admin_a_, {{"name", "Neu"}, {"company_id", company_b_}}, "company_id"},
      {"PATCH", company, admin_a_, {{"name", "Neu"}, {"id", company_b_}}, "id"},
      {"PATCH", company, admin_a_, {{"is_active", false}}, "is_active"},
      {"PATCH", company, admin_a_, {{"price_per_minute_cents", 0}}, "price_per_minute_cents"},
      {"PATCH", company, admin_a_, {{"calcom_api_key", "cal_mine"}}, "calcom_api_key"},
      {"PATCH", company, platform_, {{"calcom_api_key", "cal_mine"}}, "calcom_api_key"},
      {"PATCH", company, platform_, {{"retell_api_key", "x"}}, "retell_api_key"},
      {"PATCH", company, admin_a_, {{"created_at", "2020-01-01T00:00:00Z"}}, "created_at"},
      {"PATCH", service, admin_a_, {{"price_cents", 1}}, "price_cents"},
      {"PATCH", service, admin_a_, {{"company_id", company_b_}}, "company_id"},
      {"PATCH", service, admin_a_, {{"status", "inactive"}}, "status"},
      {"PATCH", service, platform_, {{"is_active", false}}, "is_active"},
      {"POST",
       CompanyPath(company_a_, "/services"),
       admin_a_,
       {{"name", "Billig"}, {"price_cents", 1}},
       "price_cents"},
      {"POST",
       CompanyPath(company_a_, "/branches"),
       admin_a_,
       {{"name", "Fremd"}, {"company_id", company_b_}},
       "company_id"},
      {"PATCH", customer, admin_a_, {{"role", "platform_admin"}}, "role"},
      {"PATCH", customer, admin_a_, {{"phone_e164", "+4915199999999"}}, "phone_e164"},
      {"PATCH", customer, admin_a_, {{"total_profit_cents", 0}}, "total_profit_cents"},
  };
  const std::string company_before =
      Text("name", "companies", "id = " + std::to_string(company_a_));
  const long long services_before = Count("services");
  for (const auto& a : attempts) {
    SCOPED_TRACE(a.method + " " + a.path + " " + a.body.dump());
    auto r = Call(a.method, a.path, a.token, a.body.dump());
    EXPECT_EQ(r.status, 422) << r.raw;
    EXPECT_EQ(r.body["error"]["code"], "field_not_allowed");
    EXPECT_NE(
        std::find(r.body["error"]["fields"].begin(), r.body["error"]["fields"].end(), a.field),
        r.body["error"]["fields"].end())
        << r.raw;
  }
  // Nothing changed.
  EXPECT_EQ(Text("name", "companies", "id = " + std::to_string(company_a_)), company_before);
  EXPECT_EQ(Text("calcom_api_key", "companies", "id = " + std::to_string(company_a_)), kCalcomKeyA);
  EXPECT_EQ(Text("is_active", "companies", "id = " + std::to_string(company_a_)), "1");
  EXPECT_EQ(Text("price_cents", "services", "id = " + std::to_string(service_a_)), "6000");
  EXPECT_EQ(Text("company_id", "services", "id = " + std::to_string(service_a_)),
            std::to_string(company_a_));
  EXPECT_EQ(Count("services"), services_before);
  EXPECT_EQ(Count("branches", "name = 'Fremd'"), 0);
  EXPECT_EQ(Text("phone_e164", "customers", "id = 1"), "+4915112345678");
  EXPECT_GE(app_->metrics().Value("callgate_admin_requests_total",
                                  {{"action", "services.update"}, {"outcome", "rejected"}}),
            4);
  // What a platform admin may set, a platform admin can set.
  auto priced = Call("PATCH", service, platform_, R"({"price_cents":6500})");
  EXPECT_EQ(priced.status, 200) << priced.raw;
  EXPECT_EQ(priced.body["price_cents"], 6500);
  // The company admin's allowlisted fields work.
  auto renamed = Call("PATCH", company, admin_a_, R"({"name":"Praxis A GmbH","language":"de"})");
  EXPECT_EQ(renamed.status, 200) << renamed.raw;
  EXPECT_EQ(renamed.body["name"], "Praxis A GmbH");
  EXPECT_FALSE(renamed.body.contains("calcom_api_key"));
  // A language Cal.com has no code for is refused, naming the field; a regional one is kept.
  auto persian = Call("PATCH", company, admin_a_, R"({"language":"fa-IR"})");
  EXPECT_EQ(persian.status, 422) << persian.raw;
  EXPECT_NE(persian.raw.find("language"), std::string::npos) << persian.raw;
  auto latin = Call("PATCH", company, admin_a_, R"({"language":"es-419"})");
  EXPECT_EQ(latin.status, 200) << latin.raw;
  EXPECT_EQ(latin.body["language"], "es-419");
}

TEST_P(AdminApiTest, UnknownFieldsAreRejectedNamingThem) {
  auto r = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                R"({"name":"Neu","colour":"red","floor":3})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"]["code"], "unknown_fields");
  EXPECT_EQ(r.body["error"]["fields"], (json{"colour", "floor"}));
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("colour"), std::string::npos);
  EXPECT_FALSE(r.body["error"]["request_id"].get<std::string>().empty());
  EXPECT_EQ(Count("branches", "name = 'Neu'"), 0);
  auto nested = Call("PATCH", CompanyPath(company_a_), platform_,
                     R"({"cancellation_policy":{"notice_hours":12,"refund":true}})");
  EXPECT_EQ(nested.status, 422);
  EXPECT_EQ(nested.body["error"]["fields"], (json{"cancellation_policy.refund"}));
  auto not_json = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_, "name=x");
  EXPECT_EQ(not_json.status, 422);
  EXPECT_EQ(not_json.body["error"]["code"], "invalid_json");
}

TEST_P(AdminApiTest, ValidationErrorsNameTheFieldPath) {
  auto service = Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                      R"({"name":" ","duration_minutes":0,"synonyms":["ok",""]})");
  EXPECT_EQ(service.status, 422);
  EXPECT_EQ(service.body["error"]["code"], "validation_failed");
  EXPECT_EQ(service.body["error"]["fields"], (json{"name", "synonyms[1]", "duration_minutes"}));
  auto policy =
      Call("PATCH", CompanyPath(company_a_), platform_,
           R"({"cancellation_policy":{"fee_tiers":[{"within_hours":24,"fee_cents":-1}]}})");
  EXPECT_EQ(policy.status, 422);
  EXPECT_EQ(policy.body["error"]["fields"], (json{"cancellation_policy.fee_tiers[0].fee_cents"}));
  auto hours = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                    R"({"name":"Neu","business_hours":{"mon":["18:00","09:00"],"xyz":null}})");
  EXPECT_EQ(hours.status, 422);
  EXPECT_EQ(hours.body["error"]["fields"], (json{"business_hours.mon", "business_hours.xyz"}));
  auto branch = Call("POST", CompanyPath(company_a_, "/services"), admin_a_,
                     json{{"name", "X"}, {"branch_id", branch_b_}}.dump());
  EXPECT_EQ(branch.status, 422);
  EXPECT_EQ(branch.body["error"]["fields"], (json{"branch_id"}));
  auto ok = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                 R"({"name":"Nord","business_hours":{"mon":["09:00","17:30"],"sat":null},
                     "timezone":"Europe/Vienna"})");
  ASSERT_EQ(ok.status, 201) << ok.raw;
  EXPECT_EQ(ok.body["business_hours"], (json{{"mon", {"09:00", "17:30"}}}));
  EXPECT_EQ(ok.body["company_id"], company_a_);
  EXPECT_EQ(ok.body["region"], "");
}

TEST_P(AdminApiTest, BranchRegionIsABundeslandCode) {
  // A name or a lower-case code is refused with a message naming the codes; nothing is stored.
  for (const char* bad : {R"("Bayern")", R"("by")", R"("DE-BY")", "7"}) {
    auto r = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                  std::string(R"({"name":"Süd","region":)") + bad + "}");
    EXPECT_EQ(r.status, 422) << bad << " " << r.raw;
    EXPECT_EQ(r.body["error"]["fields"], (json{"region"})) << bad;
  }
  auto named = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                    R"({"name":"Süd","region":"Bayern"})");
  EXPECT_NE(named.raw.find("BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH"),
            std::string::npos)
      << named.raw;
  EXPECT_EQ(Count("branches", "name = 'Süd'"), 0);

  auto created = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                      R"({"name":"Süd","region":"BY"})");
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["region"], "BY");
  const std::string path =
      CompanyPath(company_a_, "/branches/" + std::to_string(created.body["id"].get<long long>()));
  auto moved = Call("PATCH", path, admin_a_, R"({"region":"NW"})");
  ASSERT_EQ(moved.status, 200) << moved.raw;
  EXPECT_EQ(moved.body["region"], "NW");
  EXPECT_EQ(Call("GET", path, admin_a_).body["region"], "NW");
  // null clears it: the nationwide holidays only.
  auto cleared = Call("PATCH", path, admin_a_, R"({"region":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.raw;
  EXPECT_EQ(cleared.body["region"], "");
}

// Closing days ("Betriebsferien"): the company's hold at all its branches, a branch's there
// only. Each entry {"from", "to" (default: from), "name"}; the list is replaced as a whole.
TEST_P(AdminApiTest, ClosingDaysOfTheCompanyAndItsBranches) {
  const std::string company = CompanyPath(company_a_);
  auto set = Call("PATCH", company, admin_a_,
                  R"({"closing_days":[{"from":"2026-12-24","to":"2027-01-01",)"
                  R"("name":"Betriebsferien"},{"from":"2027-03-05"}]})");
  ASSERT_EQ(set.status, 200) << set.raw;
  const json expected =
      json::array({{{"from", "2026-12-24"}, {"to", "2027-01-01"}, {"name", "Betriebsferien"}},
                   {{"from", "2027-03-05"}, {"to", "2027-03-05"}, {"name", ""}}});
  EXPECT_EQ(set.body["closing_days"], expected);
  EXPECT_EQ(Call("GET", company, viewer_a_).body["closing_days"], expected);

  // Each refusal names the field; nothing is stored.
  const std::vector<std::pair<std::string, std::string>> refusals = {
      {R"([{"from":"2027-01-01","to":"2026-12-24"}])", "closing_days[0].to"},
      {R"([{"from":"2026-12-24"},{"from":"2026-02-30"}])", "closing_days[1].from"},
      {R"([{"from":"24.12.2026"}])", "closing_days[0].from"},
      {R"([{"to":"2026-12-24"}])", "closing_days[0].from"},
      {R"([{"from":"2026-12-24","name":")" + std::string(81, 'x') + R"("}])",
       "closing_days[0].name"},
      {R"([{"from":"2026-12-24","until":"2026-12-31"}])", "closing_days[0].until"},
      {R"("2026-12-24")", "closing_days"},
      {R"(["2026-12-24"])", "closing_days[0]"},
  };
  for (const auto& [list, field] : refusals) {
    auto refused = Call("PATCH", company, admin_a_, R"({"closing_days":)" + list + "}");
    EXPECT_EQ(refused.status, 422) << list << " " << refused.raw;
    EXPECT_EQ(refused.body["error"]["fields"], json::array({field})) << refused.raw;
  }
  auto reversed = Call("PATCH", company, admin_a_,
                       R"({"closing_days":[{"from":"2027-01-01","to":"2026-12-24"}]})");
  EXPECT_NE(reversed.raw.find("must not be before from"), std::string::npos) << reversed.raw;
  auto bad_date = Call("PATCH", company, admin_a_, R"({"closing_days":[{"from":"2026-02-30"}]})");
  EXPECT_NE(bad_date.raw.find("must be a date YYYY-MM-DD"), std::string::npos) << bad_date.raw;
  EXPECT_EQ(Call("GET", company, admin_a_).body["closing_days"], expected);

  // A branch's own.
  auto branch =
      Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
           R"({"name":"Süd","closing_days":[{"from":"2026-12-07","name":"Fortbildung"}]})");
  ASSERT_EQ(branch.status, 201) << branch.raw;
  EXPECT_EQ(branch.body["closing_days"],
            json::array({{{"from", "2026-12-07"}, {"to", "2026-12-07"}, {"name", "Fortbildung"}}}));
  const std::string branch_path =
      CompanyPath(company_a_, "/branches/" + std::to_string(branch.body["id"].get<long long>()));
  auto bad_branch =
      Call("PATCH", branch_path, admin_a_, R"({"closing_days":[{"from":"2026-13-01"}]})");
  EXPECT_EQ(bad_branch.status, 422) << bad_branch.raw;
  EXPECT_EQ(bad_branch.body["error"]["fields"], json::array({"closing_days[0].from"}));
  auto cleared_branch = Call("PATCH", branch_path, admin_a_, R"({"closing_days":[]})");
  ASSERT_EQ(cleared_branch.status, 200) << cleared_branch.raw;
  EXPECT_EQ(cleared_branch.body["closing_days"], json::array());

  // null clears the company's.
  auto cleared = Call("PATCH", company, admin_a_, R"({"closing_days":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.raw;
  EXPECT_EQ(cleared.body["closing_days"], json::array());
}

TEST_P(AdminApiTest, ClosingDaysAreSetOnlyForTheOwnCompanyAndNotByViewers) {
  const std::string body = R"({"closing_days":[{"from":"2026-12-24","name":"Gekapert"}]})";
  // Another company's: not found, exactly like a company that does not exist.
  auto other = Call("PATCH", CompanyPath(company_b_), admin_a_, body);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body["error"]["message"],
            Call("PATCH", CompanyPath(999999), admin_a_, body).body["error"]["message"]);
  EXPECT_EQ(Call("PATCH", CompanyPath(company_b_, "/branches/" + std::to_string(branch_b_)),
                 admin_a_, body)
                .status,
            404);
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_, "/branches/" + std::to_string(branch_b_)),
                 admin_a_, body)
                .status,
            404);
  // A viewer reads, never writes.
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_), viewer_a_, body).status, 403);
  EXPECT_EQ(Call("POST", CompanyPath(company_a_, "/branches"), viewer_a_,
                 R"({"name":"V","closing_days":[{"from":"2026-12-24"}]})")
                .status,
            403);
  EXPECT_EQ(Call("GET", CompanyPath(company_a_), viewer_a_).body["closing_days"], json::array());
  EXPECT_EQ(Call("GET", CompanyPath(company_b_), platform_).body["closing_days"], json::array());
  EXPECT_EQ(
      Call("GET", CompanyPath(company_b_, "/branches/" + std::to_string(branch_b_)), platform_)
          .body["closing_days"],
      json::array());
  // The platform admin sets any company's.
  EXPECT_EQ(Call("PATCH", CompanyPath(company_b_), platform_, body).status, 200);
}

TEST_P(AdminApiTest, BranchTransferNumberIsAPhoneNumber) {
  auto bad = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                  R"({"name":"Ost","transfer_number":"12"})");
  EXPECT_EQ(bad.status, 422) << bad.raw;
  EXPECT_EQ(bad.body["error"]["fields"], (json{"transfer_number"}));
  auto created = Call("POST", CompanyPath(company_a_, "/branches"), admin_a_,
                      R"({"name":"Ost","transfer_number":"030 1234567"})");
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["transfer_number"], "+49301234567");  // normalised to E.164
  const std::string path =
      CompanyPath(company_a_, "/branches/" + std::to_string(created.body["id"].get<long long>()));
  auto cleared = Call("PATCH", path, admin_a_, R"({"transfer_number":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.raw;
  EXPECT_TRUE(cleared.body["transfer_number"].is_null());
}

TEST_P(AdminApiTest, PhoneNumbersAreNormalisedToE164) {
  auto number = Call("POST", CompanyPath(company_a_, "/phone-numbers"), platform_,
                     R"({"number_e164":"030 5555555","retell_agent_id":"agent_a"})");
  ASSERT_EQ(number.status, 201) << number.raw;
  EXPECT_EQ(number.body["number_e164"], "+49305555555");
  auto taken = Call("POST", CompanyPath(company_b_, "/phone-numbers"), platform_,
                    R"({"number_e164":"+49 30 5555555"})");
  EXPECT_EQ(taken.status, 409);
  auto bad =
      Call("POST", CompanyPath(company_a_, "/phone-numbers"), platform_, R"({"number_e164":"12"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["error"]["fields"], (json{"number_e164"}));
  auto customer = Call("POST", CompanyPath(company_a_, "/customers"), admin_a_,
                       R"({"phone_e164":"0151 23456789","name":"Neu","email":"Neu@Example.de"})");
  ASSERT_EQ(customer.status, 201) << customer.raw;
  EXPECT_EQ(customer.body["phone_e164"], "+4915123456789");
  EXPECT_EQ(customer.body["email"], "neu@example.de");
  auto branch = Call("PATCH", CompanyPath(company_a_, "/branches/1"), admin_a_,
                     R"({"phone_e164":"(030) 1234-567"})");
  ASSERT_EQ(branch.status, 200) << branch.raw;
  EXPECT_EQ(branch.body["phone_e164"], "+49301234567");
  // Company admins may move a number between their branches, not re-route it to an agent.
  const std::string id = std::to_string(number.body["id"].get<long long>());
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_, "/phone-numbers/" + id), admin_a_,
                 R"({"retell_agent_id":"agent_x"})")
                .status,
            422);
  auto moved = Call("PATCH", CompanyPath(company_a_, "/phone-numbers/" + id), admin_a_,
                    R"({"branch_id":null})");
  EXPECT_EQ(moved.status, 200) << moved.raw;
  EXPECT_EQ(Call("DELETE", CompanyPath(company_a_, "/phone-numbers/" + id), platform_).status, 204);
}

TEST_P(AdminApiTest, SecretsAreSetOnlyThroughTheSecretsEndpointAndNeverShown) {
  const std::string secrets = CompanyPath(company_a_, "/secrets");
  EXPECT_EQ(Call("PUT", secrets, admin_a_, R"({"calcom_api_key":"cal_evil"})").status, 403);
  EXPECT_EQ(Call("PUT", secrets, viewer_a_, R"({"calcom_api_key":"cal_evil"})").status, 403);
  auto set = Call("PUT", secrets, platform_, R"({"calcom_api_key":"cal_rotated_value_123"})");
  ASSERT_EQ(set.status, 200) << set.raw;
  EXPECT_EQ(set.body, (json{{"calcom_api_key_set", true},
                            {"retell_api_key_set", true},
                            {"calcom_webhook_secret_set", false},
                            {"vapi_secret_set", false}}));
  EXPECT_EQ(Text("calcom_api_key", "companies", "id = " + std::to_string(company_a_)),
            "cal_rotated_value_123");
  for (const auto& token : {platform_, admin_a_, viewer_a_}) {
    auto company = Call("GET", CompanyPath(company_a_), token);
    EXPECT_EQ(company.status, 200);
    EXPECT_EQ(company.body["calcom_api_key_set"], true);
    EXPECT_EQ(company.raw.find("cal_rotated_value_123"), std::string::npos);
    EXPECT_EQ(company.raw.find(kRetellKeyA), std::string::npos);
  }
  auto list = Call("GET", "/api/admin/companies", platform_);
  EXPECT_EQ(list.raw.find("cal_secret_key_of_salon_b_42"), std::string::npos);
  auto cleared = Call("PUT", secrets, platform_, R"({"retell_api_key":null})");
  EXPECT_EQ(cleared.body["retell_api_key_set"], false);
  // The Vapi secret is written here only, stored sealed and never shown.
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_), platform_, R"({"vapi_secret":"vapi_x"})").status,
            422);
  auto vapi = Call("PUT", secrets, platform_, R"({"vapi_secret":"vapi_secret_of_a_77"})");
  ASSERT_EQ(vapi.status, 200) << vapi.raw;
  EXPECT_EQ(vapi.body["vapi_secret_set"], true);
  EXPECT_EQ(Text("vapi_secret", "companies", "id = " + std::to_string(company_a_)),
            "vapi_secret_of_a_77");
  auto shown = Call("GET", CompanyPath(company_a_), platform_);
  EXPECT_EQ(shown.body["vapi_secret_set"], true);
  EXPECT_EQ(shown.raw.find("vapi_secret_of_a_77"), std::string::npos);
}

TEST_P(AdminApiTest, DiagnosticEndpointIsPlatformOnlyAndShowsNoSecrets) {
  const std::string path = "/api/admin/diagnostic-info";
  // One calendar request, so the breaker of company A's Cal.com key has a state to show.
  ASSERT_EQ(
      Call("GET", "/api/availability/quick?company_id=" + std::to_string(company_a_), admin_a_)
          .status,
      200);
  EXPECT_EQ(Call("GET", path, std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", path, admin_a_).status, 403);
  EXPECT_EQ(Call("GET", path, viewer_a_).status, 403);
  auto info = Call("GET", path, platform_);
  ASSERT_EQ(info.status, 200) << info.raw;
  EXPECT_EQ(info.body["database"]["dialect"], GetParam());
  EXPECT_EQ(info.body["migrations"]["current"], true);
  EXPECT_TRUE(info.body.contains("version"));
  EXPECT_TRUE(info.body["queues"].is_object()) << info.raw;
  ASSERT_TRUE(info.body["circuit_breakers"].is_array()) << info.raw;
  ASSERT_EQ(info.body["circuit_breakers"].size(), 1u) << info.raw;
  EXPECT_EQ(info.body["circuit_breakers"][0]["state"], "closed");
  EXPECT_EQ(info.body["circuit_breakers"][0]["key"].get<std::string>().rfind("calcom:", 0), 0u);
  EXPECT_TRUE(info.body["counters"].contains("callgate_admin_auth_total{outcome=\"ok\"}"));
  for (const std::string& secret :
       {std::string(kCalcomKeyA), std::string(kRetellKeyA),
        std::string("cal_secret_key_of_salon_b_42"), platform_, auth::HashToken(platform_),
        DatabaseUrl(),
        test_database().url().host.empty() ? std::string("postgresql://")
                                           : test_database().url().host + ":"}) {
    EXPECT_EQ(info.raw.find(secret), std::string::npos) << secret;
  }

  // Production: the endpoint does not exist, for anyone.
  app::Config production = BaseConfig();
  production.app_env = app::AppEnv::kProduction;
  production.retell_api_key = Secret("platform-retell-key");
  // Production needs a real master key; the test key stays for reading what the test wrote.
  production.keyring =
      *crypto::Keyring::Create({crypto::MasterKey::Generate(),
                                *crypto::MasterKey::FromBase64(crypto::kDevelopmentMasterKey)});
  StartApp(production);
  EXPECT_EQ(Call("GET", path, platform_).status, 404);
  EXPECT_EQ(Call("GET", path, std::nullopt).status, 404);
  production.diagnostics_enabled = true;
  StartApp(production);
  EXPECT_EQ(Call("GET", path, platform_).status, 200);
  EXPECT_EQ(Call("GET", path, admin_a_).status, 403);
}

TEST_P(AdminApiTest, QuickAvailabilityAnswersTodayTomorrowAndNext) {
  const std::string a = std::to_string(company_a_);
  auto quick = Call("GET", "/api/availability/quick?company_id=" + a, admin_a_);
  ASSERT_EQ(quick.status, 200) << quick.raw;
  EXPECT_EQ(quick.body["service_id"], service_a_);
  EXPECT_EQ(quick.body["service_name"], "Erstberatung");
  EXPECT_EQ(quick.body["source"], "live");
  const auto& availability = quick.body["availability"];
  ASSERT_FALSE(availability["today"].empty()) << quick.raw;
  EXPECT_FALSE(availability["tomorrow"].empty());
  EXPECT_EQ(availability["next"], availability["today"][0]);
  EXPECT_EQ(availability["today"][0]["local_time"], "09:00");
  EXPECT_EQ(availability["today"][0]["start"], FormatIso8601Utc(Berlin(2026, 11, 30, 9)));
  EXPECT_EQ(fake_->Stats().Count("slots"), 2u);

  // The given service; the company's own users and viewers; platform admins for any company.
  auto given =
      Call("GET",
           "/api/availability/quick?company_id=" + a + "&service_id=" + std::to_string(service_a_),
           viewer_a_);
  EXPECT_EQ(given.status, 200) << given.raw;
  EXPECT_EQ(Call("GET", "/api/availability/quick", admin_a_).status, 200);
  EXPECT_EQ(
      Call("GET", "/api/availability/quick?company_id=" + std::to_string(company_b_), platform_)
          .body["service_name"],
      "Haarschnitt");
  // 404: another company, a missing service, another company's service, a service without a
  // calendar.
  EXPECT_EQ(
      Call("GET", "/api/availability/quick?company_id=" + std::to_string(company_b_), admin_a_)
          .status,
      404);
  EXPECT_EQ(Call("GET", "/api/availability/quick?company_id=" + a + "&service_id=999999", admin_a_)
                .status,
            404);
  EXPECT_EQ(
      Call("GET",
           "/api/availability/quick?company_id=" + a + "&service_id=" + std::to_string(service_b_),
           admin_a_)
          .status,
      404);
  const auto no_calendar = IdOf("services", "name = 'Ohne Kalender'");
  EXPECT_EQ(
      Call("GET",
           "/api/availability/quick?company_id=" + a + "&service_id=" + std::to_string(no_calendar),
           admin_a_)
          .status,
      404);
  EXPECT_EQ(Call("GET", "/api/availability/quick", platform_).status, 422);
  EXPECT_EQ(Call("GET", "/api/availability/quick?company_id=" + a, std::nullopt).status, 401);
}

TEST_P(AdminApiTest, CallsAndAppointmentsArePagedNewestFirstPerCompany) {
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                    const long long t = ToUnixMillis(clock_.Now());
                    for (int i = 1; i <= 3; ++i) {
                      s.Execute(
                          "INSERT INTO calls (company_id, retell_call_id, status, "
                          "customer_cost_cents, total_profit_cents, created_at, updated_at) "
                          "VALUES (:c, :r, 'ended', 30, 12, :created, :updated)",
                          storage::Params()
                              .Add(company_a_)
                              .Add("call-a-" + std::to_string(i))
                              .Add(t)
                              .Add(t));
                      s.Execute(
                          "INSERT INTO appointments (company_id, starts_at, ends_at, timezone, "
                          "status, source, created_at, updated_at) VALUES (:c, :s, :e, "
                          "'Europe/Berlin', 'booked', 'admin', :created, :updated)",
                          storage::Params()
                              .Add(company_a_)
                              .Add(t + i * 3600000LL)
                              .Add(t + i * 3600000LL + 1800000)
                              .Add(t)
                              .Add(t));
                    }
                    s.Execute(
                        "INSERT INTO calls (company_id, retell_call_id, status, created_at, "
                        "updated_at) VALUES (:c, 'call-b-1', 'ended', :created, :updated)",
                        storage::Params().Add(company_b_).Add(t).Add(t));
                    return Ok();
                  })
                  .has_value());
  auto page1 = Call("GET", CompanyPath(company_a_, "/calls?limit=2"), admin_a_);
  ASSERT_EQ(page1.status, 200) << page1.raw;
  ASSERT_EQ(page1.body["items"].size(), 2u);
  EXPECT_EQ(page1.body["items"][0]["retell_call_id"], "call-a-3");
  EXPECT_EQ(page1.body["items"][1]["retell_call_id"], "call-a-2");
  EXPECT_EQ(page1.body["items"][0]["customer_cost_cents"], 30);
  EXPECT_FALSE(page1.body["items"][0].contains("total_profit_cents"));
  const auto next = page1.body["next_before_id"];
  ASSERT_TRUE(next.is_number());
  auto page2 = Call(
      "GET",
      CompanyPath(company_a_, "/calls?limit=2&before_id=" + std::to_string(next.get<long long>())),
      admin_a_);
  ASSERT_EQ(page2.body["items"].size(), 1u);
  EXPECT_EQ(page2.body["items"][0]["retell_call_id"], "call-a-1");
  EXPECT_TRUE(page2.body["next_before_id"].is_null());
  auto platform = Call("GET", CompanyPath(company_a_, "/calls"), platform_);
  EXPECT_EQ(platform.body["items"][0]["total_profit_cents"], 12);
  EXPECT_EQ(platform.raw.find("call-b-1"), std::string::npos);

  auto appointments = Call("GET", CompanyPath(company_a_, "/appointments"), viewer_a_);
  ASSERT_EQ(appointments.status, 200);
  ASSERT_EQ(appointments.body["items"].size(), 3u);
  EXPECT_GT(appointments.body["items"][0]["id"], appointments.body["items"][1]["id"]);
  EXPECT_EQ(Call("GET", CompanyPath(company_b_, "/appointments"), viewer_a_).status, 404);
  EXPECT_EQ(Call("GET", CompanyPath(company_a_, "/calls?limit=0"), admin_a_).status, 422);
}

TEST_P(AdminApiTest, DeactivatingKeepsTheRowAndStatusIsNeverFromTheBody) {
  const std::string service = CompanyPath(company_a_, "/services/" + std::to_string(service_a_));
  auto off = Call("DELETE", service, admin_a_);
  ASSERT_EQ(off.status, 200) << off.raw;
  EXPECT_EQ(off.body["is_active"], false);
  EXPECT_EQ(Count("services", "id = " + std::to_string(service_a_)), 1);
  EXPECT_EQ(Call("DELETE", service, viewer_a_).status, 403);
  auto on = Call("POST", service + "/activate", admin_a_);
  EXPECT_EQ(on.body["is_active"], true);
}

// ---- The real binary ----

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCallgate(const fs::path& dir, const std::string& database_url,
                          const std::string& args, const std::string& stdin_text = "") {
  const std::string cmd = "cd '" + dir.string() + "' && printf '%s' '" + stdin_text +
                          "' | env -i PATH=/usr/bin:/bin CALLGATE_LOG_FORMAT=text "
                          "CALLGATE_DATABASE_URL='" +
                          database_url + "' '" + std::string(CALLGATE_BINARY) + "' " + args +
                          " 2>&1";
  CommandResult result;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) result.output.append(buf.data(), n);
    const int status = ::pclose(p);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return result;
}

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

TEST_P(AdminApiTest, CliCreatesUsersAndTokensThroughTheRealBinary) {
  const fs::path dir = fs::temp_directory_path() / ("cg-admin-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string url = DatabaseUrl();
  // The binary runs on the real clock; so does the server for this test.
  clock_.SetNow(SystemClock().Now());

  auto user = RunCallgate(dir, url,
                          "admin create-user --email Cli@Praxis-A.de --role company_admin "
                          "--company praxis-a --password-stdin",
                          "a long enough password\n");
  ASSERT_EQ(user.exit_code, 0) << user.output;
  EXPECT_NE(user.output.find("cli@praxis-a.de"), std::string::npos);
  auto stored = users_->FindByEmail("cli@praxis-a.de");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(
      auth_->VerifyPassword("cli@praxis-a.de", Secret("a long enough password")).has_value());

  auto duplicate = RunCallgate(dir, url,
                               "admin create-user --email cli@praxis-a.de --role viewer "
                               "--company praxis-a");
  EXPECT_NE(duplicate.exit_code, 0);
  auto bad_role = RunCallgate(dir, url, "admin create-user --email x@y.de --role root");
  EXPECT_EQ(bad_role.exit_code, 2) << bad_role.output;

  auto token = RunCallgate(dir, url, "admin create-token --email cli@praxis-a.de --days 7");
  ASSERT_EQ(token.exit_code, 0) << token.output;
  const std::string text = LastLine(token.output);
  ASSERT_TRUE(auth::LooksLikeToken(text)) << token.output;
  EXPECT_EQ(Count("api_tokens", "token_hash = '" + auth::HashToken(text) + "'"), 1);

  auto me = Call("GET", "/api/admin/me", text);
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body["role"], "company_admin");
  EXPECT_EQ(me.body["company_id"], company_a_);

  const auto id = tokens_->FindByHash(auth::HashToken(text))->id.value;
  auto revoke = RunCallgate(dir, url, "admin revoke-token --id " + std::to_string(id));
  ASSERT_EQ(revoke.exit_code, 0) << revoke.output;
  EXPECT_EQ(Call("GET", "/api/admin/me", text).status, 401);
  fs::remove_all(dir);
}

// ---- Data protection (docs/privacy.md): export, erasure, the audit log ----

// Answers about callers (lists, an export) and errors alike are kept in no browser's or proxy's
// cache, and are not sniffed as another content type.
TEST_P(AdminApiTest, AnswersAreKeptInNoCache) {
  for (const Answer& answer :
       {Call("GET", CompanyPath(company_a_, "/customers"), admin_a_),
        Call("POST", CompanyPath(company_a_, "/privacy/export"), admin_a_,
             R"({"phone":"0151 12345678"})"),
        Call("GET", CompanyPath(company_a_, "/calls"), viewer_a_),
        Call("GET", CompanyPath(company_b_, "/customers"), admin_a_), Call("GET", "/health", {})}) {
    EXPECT_LT(answer.status, 500) << answer.raw;
    EXPECT_EQ(answer.headers.Get("Cache-Control"), "no-store") << answer.raw;
    EXPECT_EQ(answer.headers.Get("X-Content-Type-Options"), "nosniff") << answer.raw;
  }
}

TEST_P(AdminApiTest, CompanyAdminsExportAndEraseAPersonThroughTheApi) {
  const std::string export_path = CompanyPath(company_a_, "/privacy/export");
  const std::string erase_path = CompanyPath(company_a_, "/privacy/erase");
  const std::string body = R"({"phone":"0151 12345678"})";
  EXPECT_EQ(Call("POST", export_path, viewer_a_, body).status, 403);
  EXPECT_EQ(Call("POST", CompanyPath(company_b_, "/privacy/export"), admin_a_, body).status, 404);
  EXPECT_EQ(Call("POST", export_path, admin_a_, R"({"phone":"x","id":1})").status, 422);
  EXPECT_EQ(Call("POST", export_path, admin_a_, R"({"phone":"kein Anschluss"})").status, 422);

  auto exported = Call("POST", export_path, admin_a_, body);
  ASSERT_EQ(exported.status, 200) << exported.raw;
  EXPECT_EQ(exported.body["phone"], "+4915112345678");
  EXPECT_EQ(exported.body["customer"]["name"], "Erika");
  EXPECT_TRUE(exported.body["calls"].is_array());
  EXPECT_EQ(exported.body["audit_events"].back()["action"], "privacy.export");

  // A future appointment blocks the erase until cancel_future is given.
  const auto erika = IdOf("customers", "phone_e164 = '+4915112345678'");
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                    const auto start = clock_.Now() + std::chrono::hours(48);
                    s.Execute(
                        "INSERT INTO appointments (company_id, customer_id, starts_at, ends_at, "
                        "timezone, status, calcom_booking_uid, source, created_at, updated_at) "
                        "VALUES (:c, :cu, :s, :e, 'Europe/Berlin', 'booked', 'uid-unknown', "
                        "'admin', :cr, :u)",
                        storage::Params()
                            .Add(company_a_)
                            .Add(erika)
                            .Add(start)
                            .Add(start + std::chrono::minutes(30))
                            .Add(clock_.Now())
                            .Add(clock_.Now()));
                    return Ok();
                  })
                  .has_value());
  auto refused = Call("POST", erase_path, admin_a_, body);
  EXPECT_EQ(refused.status, 409) << refused.raw;
  EXPECT_EQ(Count("customers", "phone_e164 = '+4915112345678'"), 1);
  auto erased =
      Call("POST", erase_path, admin_a_, R"({"phone":"0151 12345678","cancel_future":true})");
  ASSERT_EQ(erased.status, 200) << erased.raw;
  EXPECT_EQ(erased.body["erased"]["customer_deleted"], true);
  EXPECT_EQ(erased.body["erased"]["appointments_cancelled"], 1);
  EXPECT_EQ(Count("customers", "phone_e164 = '+4915112345678'"), 0);
  EXPECT_EQ(Count("appointments", "status = 'cancelled' AND customer_id IS NULL"), 1);
  EXPECT_EQ(Count("customers", "phone_e164 = '+4915199990000'"), 1);  // company B's Max stays
  EXPECT_EQ(Count("audit_events",
                  "action = 'privacy.erase' AND actor LIKE 'user:%' AND "
                  "target = 'customer:" +
                      std::to_string(erika) + "'"),
            1);
}

TEST_P(AdminApiTest, CompanyAdminsSetRetentionRecordingsAndTheAiDisclosure) {
  auto before = Call("GET", CompanyPath(company_a_), admin_a_);
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.body["retention_days"], 30);
  EXPECT_EQ(before.body["customer_retention_days"], 365);
  EXPECT_EQ(before.body["store_recordings"], false);
  EXPECT_EQ(before.body["ai_disclosure"],
            "Sie sprechen mit dem digitalen Assistenten von Praxis A.");
  auto changed =
      Call("PATCH", CompanyPath(company_a_), admin_a_,
           R"({"retention_days":14,"customer_retention_days":90,)"
           R"("store_recordings":true,"ai_disclosure":"Hier spricht die KI der Praxis."})");
  ASSERT_EQ(changed.status, 200) << changed.raw;
  EXPECT_EQ(changed.body["retention_days"], 14);
  EXPECT_EQ(changed.body["customer_retention_days"], 90);
  EXPECT_EQ(changed.body["store_recordings"], true);
  EXPECT_EQ(changed.body["ai_disclosure"], "Hier spricht die KI der Praxis.");
  EXPECT_EQ(Count("companies", "id = " + std::to_string(company_a_) +
                                   " AND retention_days = 14 AND store_recordings = 1"),
            1);
  for (const std::string& bad :
       std::vector<std::string>{R"({"retention_days":0})", R"({"retention_days":3651})",
                                R"({"customer_retention_days":0})", R"({"store_recordings":"ja"})",
                                R"({"ai_disclosure":")" + std::string(501, 'x') + "\"}"}) {
    auto refused = Call("PATCH", CompanyPath(company_a_), admin_a_, bad);
    EXPECT_EQ(refused.status, 422) << bad;
    EXPECT_EQ(refused.body["error"]["code"], "validation_failed") << refused.raw;
  }
  auto reset = Call("PATCH", CompanyPath(company_a_), admin_a_, R"({"ai_disclosure":null})");
  ASSERT_EQ(reset.status, 200);
  EXPECT_EQ(reset.body["ai_disclosure"],
            "Sie sprechen mit dem digitalen Assistenten von Praxis A.");
  EXPECT_EQ(reset.body["retention_days"], 14);
  EXPECT_EQ(Call("PATCH", CompanyPath(company_a_), viewer_a_, R"({"retention_days":7})").status,
            403);
}

TEST_P(AdminApiTest, AuditEventsRecordReadsOfPersonalDataAndWritesPerCompany) {
  const auto erika = IdOf("customers", "phone_e164 = '+4915112345678'");
  const std::string customer = CompanyPath(company_a_, "/customers/" + std::to_string(erika));
  ASSERT_EQ(Call("GET", CompanyPath(company_a_, "/customers"), viewer_a_).status, 200);
  ASSERT_EQ(Call("GET", customer, admin_a_).status, 200);
  ASSERT_EQ(Call("PATCH", customer, admin_a_, R"({"notes":"Stammkundin"})").status, 200);
  ASSERT_EQ(Call("GET", CompanyPath(company_a_, "/calls"), admin_a_).status, 200);
  ASSERT_EQ(Call("GET", CompanyPath(company_a_, "/appointments"), admin_a_).status, 200);
  ASSERT_EQ(Call("PATCH", CompanyPath(company_a_), admin_a_, R"({"name":"Praxis A"})").status, 200);
  ASSERT_EQ(Call("GET", CompanyPath(company_a_, "/branches"), admin_a_).status, 200);
  ASSERT_EQ(Call("PATCH", customer, admin_a_, R"({"notes":7})").status, 422);  // refused: none

  auto list = Call("GET", "/api/admin/audit-events", admin_a_);
  ASSERT_EQ(list.status, 200) << list.raw;
  std::vector<std::string> actions;
  for (const auto& e : list.body["items"]) {
    actions.push_back(e["action"]);
    EXPECT_EQ(e["company_id"], company_a_);
    EXPECT_FALSE(e["request_id"].is_null());
  }
  // Newest first; the branch list is no personal data and the refused write changed nothing.
  EXPECT_EQ(actions,
            (std::vector<std::string>{"companies.update", "appointments.list", "calls.list",
                                      "customers.update", "customers.get", "customers.list"}));
  const json& update = list.body["items"][3];
  EXPECT_EQ(update["target"], "customer:" + std::to_string(erika));
  EXPECT_EQ(update["detail"], "fields=notes");
  EXPECT_EQ(update["actor"],
            "user:" + std::to_string(IdOf("users", "email = 'admin@praxis-a.de'")));
  EXPECT_EQ(list.raw.find("Stammkundin"), std::string::npos);
  EXPECT_EQ(list.body["items"][5]["actor"],
            "user:" + std::to_string(IdOf("users", "email = 'viewer@praxis-a.de'")));

  auto filtered =
      Call("GET",
           "/api/admin/audit-events?action=customers.get&target=customer:" + std::to_string(erika),
           viewer_a_);
  ASSERT_EQ(filtered.status, 200) << filtered.raw;
  EXPECT_EQ(filtered.body["items"].size(), 1u);
  auto paged = Call("GET", "/api/admin/audit-events?limit=2", admin_a_);
  ASSERT_EQ(paged.status, 200);
  ASSERT_EQ(paged.body["items"].size(), 2u);
  auto next = Call("GET",
                   "/api/admin/audit-events?limit=2&before_id=" +
                       std::to_string(paged.body["next_before_id"].get<std::int64_t>()),
                   admin_a_);
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(next.body["items"][0]["action"], "calls.list");
  auto later = Call("GET", "/api/admin/audit-events?since=2030-01-01T00:00:00Z", admin_a_);
  ASSERT_EQ(later.status, 200);
  EXPECT_TRUE(later.body["items"].empty());
  EXPECT_EQ(Call("GET", "/api/admin/audit-events?since=gestern", admin_a_).status, 422);
  // Another company's log is 404 like a missing company; the platform sees any.
  EXPECT_EQ(
      Call("GET", "/api/admin/audit-events?company_id=" + std::to_string(company_b_), admin_a_)
          .status,
      404);
  auto platform =
      Call("GET", "/api/admin/audit-events?company_id=" + std::to_string(company_a_), platform_);
  ASSERT_EQ(platform.status, 200);
  EXPECT_EQ(platform.body["items"].size(), 6u);
  EXPECT_EQ(Call("GET", "/api/admin/audit-events", std::nullopt).status, 401);
}

// A read of personal data is answered only once its access is on record: while the audit log
// cannot be written it is 503 and holds none of the data; other reads are answered as usual.
TEST_P(AdminApiTest, AReadOfPersonalDataIsRefusedWhileItsAccessCannotBeRecorded) {
  const auto erika = IdOf("customers", "phone_e164 = '+4915112345678'");
  const std::string customer = CompanyPath(company_a_, "/customers/" + std::to_string(erika));
  Answer one, all, branches;
  {
    storage::testing::TableAway away(db(), "audit_events");
    one = Call("GET", customer, admin_a_);
    all = Call("GET", CompanyPath(company_a_, "/customers"), admin_a_);
    branches = Call("GET", CompanyPath(company_a_, "/branches"), admin_a_);
  }
  EXPECT_EQ(one.status, 503) << one.raw;
  EXPECT_EQ(all.status, 503) << all.raw;
  for (const auto* refused : {&one, &all}) {
    EXPECT_EQ(refused->raw.find("4915112345678"), std::string::npos) << refused->raw;
    EXPECT_EQ(refused->raw.find("Erika"), std::string::npos) << refused->raw;
  }
  EXPECT_EQ(branches.status, 200) << branches.raw;  // no personal data, nothing to record
  EXPECT_EQ(Call("GET", customer, admin_a_).status, 200);
}

TEST_P(AdminApiTest, CliPrivacyCommandsAnswerAndEraseAndEveryCommandIsAudited) {
  const fs::path dir = fs::temp_directory_path() / ("cg-privacy-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string url = DatabaseUrl();
  clock_.SetNow(SystemClock().Now());

  auto exported =
      RunCallgate(dir, url, "privacy export --company praxis-a --phone '+49 151 12345678'");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto document =
      json::parse(exported.output.substr(exported.output.find('{')), nullptr, false);
  ASSERT_TRUE(document.is_object()) << exported.output;
  EXPECT_EQ(document["customer"]["name"], "Erika");
  EXPECT_EQ(
      RunCallgate(dir, url, "privacy export --company nirgendwo --phone 015112345678").exit_code,
      1);

  auto erased = RunCallgate(dir, url, "privacy erase --company praxis-a --phone 015112345678");
  ASSERT_EQ(erased.exit_code, 0) << erased.output;
  EXPECT_NE(erased.output.find("customer deleted: yes"), std::string::npos) << erased.output;
  EXPECT_NE(erased.output.find("+49151****678"), std::string::npos) << erased.output;
  EXPECT_EQ(erased.output.find("+4915112345678"), std::string::npos) << erased.output;
  EXPECT_EQ(Count("customers", "phone_e164 = '+4915112345678'"), 0);

  ASSERT_EQ(RunCallgate(dir, url,
                        "admin create-user --email ops@praxis-a.de --role viewer "
                        "--company praxis-a")
                .exit_code,
            0);
  ASSERT_EQ(RunCallgate(dir, url, "admin create-token --email ops@praxis-a.de").exit_code, 0);
  ASSERT_EQ(RunCallgate(dir, url, "keys rotate").exit_code, 0);
  auto purge = RunCallgate(dir, url, "privacy purge");
  ASSERT_EQ(purge.exit_code, 0) << purge.output;
  EXPECT_NE(purge.output.find("audit entries deleted: 0"), std::string::npos) << purge.output;

  for (const std::string action :
       {"privacy.export", "privacy.erase", "tokens.create", "keys.rotate"}) {
    EXPECT_EQ(Count("audit_events", "action = '" + action + "' AND actor = 'system'"), 1) << action;
  }
  // The running server's daily purge job writes the same entry, so there may be more than one.
  EXPECT_GE(Count("audit_events",
                  "action = 'privacy.purge' AND actor = 'system' AND "
                  "detail LIKE '%\"calls_cleared\":%'"),
            1);
  EXPECT_EQ(Count("audit_events",
                  "action = 'tokens.create' AND company_id = " + std::to_string(company_a_)),
            1);
  fs::remove_all(dir);
}

TEST_P(AdminApiTest, CallbackQueueIsReadInDueOrderAndStaffSetTheStatusWithinTheirCompany) {
  const auto branch_a = IdOf("branches", "company_id = " + std::to_string(company_a_));
  // Mitte opens Monday to Friday 9–18: the SLA (2 hours by default) counts only those hours.
  ASSERT_EQ(
      Call("PATCH", CompanyPath(company_a_, "/branches/" + std::to_string(branch_a)), admin_a_,
           R"({"business_hours":{"mon":["09:00","18:00"],"tue":["09:00","18:00"],
                     "wed":["09:00","18:00"],"thu":["09:00","18:00"],"fri":["09:00","18:00"]}})")
          .status,
      200);
  storage::SqlCallbackRequestRepository repo(db(), clock_);
  auto note = [&](std::int64_t company, std::optional<std::int64_t> branch, SystemTimePoint due,
                  const std::string& name, const std::string& status = "open") {
    booking::CallbackRequest r;
    if (branch) r.branch_id = tenancy::BranchId(*branch);
    r.phone = "+4915112345678";
    r.name = name;
    r.reason = "Rückfrage zum Befund von " + name;
    r.status = status;
    r.due_at = due;
    auto created = repo.Create(tenancy::CompanyId(company), r);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id.value : 0;
  };
  // Now: Monday 30.11. 8:00. Friday 9:00 + 2 h → Friday 11:00: overdue. Friday 17:30: half an
  // hour on Friday, Monday 9:00 + 1:30 → 10:30 (wall-clock time would say Friday 19:30).
  const auto late = note(company_a_, branch_a, Berlin(2026, 11, 27, 9), "Erika");
  const auto friday = note(company_a_, branch_a, Berlin(2026, 11, 27, 17, 30), "Hans");
  note(company_a_, branch_a, Berlin(2026, 11, 26, 9), "Fertig", "completed");
  const auto foreign = note(company_b_, branch_b_, Berlin(2026, 11, 27, 9), "Max");
  const std::string callbacks = CompanyPath(company_a_, "/callbacks");

  auto queue = Call("GET", callbacks, viewer_a_);
  ASSERT_EQ(queue.status, 200) << queue.raw;
  ASSERT_EQ(queue.body["items"].size(), 2u);
  const json& first = queue.body["items"][0];
  EXPECT_EQ(first["id"], late);
  EXPECT_EQ(first["phone"], "+4915112345678");
  EXPECT_EQ(first["name"], "Erika");
  EXPECT_EQ(first["reason"], "Rückfrage zum Befund von Erika");  // sealed at rest, opened here
  EXPECT_EQ(first["branch_id"], branch_a);
  EXPECT_EQ(first["status"], "open");
  EXPECT_EQ(first["due_at"], FormatIso8601Utc(Berlin(2026, 11, 27, 9)));
  EXPECT_EQ(first["overdue_at"], FormatIso8601Utc(Berlin(2026, 11, 27, 11)));
  EXPECT_TRUE(first["overdue"].get<bool>());
  EXPECT_EQ(queue.body["items"][1]["id"], friday);
  EXPECT_FALSE(queue.body["items"][1]["overdue"].get<bool>());
  EXPECT_EQ(queue.body["items"][1]["overdue_at"], FormatIso8601Utc(Berlin(2026, 11, 30, 10, 30)));
  EXPECT_EQ(queue.body["sla"]["minutes"], 120);
  EXPECT_TRUE(queue.body["next_after_id"].is_null());
  EXPECT_EQ(queue.raw.find("Max"), std::string::npos);
  EXPECT_NE(Text("reason", "callback_requests", "id = " + std::to_string(late)), "");

  auto overdue = Call("GET", callbacks + "?status=overdue", admin_a_);
  ASSERT_EQ(overdue.status, 200) << overdue.raw;
  ASSERT_EQ(overdue.body["items"].size(), 1u);
  EXPECT_EQ(overdue.body["items"][0]["id"], late);
  clock_.SetNow(Berlin(2026, 11, 30, 10, 31));
  EXPECT_EQ(Call("GET", callbacks + "?status=overdue", admin_a_).body["items"].size(), 2u);

  auto page = Call("GET", callbacks + "?limit=1&branch_id=" + std::to_string(branch_a), admin_a_);
  ASSERT_EQ(page.status, 200) << page.raw;
  ASSERT_EQ(page.body["items"].size(), 1u);
  ASSERT_EQ(page.body["next_after_id"], late);
  auto rest = Call("GET", callbacks + "?limit=1&after_id=" + std::to_string(late), admin_a_);
  ASSERT_EQ(rest.body["items"].size(), 1u);
  EXPECT_EQ(rest.body["items"][0]["id"], friday);
  EXPECT_EQ(Call("GET", callbacks + "?status=all", admin_a_).body["items"].size(), 3u);
  EXPECT_EQ(Call("GET", callbacks + "?status=erledigt", admin_a_).status, 422);
  EXPECT_EQ(Call("GET", callbacks + "?limit=0", admin_a_).status, 422);

  // Company scoping: another company's queue, branch or request answers 404 and changes nothing.
  EXPECT_EQ(Call("GET", CompanyPath(company_b_, "/callbacks"), admin_a_).status, 404);
  EXPECT_EQ(Call("GET", callbacks + "?branch_id=" + std::to_string(branch_b_), admin_a_).status,
            404);
  EXPECT_EQ(Call("GET", callbacks + "?after_id=" + std::to_string(foreign), admin_a_).status, 404);
  const std::string foreign_path = callbacks + "/" + std::to_string(foreign);
  EXPECT_EQ(Call("PATCH", foreign_path, admin_a_, R"({"status":"cancelled"})").status, 404);
  EXPECT_EQ(Call("PATCH", CompanyPath(company_b_, "/callbacks/" + std::to_string(foreign)),
                 admin_a_, R"({"status":"cancelled"})")
                .status,
            404);
  EXPECT_EQ(Text("status", "callback_requests", "id = " + std::to_string(foreign)), "open");

  // Viewers read but do not write.
  const std::string late_path = callbacks + "/" + std::to_string(late);
  EXPECT_EQ(Call("PATCH", late_path, viewer_a_, R"({"status":"in_progress"})").status, 403);
  EXPECT_EQ(Text("status", "callback_requests", "id = " + std::to_string(late)), "open");

  // Staff take it, hand it back, finish it; what the caller said is not writable.
  auto taken = Call("PATCH", late_path, admin_a_, R"({"status":"in_progress"})");
  ASSERT_EQ(taken.status, 200) << taken.raw;
  EXPECT_EQ(taken.body["status"], "in_progress");
  EXPECT_FALSE(taken.body["overdue"].get<bool>());
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, R"({"status":"open"})").body["status"], "open");
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, R"({"status":"completed"})").status, 200);
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, R"({"status":"cancelled"})").status, 409);
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, R"({"status":"erledigt"})").status, 422);
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, R"({"status":"open","phone":"+491701234567"})")
                .body["error"]["code"],
            "field_not_allowed");
  EXPECT_EQ(Call("PATCH", late_path, admin_a_, "{}").status, 422);
  EXPECT_EQ(Text("status", "callback_requests", "id = " + std::to_string(late)), "completed");
  EXPECT_EQ(Call("PATCH", callbacks + "/999999", admin_a_, R"({"status":"completed"})").status,
            404);
  EXPECT_EQ(Call("PATCH", callbacks + "/" + std::to_string(friday), platform_,
                 R"({"status":"cancelled"})")
                .status,
            200);

  // Reads of the queue (personal data) and every change are audited.
  EXPECT_EQ(Count("audit_events",
                  "action = 'callbacks.list' AND company_id = " + std::to_string(company_a_)),
            6);
  EXPECT_EQ(Count("audit_events", "action = 'callbacks.update' AND target = 'callback:" +
                                      std::to_string(late) + "'"),
            3);
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminApiTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
