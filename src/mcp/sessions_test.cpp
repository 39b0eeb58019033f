// SessionStore: ids, owners, expiry, limits.
#include "mcp/sessions.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/testing/fake_clock.hpp"

namespace callgate::mcp {
namespace {

const SessionOwner kAlpha{"user:1:agent", 1};
const SessionOwner kBeta{"user:2:agent", 2};

TEST(McpSessions, IdsAreLongRandomAndVisibleAscii) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewSessionId();
    EXPECT_EQ(id.size(), 64u);
    for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(McpSessions, ASessionAnswersOnlyToItsOwner) {
  callgate::testing::FakeClock clock;
  SessionStore store({}, clock);
  const Session s = store.Open(kAlpha, "2025-06-18").value();
  auto found = store.Find(s.id, kAlpha);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->protocol_version, "2025-06-18");
  EXPECT_EQ(found->owner, kAlpha);
  EXPECT_FALSE(store.Find(s.id, kBeta).has_value());
  // Another user of the same company is another owner.
  EXPECT_FALSE(store.Find(s.id, SessionOwner{"user:3:agent", 1}).has_value());
  EXPECT_FALSE(store.Close(s.id, kBeta));
  EXPECT_TRUE(store.Find(s.id, kAlpha).has_value());
  EXPECT_FALSE(store.Find("unknown", kAlpha).has_value());
}

TEST(McpSessions, CloseEndsASession) {
  callgate::testing::FakeClock clock;
  SessionStore store({}, clock);
  const Session s = store.Open(kAlpha, "2025-11-25").value();
  EXPECT_TRUE(store.Close(s.id, kAlpha));
  EXPECT_FALSE(store.Find(s.id, kAlpha).has_value());
  EXPECT_FALSE(store.Close(s.id, kAlpha));
  EXPECT_EQ(store.size(), 0u);
}

TEST(McpSessions, IdleSessionsExpireAndUseKeepsThemAlive) {
  callgate::testing::FakeClock clock;
  SessionSettings settings;
  settings.idle_ttl = std::chrono::minutes(10);
  SessionStore store(settings, clock);
  const Session used = store.Open(kAlpha, "2025-11-25").value();
  const Session idle = store.Open(kAlpha, "2025-11-25").value();
  for (int i = 0; i < 3; ++i) {
    clock.Advance(std::chrono::minutes(6));
    EXPECT_TRUE(store.Find(used.id, kAlpha).has_value()) << i;
  }
  EXPECT_FALSE(store.Find(idle.id, kAlpha).has_value());
  clock.Advance(std::chrono::minutes(10));
  EXPECT_FALSE(store.Find(used.id, kAlpha).has_value());
  EXPECT_FALSE(store.Close(used.id, kAlpha));
}

TEST(McpSessions, AFullOwnerLosesItsOwnOldestSessionNotAnothers) {
  callgate::testing::FakeClock clock;
  SessionSettings settings;
  settings.max_sessions_per_owner = 2;
  SessionStore store(settings, clock);
  const Session beta = store.Open(kBeta, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a1 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a2 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a3 = store.Open(kAlpha, "2025-11-25").value();
  EXPECT_FALSE(store.Find(a1.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a2.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a3.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(beta.id, kBeta).has_value());
  EXPECT_EQ(store.size(), 3u);
}

TEST(McpSessions, AFullCompanyLosesItsOwnOldestSessionAcrossItsTokens) {
  callgate::testing::FakeClock clock;
  SessionSettings settings;
  settings.max_sessions_per_company = 2;
  SessionStore store(settings, clock);
  const SessionOwner alpha_other{"user:3:agent", 1};
  const Session beta = store.Open(kBeta, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a1 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a2 = store.Open(alpha_other, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a3 = store.Open(alpha_other, "2025-11-25").value();
  EXPECT_FALSE(store.Find(a1.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a2.id, alpha_other).has_value());
  EXPECT_TRUE(store.Find(a3.id, alpha_other).has_value());
  EXPECT_TRUE(store.Find(beta.id, kBeta).has_value());
}

// A full store: a company with few sessions still gets one, from the company holding the most
// (its least recently used session); a company never loses one to a company holding as many.
TEST(McpSessions, AFullStoreTakesTheSessionOfTheCompanyHoldingTheMost) {
  callgate::testing::FakeClock clock;
  SessionSettings settings;
  settings.max_sessions = 4;
  settings.idle_ttl = std::chrono::minutes(10);
  SessionStore store(settings, clock);
  const Session beta = store.Open(kBeta, "2025-11-25").value();
  const Session a1 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a2 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  const Session a3 = store.Open(kAlpha, "2025-11-25").value();
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(store.Find(a1.id, kAlpha).has_value());  // used last: a2 is now alpha's oldest
  // Company 9 arrives at a full store: alpha (3 sessions) gives up its least recently used one.
  const SessionOwner gamma{"user:9:agent", 9};
  auto g1 = store.Open(gamma, "2025-11-25");
  ASSERT_TRUE(g1.has_value()) << g1.error().message;
  EXPECT_EQ(store.size(), 4u);
  EXPECT_FALSE(store.Find(a2.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a1.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a3.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(beta.id, kBeta).has_value());
  // Now alpha holds 2 and beta and gamma 1 each: gamma's next session is its own to give up,
  // not alpha's (which holds only one more).
  auto g2 = store.Open(gamma, "2025-11-25");
  ASSERT_TRUE(g2.has_value());
  EXPECT_FALSE(store.Find(g1->id, gamma).has_value());
  EXPECT_TRUE(store.Find(a1.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(a3.id, kAlpha).has_value());
  EXPECT_TRUE(store.Find(beta.id, kBeta).has_value());
}

// A store full of companies holding one session each refuses a company that holds none:
// taking one would only make the two swap.
TEST(McpSessions, AStoreFullOfSingleSessionsRefusesANewCompany) {
  callgate::testing::FakeClock clock;
  SessionSettings settings;
  settings.max_sessions = 2;
  settings.idle_ttl = std::chrono::minutes(10);
  SessionStore store(settings, clock);
  const Session beta = store.Open(kBeta, "2025-11-25").value();
  const Session alpha = store.Open(kAlpha, "2025-11-25").value();
  const SessionOwner gamma{"user:9:agent", 9};
  auto refused = store.Open(gamma, "2025-11-25");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(store.Find(beta.id, kBeta).has_value());
  EXPECT_TRUE(store.Find(alpha.id, kAlpha).has_value());
  // Expired sessions make room again.
  clock.Advance(std::chrono::minutes(11));
  EXPECT_TRUE(store.Open(gamma, "2025-11-25").has_value());
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace callgate::mcp
