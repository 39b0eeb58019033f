// SignatureUses: a first use binds a signature; only the same use may repeat, until it expires.
#include "core/signature_uses.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/testing/fake_clock.hpp"

namespace callgate {
namespace {

using std::chrono::seconds;

TEST(SignatureUses, AFirstUseBindsTheSignatureAndOnlyTheSameUseMayRepeat) {
  callgate::testing::FakeClock clock;
  SignatureUses uses(clock);
  EXPECT_TRUE(uses.Bind("v=1,d=aa", "/api/retell/list-services\n\ncall-1"));
  EXPECT_TRUE(uses.Bind("v=1,d=aa", "/api/retell/list-services\n\ncall-1"));  // a retry
  EXPECT_FALSE(uses.Bind("v=1,d=aa", "/api/retell/cancel-appointment\n\ncall-1"));
  EXPECT_FALSE(uses.Bind("v=1,d=aa", "/api/retell/list-services\n\ncall-2"));
  EXPECT_TRUE(uses.Bind("v=1,d=bb", "/api/retell/cancel-appointment\n\ncall-1"));
}

TEST(SignatureUses, BindingsExpireAfterTheSignaturesLifetime) {
  callgate::testing::FakeClock clock;
  SignatureUses uses(clock, 100, seconds(660));
  ASSERT_TRUE(uses.Bind("sig", "a"));
  clock.Advance(seconds(659));
  EXPECT_FALSE(uses.Bind("sig", "b"));
  clock.Advance(seconds(2));
  // By now the signature itself is stale (±5 minutes), so forgetting it loses nothing.
  EXPECT_TRUE(uses.Bind("sig", "b"));
}

TEST(SignatureUses, KeepsAtMostItsCapacityDroppingTheOldestFirst) {
  callgate::testing::FakeClock clock;
  SignatureUses uses(clock, 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(uses.Bind("sig" + std::to_string(i), "a"));
  EXPECT_FALSE(uses.Bind("sig2", "b"));
  ASSERT_TRUE(uses.Bind("sig3", "a"));  // evicts sig0
  EXPECT_TRUE(uses.Bind("sig0", "b"));
  EXPECT_FALSE(uses.Bind("sig3", "b"));
}

}  // namespace
}  // namespace callgate
