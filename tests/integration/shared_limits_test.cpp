// Instance-level protection through the real HTTP server: two callgate instances on one Redis
// share the failed-authentication limit, a Redis outage never stops requests from being
// answered, and RETELL_IP_ALLOWLIST only ever adds a condition to the Retell signature.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
#include "redis/client.hpp"
#include "redis/testing/private_redis.hpp"
#include "redis/testing/test_redis.hpp"
#include "retell/signature.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

using http::testing::TestClient;
using nlohmann::json;

const Secret kPlatformKey("platform-key-123");
// The failed-authentication bucket of the loopback client in the shared Redis (the guard's key
// under RedisRateLimiter's default prefix); cleared around each test so reruns start afresh.
constexpr const char* kLoopbackFailedAuthKey = "callgate:rl:failed_auth:ip:127.0.0.1";

// A password-less URL (the private test server has none).
std::string RedisUrlText(const redis::RedisUrl& url) {
  return "redis://" + url.host + ":" + std::to_string(url.port) + "/" +
         std::to_string(url.database);
}

class SharedLimitsTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, db(), clock_).has_value());
    fake_ = std::make_unique<calcom::fake::FakeCalcom>();
    ASSERT_TRUE(fake_->Start().has_value());
  }

  void TearDown() override {
    for (auto& app : apps_) app->Stop();
    apps_.clear();
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  app::Config BaseConfig() {
    app::Config config;
    config.listen_port = 0;
    config.calcom_base_url = fake_->base_url();
    config.workers = 0;
    config.database_url = test_database().UrlText();
    config.retell_api_key = kPlatformKey;
    return config;
  }

  // Starts an instance on a free port and returns a client for it.
  TestClient& StartInstance(app::Config config) {
    auto application = app::Application::Create(std::move(config), system_clock_);
    EXPECT_TRUE(application.has_value()) << application.error().message;
    if (!application) throw std::runtime_error("instance did not start");
    apps_.push_back(std::move(*application));
    EXPECT_TRUE(apps_.back()->Start().has_value());
    clients_.push_back(std::make_unique<TestClient>(apps_.back()->port()));
    return *clients_.back();
  }

  // Skips (or fails under CI) without the shared test Redis; else its URL text.
  std::optional<std::string> SharedRedisOrSkip() {
    if (auto reason = redis::testing::RedisUnavailableReason(); !reason.empty()) {
      if (std::getenv("CI") != nullptr) ADD_FAILURE() << "redis must run under CI: " << reason;
      return std::nullopt;
    }
    return std::string(std::getenv(redis::testing::kRedisUrlVariable));
  }

  static void ClearLoopbackFailedAuth() {
    redis::Client client(redis::testing::TestRedisUrl());
    ASSERT_TRUE(client.Command({"DEL", kLoopbackFailedAuthKey}).has_value());
  }

  Result<http::testing::ClientResponse> PostSigned(const TestClient& client,
                                                   const std::string& path, const std::string& body,
                                                   const Secret& key = kPlatformKey) {
    http::Headers headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("X-Retell-Signature",
                retell::SignRetellPayload(body, key, ToUnixMillis(system_clock_.Now())));
    return client.Post(path, body, headers);
  }

  static std::string CallStarted(const std::string& call_id) {
    return json{{"event", "call_started"},
                {"call",
                 {{"call_type", "phone_call"},
                  {"from_number", "+4915112345678"},
                  {"to_number", "+493083793369"},
                  {"direction", "inbound"},
                  {"call_id", call_id},
                  {"agent_id", "agent_1"},
                  {"call_status", "ongoing"},
                  {"start_timestamp", 1714608475945}}}}
        .dump();
  }

  SystemClock system_clock_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::vector<std::unique_ptr<app::Application>> apps_;
  std::vector<std::unique_ptr<TestClient>> clients_;
};

