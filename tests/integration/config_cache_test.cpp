// The tenant configuration held in memory, across instances: two callgate instances share one
// database; a service changed through the admin API of one is answered by the other once its
// refresh interval (TENANCY_CACHE_REFRESH_MS) has passed, and by the first at once. Both instances
// run on a FakeClock, so "within the bound" is shown by moving the clock, not by waiting.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "http/testing/test_client.hpp"
#include "retell_tool_call.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kPlatformKey("platform-key-config-cache");
constexpr const char* kMitte = "+493083793369";
constexpr const char* kCaller = "+4915112345678";
constexpr int kRefreshMs = 1000;

class ConfigCacheTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    users_ = std::make_unique<auth::SqlUserRepository>(db(), clock_);
    tokens_ = std::make_unique<auth::SqlTokenRepository>(db(), clock_);
    auth::AuthSettings auth_settings;
    auth_settings.password_cost = auth::PasswordHashCost::Minimum();
    auth_ = std::make_unique<auth::AuthService>(auth_settings, *users_, *tokens_, clock_);
    auth::NewUser root;
    root.email = "root@example.com";
    root.role = auth::Role::kPlatformAdmin;
    auto user = auth_->CreateUser(root);
    ASSERT_TRUE(user.has_value()) << user.error().message;
    auto token = auth_->CreateToken(user->id, {"test", std::nullopt, {}});
    ASSERT_TRUE(token.has_value()) << token.error().message;
    platform_ = token->text.Reveal();
    calcom::fake::FakeCalcomOptions fake_options;
    fake_options.clock = &clock_;
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(fake_options);
    ASSERT_TRUE(fake_->Start().has_value());
  }

  void TearDown() override {
    for (auto& app : apps_) app->Stop();
    apps_.clear();
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  TestClient& StartInstance() {
    app::Config config;
    config.listen_port = 0;
    config.calcom_base_url = fake_->base_url();
    config.workers = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kPlatformKey;
    config.tenancy_cache_refresh_ms = kRefreshMs;
    auto application = app::Application::Create(std::move(config), clock_);
    EXPECT_TRUE(application.has_value()) << application.error().message;
    if (!application) throw std::runtime_error("instance did not start");
    apps_.push_back(std::move(*application));
    EXPECT_TRUE(apps_.back()->Start().has_value());
    clients_.push_back(std::make_unique<TestClient>(apps_.back()->port()));
    return *clients_.back();
  }

  // The service names list-services says for a new call to Berlin Mitte.
  std::vector<std::string> Services(TestClient& client) {
    auto [status, body] = callgate::testing::CallRetellTool(
        client, kPlatformKey, clock_.Now(), "list-services", json::object(),
        "call-" + std::to_string(++calls_), kCaller, kMitte);
    EXPECT_EQ(status, 200) << body.dump();
    std::vector<std::string> names;
    for (const auto& s : body.value("services", json::array())) {
      names.push_back(s.value("name", ""));
    }
    return names;
  }

  static bool Has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  std::int64_t ServiceId(const std::string& name) {
    auto id = db().Run([&](storage::Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("id", "FROM services WHERE name = :name", storage::Params().Add(name),
              [&](const storage::Row& r) { out = r.Int64("id"); });
      return out;
    });
    EXPECT_TRUE(id.has_value() && *id > 0) << name;
    return id.value_or(0);
  }

  std::int64_t CompanyOf(std::int64_t service) {
    auto id = db().Run([&](storage::Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("company_id", "FROM services WHERE id = :id", storage::Params().Add(service),
              [&](const storage::Row& r) { out = r.Int64("company_id"); });
      return out;
    });
    return id.value_or(0);
  }

  int Admin(TestClient& client, const std::string& method, const std::string& target,
            const std::string& body) {
    http::testing::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers.Add("Authorization", "Bearer " + platform_);
    request.headers.Add("Content-Type", "application/json");
    auto r = client.Send(request);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? r->status : 0;
  }

  std::unique_ptr<auth::SqlUserRepository> users_;
  std::unique_ptr<auth::SqlTokenRepository> tokens_;
  std::unique_ptr<auth::AuthService> auth_;
  std::string platform_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::vector<std::unique_ptr<app::Application>> apps_;
  std::vector<std::unique_ptr<TestClient>> clients_;
  int calls_ = 0;
};

