// Rate-limit guards: 429 JSON with Retry-After through a real http::Server, keys per company
// and function or per client address, the failed-authentication guard, and two servers sharing
// one limit through Redis.

#include "ratelimit/rate_limit_guard.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/testing/fake_clock.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/testing/test_redis.hpp"

namespace callgate::ratelimit {
namespace {

using callgate::testing::FakeClock;
using http::Method;
using http::Request;
using http::Response;
using std::chrono::seconds;

// Stands in for the signature guard: the tenant comes from an "X-Company" header.
http::MiddlewarePtr FakeTenantGuard() {
  return http::MakeFilter("fake_signature", [](Request& request) -> std::optional<Response> {
    auto company = request.Header("X-Company");
    if (!company) return Response::Error(ErrorCode::kUnauthenticated, "no signature");
    request.attributes.company_id = std::stoll(std::string(*company));
    return std::nullopt;
  });
}

// Stands in for an authentication guard: only "Authorization: good" passes.
http::MiddlewarePtr FakeAuthGuard() {
  return http::MakeFilter("fake_auth", [](Request& request) -> std::optional<Response> {
    if (request.Header("Authorization") == std::optional<std::string_view>("good")) {
      return std::nullopt;
    }
    return Response::Error(ErrorCode::kUnauthenticated, "bad credentials");
  });
}

http::ServerSettings TestSettings() {
  http::ServerSettings settings;
  settings.port = 0;
  settings.worker_threads = 2;
  settings.drain_timeout = seconds(5);
  return settings;
}

http::Handler Ok() {
  return [](Request&) { return Response::Json(200, {{"ok", true}}); };
}

class RateLimitGuardServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Limit per_function{5, seconds(60)};
    const Limit bookings{2, seconds(60)};
    router_.Add(Method::kPost, "/api/retell/{function}", Ok(),
                {{FakeTenantGuard(),
                  MakeRateLimitGuard("retell_function",
                                     ByCompanyAndRouteParam("function", per_function,
                                                            {{"book-appointment", bookings}}),
                                     limiter_, metrics_)}});
    router_.Add(Method::kGet, "/public", Ok(),
                {{MakeRateLimitGuard("public_ip", ByClientAddress(Limit{3, seconds(60)}), limiter_,
                                     metrics_)}});
    server_ = std::make_unique<http::Server>(TestSettings(), router_);
    ASSERT_TRUE(server_->Start().has_value());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  Result<http::testing::ClientResponse> Call(std::string_view function, int company) {
    http::Headers headers;
    headers.Set("X-Company", std::to_string(company));
    return http::testing::TestClient(server_->port())
        .Post("/api/retell/" + std::string(function), "{}", headers);
  }

  FakeClock clock_;
  observability::Metrics metrics_;
  LocalRateLimiter limiter_{clock_};
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(RateLimitGuardServerTest, AnswersTooManyRequestsJsonWithRetryAfter) {
  for (int i = 0; i < 2; ++i) {
    auto ok = Call("book-appointment", 7);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->status, 200);
  }
  auto limited = Call("book-appointment", 7);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->headers.Get("Retry-After"), std::optional<std::string_view>("30"));
  EXPECT_NE(limited->headers.Get("Content-Type")->find("application/json"), std::string::npos);
  auto body = nlohmann::json::parse(limited->body);
  EXPECT_EQ(body["error"]["code"], "rate_limited");
  EXPECT_FALSE(body["error"]["request_id"].get<std::string>().empty());
  EXPECT_EQ(metrics_.Value("callgate_ratelimit_rejected_total", {{"scope", "retell_function"}}), 1);

  // Other functions and other companies have their own allowance.
  EXPECT_EQ(Call("check-availability", 7)->status, 200);
  EXPECT_EQ(Call("book-appointment", 8)->status, 200);

  // And the limit recovers with time.
  clock_.Advance(seconds(30));
  EXPECT_EQ(Call("book-appointment", 7)->status, 200);
  EXPECT_EQ(Call("book-appointment", 7)->status, 429);
}

TEST_F(RateLimitGuardServerTest, PublicRoutesAreLimitedPerClientAddress) {
  http::testing::TestClient client(server_->port());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Get("/public")->status, 200);
  auto limited = client.Get("/public");
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->headers.Get("Retry-After"), std::optional<std::string_view>("20"));
  EXPECT_EQ(metrics_.Value("callgate_ratelimit_rejected_total", {{"scope", "public_ip"}}), 1);
  EXPECT_EQ(metrics_.Value("callgate_ratelimit_requests_total",
                           {{"scope", "public_ip"}, {"outcome", "allowed"}}),
            3);
}

