#include "vapi/auth_guard.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/blocking.hpp"
#include "core/testing/fake_clock.hpp"

namespace callgate::vapi {
namespace {

using tenancy::Company;
using tenancy::CompanyId;

class Companies final : public tenancy::CompanyRepository {
 public:
  std::vector<Company> rows;

  Result<Company> Create(const Company& c) override {
    rows.push_back(c);
    rows.back().id = CompanyId(static_cast<std::int64_t>(rows.size()));
    return rows.back();
  }
  Result<Company> Update(CompanyId, const tenancy::Change<Company>&) override {
    return Fail(ErrorCode::kInternal, "not used");
  }
  Result<Company> FindById(CompanyId id) override {
    for (const auto& c : rows) {
      if (c.id == id) return c;
    }
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<Company> FindBySlug(std::string_view slug) override {
    for (const auto& c : rows) {
      if (c.slug == slug) return c;
    }
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<std::vector<Company>> List() override { return rows; }
};

class VapiAuthGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Company own;
    own.slug = "salon";
    own.vapi_secret = Secret("salon-secret");
    salon_ = companies_.Create(own)->id;
    Company plain;
    plain.slug = "praxis";
    praxis_ = companies_.Create(plain)->id;
    Company inactive;
    inactive.slug = "closed";
    inactive.is_active = false;
    companies_.Create(inactive);
  }

  // The status the guard answers, and what the handler saw when it ran.
  int Post(const std::string& slug, const std::string& secret) {
    http::Request r;
    r.method = http::Method::kPost;
    r.body = R"({"message":{"type":"status-update"}})";
    if (!slug.empty()) r.route_params.emplace_back("slug", slug);
    if (!secret.empty()) r.headers.Add("X-Vapi-Secret", secret);
    seen_company_.reset();
    const http::Handler handler = [&](http::Request& req) {
      seen_company_ = req.attributes.company_id;
      EXPECT_EQ(req.attributes.principal, "vapi");
      return http::Response::Json(200, {{"status", "ok"}});
    };
    auto guard = std::make_shared<VapiAuthGuard>(Secret("platform-secret"), HmacSettings{},
                                                 companies_, clock_, metrics_);
    std::vector<http::MiddlewarePtr> chain{guard};
    return http::RunChain(chain, r, handler).status;
  }