TEST_P(ConfigCacheTest, AServiceChangedOnOneInstanceIsAnsweredByTheOtherWithinTheRefresh) {
  TestClient& first = StartInstance();
  TestClient& second = StartInstance();
  ASSERT_TRUE(Has(Services(first), "Erstberatung"));
  ASSERT_TRUE(Has(Services(second), "Erstberatung"));

  const std::int64_t service = ServiceId("Erstberatung");
  const std::string path = "/api/admin/companies/" + std::to_string(CompanyOf(service)) +
                           "/services/" + std::to_string(service);
  ASSERT_EQ(Admin(first, "PATCH", path, R"({"name":"Erstgespräch"})"), 200);

  // The instance that made the change answers with it at once.
  const auto on_first = Services(first);
  EXPECT_TRUE(Has(on_first, "Erstgespräch"));
  EXPECT_FALSE(Has(on_first, "Erstberatung"));
  // The other still answers from memory until its refresh interval has passed …
  EXPECT_TRUE(Has(Services(second), "Erstberatung"));
  clock_.Advance(std::chrono::milliseconds(kRefreshMs - 1));
  EXPECT_TRUE(Has(Services(second), "Erstberatung"));
  // … and with the change once it has.
  clock_.Advance(std::chrono::milliseconds(1));
  const auto on_second = Services(second);
  EXPECT_TRUE(Has(on_second, "Erstgespräch"));
  EXPECT_FALSE(Has(on_second, "Erstberatung"));

  // Deactivated on the second instance: gone from both within the bound.
  ASSERT_EQ(Admin(second, "DELETE", path, ""), 200);
  EXPECT_FALSE(Has(Services(second), "Erstgespräch"));
  clock_.Advance(std::chrono::milliseconds(kRefreshMs));
  EXPECT_FALSE(Has(Services(first), "Erstgespräch"));
}

TEST_P(ConfigCacheTest, AChangeMadeOutsideTheAdminApiIsSeenWithinTheRefresh) {
  TestClient& instance = StartInstance();
  ASSERT_TRUE(Has(Services(instance), "Erstberatung"));
  // Plain SQL, as an operator or another tool would write it: the triggers move the version.
  ASSERT_TRUE(db().Run([](storage::Session& s) -> Status {
                    s.Execute(
                        "UPDATE services SET name = 'Erstgespräch' WHERE name = "
                        "'Erstberatung'");
                    return Ok();
                  })
                  .has_value());
  clock_.Advance(std::chrono::milliseconds(kRefreshMs));
  const auto names = Services(instance);
  EXPECT_TRUE(Has(names, "Erstgespräch"));
  EXPECT_FALSE(Has(names, "Erstberatung"));
}

TEST_P(ConfigCacheTest, ANumberMovedElsewhereStopsRoutingWithinTheRefresh) {
  TestClient& instance = StartInstance();
  ASSERT_FALSE(Services(instance).empty());
  ASSERT_TRUE(db().Run([](storage::Session& s) -> Status {
                    s.Execute(
                        "UPDATE phone_numbers SET number_e164 = '+493000000001' "
                        "WHERE number_e164 = :n",
                        storage::Params().Add(std::string(kMitte)));
                    return Ok();
                  })
                  .has_value());
  clock_.Advance(std::chrono::milliseconds(kRefreshMs));
  auto [status, body] =
      callgate::testing::CallRetellTool(instance, kPlatformKey, clock_.Now(), "list-services",
                                        json::object(), "call-after-removal", kCaller, kMitte);
  EXPECT_NE(status, 200) << body.dump();
}

