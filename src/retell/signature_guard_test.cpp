#include "retell/signature_guard.hpp"

#include <gtest/gtest.h>

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
  int Post(const std::string& body, const std::string& signature) {
    http::Request r;
    r.method = http::Method::kPost;
    r.path = "/webhooks/retell";
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

}  // namespace
}  // namespace callgate::retell