TEST_P(SharedLimitsTest, TwoInstancesOnOneRedisShareTheFailedAuthenticationLimit) {
  auto redis_url = SharedRedisOrSkip();
  if (!redis_url) GTEST_SKIP() << redis::testing::RedisUnavailableReason();
  ClearLoopbackFailedAuth();
  app::Config config = BaseConfig();
  config.redis_url = *redis_url;
  TestClient& first = StartInstance(config);
  TestClient& second = StartInstance(config);

  const std::string body = CallStarted("call-shared-limit");
  for (int i = 0; i < 20; ++i) {
    auto r = PostSigned(i % 2 == 0 ? first : second, "/webhooks/retell", body, Secret("wrong"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->status, 401) << "attempt " << i + 1 << ": " << r->body;
  }
  // Each instance alone has seen only 10 failures: the 21st is refused because they share Redis.
  for (TestClient* client : {&first, &second}) {
    auto limited = PostSigned(*client, "/webhooks/retell", body, Secret("wrong"));
    ASSERT_TRUE(limited.has_value());
    EXPECT_EQ(limited->status, 429) << limited->body;
    EXPECT_EQ(json::parse(limited->body)["error"]["code"], "rate_limited");
    EXPECT_FALSE(limited->headers.Get("Retry-After").value_or("").empty());
  }
  ClearLoopbackFailedAuth();
}

TEST_P(SharedLimitsTest, RedisStoppedMidTestRequestsAreStillAnswered) {
  redis::testing::PrivateRedis redis;
  if (!redis.Start()) {
    if (std::getenv("CI") != nullptr) FAIL() << "redis-server cannot be started";
    GTEST_SKIP() << "redis-server cannot be started";
  }
  app::Config config = BaseConfig();
  config.redis_url = RedisUrlText(redis.url());
  TestClient& client = StartInstance(config);

  auto before = PostSigned(client, "/webhooks/retell", CallStarted("call-redis-up"));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->status, 200) << before->body;

  redis.Stop();
  for (int i = 0; i < 3; ++i) {
    auto during =
        PostSigned(client, "/webhooks/retell", CallStarted("call-redis-down-" + std::to_string(i)));
    ASSERT_TRUE(during.has_value()) << during.error().message;
    EXPECT_EQ(during->status, 200) << during->body;
  }
  // Authentication failures are still limited and answered (by this instance's local limits).
  auto unsigned_request = client.Post("/webhooks/retell", CallStarted("call-unsigned"), {});
  ASSERT_TRUE(unsigned_request.has_value());
  EXPECT_EQ(unsigned_request->status, 401) << unsigned_request->body;
}

TEST_P(SharedLimitsTest, RetellAllowlistRefusesSignedRequestsFromOtherAddresses) {
  app::Config config = BaseConfig();
  config.retell_ip_allowlist = {IpNetwork::Parse("100.20.5.228/32").value()};
  TestClient& client = StartInstance(config);

  auto webhook = PostSigned(client, "/webhooks/retell", CallStarted("call-not-allowed"));
  ASSERT_TRUE(webhook.has_value());
  EXPECT_EQ(webhook->status, 403) << webhook->body;
  auto function = PostSigned(client, "/api/retell/check_availability", "{}");
  ASSERT_TRUE(function.has_value());
  EXPECT_EQ(function->status, 403) << function->body;
  EXPECT_EQ(apps_.back()->metrics().Value("callgate_retell_ip_allowlist_rejected_total"), 2);
}

TEST_P(SharedLimitsTest, RetellAllowlistNeverAdmitsAnUnsignedRequest) {
  app::Config config = BaseConfig();
  config.retell_ip_allowlist = {IpNetwork::Parse("127.0.0.0/8").value()};
  TestClient& client = StartInstance(config);

  auto unsigned_request = client.Post("/webhooks/retell", CallStarted("call-unsigned"), {});
  ASSERT_TRUE(unsigned_request.has_value());
  EXPECT_EQ(unsigned_request->status, 401) << unsigned_request->body;
  auto wrong_key = PostSigned(client, "/api/retell/check_availability", "{}", Secret("wrong"));
  ASSERT_TRUE(wrong_key.has_value());
  EXPECT_EQ(wrong_key->status, 401) << wrong_key->body;
  auto signed_request = PostSigned(client, "/webhooks/retell", CallStarted("call-allowed"));
  ASSERT_TRUE(signed_request.has_value());
  EXPECT_EQ(signed_request->status, 200) << signed_request->body;

  const auto routes = apps_.back()->router().Describe();
  for (const auto& route : routes) {
    if (route.pattern.find("retell") == std::string::npos) continue;
    ASSERT_EQ(route.guards.size(), 3u) << route.pattern;
    EXPECT_EQ(route.guards[0], "failed_auth_limit") << route.pattern;
    EXPECT_EQ(route.guards[1], "ip_allowlist") << route.pattern;
    EXPECT_EQ(route.guards[2], "retell_signature") << route.pattern;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedLimitsTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
