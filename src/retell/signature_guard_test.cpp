#include "retell/signature_guard.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "booking/testing/in_memory.hpp"
#include "core/blocking.hpp"
#include "core/testing/fake_clock.hpp"
#include "retell/signature.hpp"

namespace callgate::retell {
namespace {

class RetellSignatureGuardTest : public ::testing::Test {
 protected:
  // The status the guard answers for `body` signed with `signature`.
  int Post(const std::string& body, const std::string& signature,
           const std::string& path = "/webhooks/retell") {
    http::Request r;
    r.method = http::Method::kPost;
    r.path = path;
    r.body = body;
    r.headers.Add(std::string(kSignatureHeader), signature);
    const http::Handler handler = [](http::Request&) { return http::Response::Text(200, "ok"); };
    std::vector<http::MiddlewarePtr> chain{guard_};
    return http::RunChain(chain, r, handler).status;
  }
  double Count(std::string_view outcome) {
    return metrics_.Value("callgate_retell_signature_total", {{"outcome", std::string(outcome)}});
  }

  booking::testing::Companies companies_;
  callgate::testing::FakeClock clock_;
  observability::Metrics metrics_;
  const Secret key_{"platform-key"};
  std::shared_ptr<RetellSignatureGuard> guard_ =
      std::make_shared<RetellSignatureGuard>(key_, companies_, clock_, metrics_);
};

// Tried on the I/O thread, then run again on a handler thread (the failed-authentication limit
// waits for Redis, say): each request is counted (and a refusal logged) once.
TEST_F(RetellSignatureGuardTest, ARequestRunAgainIsCountedOnce) {
  const std::string body = R"({"event":"call_started"})";
  const std::string forged =
      SignRetellPayload(body, Secret("another-key"), ToUnixMillis(clock_.Now()));
  AttemptMemo refused;
  for (bool may_block : {false, true}) {
    AttemptScope attempt(refused, may_block);
    EXPECT_EQ(Post(body, forged), 401);
  }
  const double refusals = metrics_.Sum(
      "callgate_retell_signature_total",
      [](const observability::Labels& l) { return l.size() == 1 && l[0].second != "ok"; });
  EXPECT_EQ(refusals, 1);

  const std::string signed_body = SignRetellPayload(body, key_, ToUnixMillis(clock_.Now()));
  AttemptMemo accepted;
  for (bool may_block : {false, true}) {
    AttemptScope attempt(accepted, may_block);
    EXPECT_EQ(Post(body, signed_body), 200);
  }
  EXPECT_EQ(Count("ok"), 1);
}

// A signature opens the function it was first used for. The parser accepts its digest in either
// case and its timestamp with leading zeros, so each of those spellings is the same signature:
// none opens another function (SPEC §4, docs/security.md F5).
TEST_F(RetellSignatureGuardTest, AnotherSpellingOfAUsedSignatureOpensNoOtherFunction) {
  const std::string body = R"({"call_id":"call_erika"})";
  const long long at = ToUnixMillis(clock_.Now());
  const std::string header = SignRetellPayload(body, key_, at);
  ASSERT_EQ(Post(body, header, "/api/retell/query-customer-appointments"), 200);

  const auto digest = header.find(",d=") + 3;
  std::string upper = header;
  for (std::size_t i = digest; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  ASSERT_NE(upper, header);
  const std::string zeros = "v=00" + header.substr(2);
  for (const std::string& spelling : {header, upper, zeros}) {
    EXPECT_EQ(Post(body, spelling, "/api/retell/cancel-appointment"), 401) << spelling;
    // Each spelling is the signature it was: its first function still takes a retry.
    EXPECT_EQ(Post(body, spelling, "/api/retell/query-customer-appointments"), 200) << spelling;
  }
  EXPECT_EQ(Count("replayed"), 3);
}

}  // namespace
}  // namespace callgate::retell