  Companies companies_;
  callgate::testing::FakeClock clock_;
  observability::Metrics metrics_;
  CompanyId salon_, praxis_;
  std::optional<std::int64_t> seen_company_;
};

// Tried on the I/O thread, then run again on a handler thread (the failed-authentication limit
// waits for Redis, say): each request is counted once.
TEST_F(VapiAuthGuardTest, ARequestRunAgainIsCountedOnce) {
  const auto count = [&](std::string_view prefix) {
    return metrics_.Sum("callgate_vapi_auth_total", [prefix](const observability::Labels& l) {
      return l.size() == 1 && l[0].second.rfind(prefix, 0) == 0;
    });
  };
  AttemptMemo refused;
  for (bool may_block : {false, true}) {
    AttemptScope attempt(refused, may_block);
    EXPECT_EQ(Post("", "wrong-secret"), 401);
  }
  EXPECT_EQ(count(""), 1);
  AttemptMemo accepted;
  for (bool may_block : {false, true}) {
    AttemptScope attempt(accepted, may_block);
    EXPECT_EQ(Post("", "platform-secret"), 200);
  }
  EXPECT_EQ(count("ok_"), 1);
  // Requests of their own are each counted.
  EXPECT_EQ(Post("", "wrong-secret"), 401);
  EXPECT_EQ(count(""), 3);
}

TEST_F(VapiAuthGuardTest, ThePlatformUrlTakesOnlyThePlatformSecret) {
  EXPECT_EQ(Post("", "platform-secret"), 200);
  EXPECT_EQ(seen_company_, std::nullopt);
  EXPECT_EQ(Post("", "salon-secret"), 401);
  EXPECT_EQ(Post("", ""), 401);
  EXPECT_EQ(metrics_.Value("callgate_vapi_auth_total", {{"outcome", "ok_secret_header"}}), 1);
  EXPECT_EQ(metrics_.Value("callgate_vapi_auth_total", {{"outcome", "mismatch"}}), 1);
}

TEST_F(VapiAuthGuardTest, ACompanyUrlTakesOnlyThatCompanysOwnSecretAndBindsTheCompany) {
  EXPECT_EQ(Post("salon", "salon-secret"), 200);
  EXPECT_EQ(seen_company_, salon_.value);
  // With its own secret, the platform secret does not open the company's URL.
  EXPECT_EQ(Post("salon", "platform-secret"), 401);
  EXPECT_EQ(seen_company_, std::nullopt);
}

TEST_F(VapiAuthGuardTest, AnotherCompanysSecretOnACompanyUrlIs401) {
  Company other;
  other.slug = "werkstatt";
  other.vapi_secret = Secret("werkstatt-secret");
  companies_.Create(other);
  EXPECT_EQ(Post("salon", "werkstatt-secret"), 401);
  EXPECT_EQ(Post("werkstatt", "salon-secret"), 401);
  EXPECT_EQ(Post("praxis", "salon-secret"), 401);
  EXPECT_EQ(seen_company_, std::nullopt);
}

TEST_F(VapiAuthGuardTest, ACompanyWithoutItsOwnSecretUsesThePlatformSecretOnItsUrl) {
  EXPECT_EQ(Post("praxis", "platform-secret"), 200);
  EXPECT_EQ(seen_company_, praxis_.value);
}

TEST_F(VapiAuthGuardTest, UnknownAndInactiveCompaniesAre401) {
  EXPECT_EQ(Post("nobody", "platform-secret"), 401);
  EXPECT_EQ(Post("closed", "platform-secret"), 401);
  EXPECT_EQ(metrics_.Value("callgate_vapi_auth_total", {{"outcome", "unknown_company"}}), 2);
}

// An HMAC signature is bound to the URL of its first use: a retry there passes, the same signed
// body on another URL (here a company URL the platform secret also opens) is refused.
TEST_F(VapiAuthGuardTest, AnHmacSignatureOpensOnlyTheUrlOfItsFirstUse) {
  HmacSettings hmac;
  const Secret platform("platform-secret");
  auto guard = std::make_shared<VapiAuthGuard>(platform, hmac, companies_, clock_, metrics_);
  std::vector<http::MiddlewarePtr> chain{guard};
  const http::Handler handler = [](http::Request&) {
    return http::Response::Json(200, {{"status", "ok"}});
  };
  const std::string timestamp = std::to_string(ToUnixMillis(clock_.Now()) / 1000);
  auto signed_request = [&](const std::string& path, const std::string& slug) {
    http::Request r;
    r.method = http::Method::kPost;
    r.target = r.path = path;
    r.body = R"({"message":{"type":"tool-calls"}})";
    if (!slug.empty()) r.route_params.emplace_back("slug", slug);
    r.headers.Add("Host", "callgate.example");
    r.headers.Add(hmac.timestamp_header, timestamp);
    // Signed for the platform URL, whatever URL it is then sent to.
    http::Request original = r;
    original.target = original.path = "/webhooks/vapi";
    r.headers.Add(hmac.signature_header,
                  SignHmac(hmac, platform, HmacPayload(hmac, original, timestamp)));
    return r;
  };
  auto first = signed_request("/webhooks/vapi", "");
  EXPECT_EQ(http::RunChain(chain, first, handler).status, 200);
  auto retry = signed_request("/webhooks/vapi", "");
  EXPECT_EQ(http::RunChain(chain, retry, handler).status, 200);
  auto moved = signed_request("/webhooks/vapi/c/praxis", "praxis");
  EXPECT_EQ(http::RunChain(chain, moved, handler).status, 401);
  EXPECT_EQ(metrics_.Value("callgate_vapi_auth_total", {{"outcome", "replayed"}}), 1);

  // The same signature in upper-case hex, or with blanks around it, is accepted as the same
  // signature, so it is bound the same way: it does not open the other URL either.
  for (const bool upper : {true, false}) {
    auto respelled = signed_request("/webhooks/vapi/c/praxis", "praxis");
    std::string value(respelled.Header(hmac.signature_header).value_or(""));
    if (upper) {
      for (char& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      value = "  " + value + " ";
    }
    respelled.headers.Set(hmac.signature_header, value);
    EXPECT_EQ(http::RunChain(chain, respelled, handler).status, 401) << value;
  }
  EXPECT_EQ(metrics_.Value("callgate_vapi_auth_total", {{"outcome", "replayed"}}), 3);
}

}  // namespace
}  // namespace callgate::vapi