Request MakeRequest(std::string peer, std::string path, std::string auth) {
  Request request;
  request.method = Method::kPost;
  request.path = std::move(path);
  request.target = request.path;
  request.peer_address = std::move(peer);
  request.headers.Set("Authorization", std::move(auth));
  return request;
}

TEST(FailedAuthGuard, ThrottlesFailuresButNeverRefusesValidCredentials) {
  FakeClock clock;
  observability::Metrics metrics;
  LocalRateLimiter limiter(clock);
  http::Router router;
  router.Add(Method::kPost, "/admin", Ok(),
             {{MakeFailedAuthGuard(Limit{3, seconds(60)}, limiter, metrics), FakeAuthGuard()}});

  // Legitimate traffic from one address is never limited.
  for (int i = 0; i < 50; ++i) {
    Request good = MakeRequest("192.0.2.10", "/admin", "good");
    EXPECT_EQ(router.Handle(good).status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    Request bad = MakeRequest("198.51.100.7", "/admin", "bad");
    EXPECT_EQ(router.Handle(bad).status, 401);
  }
  // Over the limit: further failures from the address get 429 ...
  Request bad_after = MakeRequest("198.51.100.7", "/admin", "bad");
  Response limited = router.Handle(bad_after);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.Get("Retry-After"), std::optional<std::string_view>("20"));
  EXPECT_EQ(metrics.Value("callgate_ratelimit_rejected_total", {{"scope", "failed_auth"}}), 1);
  // ... but valid credentials from the same address are never refused (one Retell address
  // carries every tenant's traffic; bad requests from it must not lock out the good ones).
  for (int i = 0; i < 10; ++i) {
    Request good_after = MakeRequest("198.51.100.7", "/admin", "good");
    EXPECT_EQ(router.Handle(good_after).status, 200);
  }
  EXPECT_EQ(metrics.Value("callgate_ratelimit_rejected_total", {{"scope", "failed_auth"}}), 1);
  // Other addresses are unaffected.
  Request other = MakeRequest("192.0.2.10", "/admin", "bad");
  EXPECT_EQ(router.Handle(other).status, 401);
  // One interval later a failure is a plain 401 again.
  clock.Advance(seconds(40));
  Request retry = MakeRequest("198.51.100.7", "/admin", "bad");
  EXPECT_EQ(router.Handle(retry).status, 401);
}

TEST(RateLimitGuard, RequestsWithoutAResolvedCompanyAreNotLimitedByCompanyKeys) {
  auto bucket = ByCompanyAndRouteParam("function", Limit{1, seconds(60)});
  Request request;
  request.route_params = {{"function", "book-appointment"}};
  EXPECT_FALSE(bucket(request).has_value());
  request.attributes.company_id = 3;
  auto keyed = bucket(request);
  ASSERT_TRUE(keyed.has_value());
  EXPECT_EQ(keyed->key, "company:3:book-appointment");
}

// Two callgate instances (two servers, two pools, two limiters) on one Redis.
class SharedLimitTest : public redis::testing::RedisTest {};

TEST_F(SharedLimitTest, TwoServersOnOneRedisShareOneLimit) {
  FakeClock clock;
  struct Instance {
    Instance(const redis::RedisUrl& url, const std::string& prefix, const Clock& clock)
        : pool(url, {}, clock), limiter(pool, clock, {.key_prefix = prefix}) {
      router.Add(Method::kPost, "/api/retell/{function}", Ok(),
                 {{FakeTenantGuard(),
                   MakeRateLimitGuard("retell_function",
                                      ByCompanyAndRouteParam("function", Limit{3, seconds(60)}),
                                      limiter, metrics)}});
      server = std::make_unique<http::Server>(TestSettings(), router);
    }
    redis::ClientPool pool;
    RedisRateLimiter limiter;
    observability::Metrics metrics;
    http::Router router;
    std::unique_ptr<http::Server> server;
  };
  Instance a(url_, prefix_, clock);
  Instance b(url_, prefix_, clock);
  ASSERT_TRUE(a.server->Start().has_value());
  ASSERT_TRUE(b.server->Start().has_value());
  http::Headers headers;
  headers.Set("X-Company", "42");
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) {
    const Instance& instance = i % 2 == 0 ? a : b;
    auto response = http::testing::TestClient(instance.server->port())
                        .Post("/api/retell/book-appointment", "{}", headers);
    ASSERT_TRUE(response.has_value()) << response.error().message;
    statuses.push_back(response->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 429, 429, 429}));
  EXPECT_EQ(
      a.metrics.Value("callgate_ratelimit_rejected_total", {{"scope", "retell_function"}}) +
          b.metrics.Value("callgate_ratelimit_rejected_total", {{"scope", "retell_function"}}),
      3);
  a.server->Stop();
  b.server->Stop();
}

}  // namespace
}  // namespace callgate::ratelimit