// An admin write on an instance whose memory still holds the row as it was before another
// instance changed it: the write is applied to the row as stored, so what the other instance
// wrote (a deactivation, a rotated key) is not undone by a write of other fields. (A write drops
// the writing instance's memory, so each test makes one write on the first instance.)
TEST_P(ConfigCacheTest, ACompanyWriteOnAnInstanceWithAnOlderCopyKeepsWhatAnotherInstanceWrote) {
  TestClient& first = StartInstance();
  TestClient& second = StartInstance();
  const std::int64_t company_id = CompanyOf(ServiceId("Erstberatung"));
  const std::string company = "/api/admin/companies/" + std::to_string(company_id);
  ASSERT_EQ(Admin(first, "GET", company, ""), 200);  // now in the first instance's memory

  ASSERT_EQ(Admin(second, "DELETE", company, ""), 200);
  ASSERT_EQ(Admin(second, "PUT", company + "/secrets", R"({"calcom_api_key":"cal_rotated_77"})"),
            200);
  ASSERT_EQ(Admin(first, "PATCH", company, R"({"name":"Praxis am Park"})"), 200);

  storage::SqlCompanyRepository companies(db(), clock_);
  auto stored = companies.FindById(tenancy::CompanyId(company_id));
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->name, "Praxis am Park");
  EXPECT_FALSE(stored->is_active);
  EXPECT_EQ(stored->calcom_api_key.Reveal(), "cal_rotated_77");
}

TEST_P(ConfigCacheTest, ASecretsWriteOnAnInstanceWithAnOlderCopyKeepsTheOtherKeys) {
  TestClient& first = StartInstance();
  TestClient& second = StartInstance();
  const std::int64_t company_id = CompanyOf(ServiceId("Erstberatung"));
  const std::string company = "/api/admin/companies/" + std::to_string(company_id);
  ASSERT_EQ(Admin(first, "GET", company, ""), 200);

  ASSERT_EQ(Admin(second, "PUT", company + "/secrets", R"({"calcom_api_key":"cal_rotated_77"})"),
            200);
  ASSERT_EQ(Admin(first, "PUT", company + "/secrets", R"({"retell_api_key":"key_new_88"})"), 200);

  storage::SqlCompanyRepository companies(db(), clock_);
  auto stored = companies.FindById(tenancy::CompanyId(company_id));
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->calcom_api_key.Reveal(), "cal_rotated_77");
  EXPECT_EQ(stored->retell_api_key.Reveal(), "key_new_88");
}

TEST_P(ConfigCacheTest, AServiceWriteOnAnInstanceWithAnOlderCopyKeepsItsDeactivation) {
  TestClient& first = StartInstance();
  TestClient& second = StartInstance();
  const std::int64_t service = ServiceId("Erstberatung");
  const std::int64_t company_id = CompanyOf(service);
  const std::string path =
      "/api/admin/companies/" + std::to_string(company_id) + "/services/" + std::to_string(service);
  ASSERT_EQ(Admin(first, "GET", path, ""), 200);

  ASSERT_EQ(Admin(second, "DELETE", path, ""), 200);
  ASSERT_EQ(Admin(first, "PATCH", path, R"({"price_cents":4500})"), 200);

  storage::SqlServiceRepository services(db(), clock_);
  auto stored = services.FindById(tenancy::CompanyId(company_id), tenancy::ServiceId(service));
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->price_cents, 4500);
  EXPECT_FALSE(stored->is_active);
  // Nor does activating it on the first undo a change of the second.
  ASSERT_EQ(Admin(first, "GET", path, ""), 200);
  ASSERT_EQ(Admin(second, "PATCH", path, R"({"name":"Erstgespräch"})"), 200);
  ASSERT_EQ(Admin(first, "POST", path + "/activate", ""), 200);
  stored = services.FindById(tenancy::CompanyId(company_id), tenancy::ServiceId(service));
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->is_active);
  EXPECT_EQ(stored->name, "Erstgespräch");
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigCacheTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
