// CallbackService's outcomes against the in-memory two-company world (fake clock: Thursday
// 26.11.2026 10:00 Berlin; the known caller +4915112345678 is Jürgen Weiß of company 1).
#include "booking/callbacks.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, "Europe/Berlin");
}

class CallbackServiceTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  CallbackService& callbacks = world.booking.Callbacks();
  std::vector<tenancy::CompanyId> writes;

  void SetUp() override {
    world.scope.on_write = [this](tenancy::CompanyId id) { writes.push_back(id); };
  }
  CallContext Caller() { return *world.contexts.Resolve("call_fuzz_1", std::nullopt); }
  CallContext Withheld() {
    CallContext ctx = Caller();
    ctx.caller_e164.clear();
    ctx.customer.reset();
    return ctx;
  }
  static CallbackWish Wish(std::string topic, std::string when = "", std::string phone = "") {
    CallbackWish w;
    w.topic = std::move(topic);
    w.when = std::move(when);
    w.contact.phone = std::move(phone);
    return w;
  }
};

TEST_F(CallbackServiceTest, AKnownCallerIsCalledBackOnTheirNumberWithinTwoHours) {
  auto out = callbacks.Request(Caller(), Wish("Frage zur Rechnung"));
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<callback::Noted>(&out->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_TRUE(noted->calling_number);
  EXPECT_FALSE(noted->repeated);
  EXPECT_EQ(noted->due_at, world.clock.Now() + std::chrono::hours(2));
  ASSERT_EQ(world.callbacks.rows.size(), 1u);
  const auto& row = world.callbacks.rows[0];
  EXPECT_EQ(row.company_id, tenancy::CompanyId(1));
  EXPECT_EQ(row.phone, "+4915112345678");
  EXPECT_EQ(row.name, "Jürgen Weiß");
  ASSERT_TRUE(row.customer_id);
  EXPECT_EQ(row.customer_id->value, 500);
  EXPECT_EQ(row.reason, "Frage zur Rechnung");
  EXPECT_EQ(writes, (std::vector<tenancy::CompanyId>{tenancy::CompanyId(1)}));
}

TEST_F(CallbackServiceTest, TheWishedTimeIsWhenItIsDue) {
  auto out = callbacks.Request(Caller(), Wish("Befund", "morgen vormittag"));
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<callback::Noted>(&out->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_EQ(noted->due_at, Berlin(11, 27, 8));
  EXPECT_EQ(world.callbacks.rows[0].reason, "Befund (morgen vormittag)");
}

TEST_F(CallbackServiceTest, AnUnreadableWishKeepsTheDefaultAndTheWords) {
  auto out = callbacks.Request(Caller(), Wish("", "wenn es passt"));
  ASSERT_TRUE(out);
  ASSERT_TRUE(std::holds_alternative<callback::Noted>(out->result));
  EXPECT_EQ(world.callbacks.rows[0].due_at, world.clock.Now() + std::chrono::hours(2));
  EXPECT_EQ(world.callbacks.rows[0].reason, "(wenn es passt)");
}

TEST_F(CallbackServiceTest, ARetryOfTheSameCallFindsTheFirstRequest) {
  ASSERT_TRUE(callbacks.Request(Caller(), Wish("Frage")));
  auto again = callbacks.Request(Caller(), Wish("Frage"));
  ASSERT_TRUE(again);
  const auto* noted = std::get_if<callback::Noted>(&again->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_TRUE(noted->repeated);
  EXPECT_EQ(world.callbacks.rows.size(), 1u);
  ASSERT_TRUE(callbacks.Request(Caller(), Wish("Andere Frage")));
  EXPECT_EQ(world.callbacks.rows.size(), 2u);
}

TEST_F(CallbackServiceTest, ARetryReadsOnlyThisCallsRequests) {
  // Another call of the same company has an open request: it is neither read nor matched.
  CallbackRequest other;
  other.company_id = tenancy::CompanyId(1);
  other.call_id = calls::CallId(99);
  other.phone = "+4915112345678";
  other.reason = "Frage";
  world.callbacks.rows.push_back(other);
  auto out = callbacks.Request(Caller(), Wish("Frage"));
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<callback::Noted>(&out->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_FALSE(noted->repeated);
  EXPECT_EQ(world.callbacks.rows.size(), 2u);
  EXPECT_EQ(world.callbacks.list_open_calls, 0);
}

TEST_F(CallbackServiceTest, TheFourthRequestOfACallIsAlreadyNoted) {
  for (const char* topic : {"Rechnung", "Befund", "Rezept"}) {
    auto out = callbacks.Request(Caller(), Wish(topic));
    ASSERT_TRUE(out);
    ASSERT_TRUE(std::holds_alternative<callback::Noted>(out->result)) << topic;
  }
  world.clock.Advance(std::chrono::minutes(5));
  auto fourth = callbacks.Request(Caller(), Wish("Überweisung"));
  ASSERT_TRUE(fourth);
  const auto* already = std::get_if<callback::AlreadyNoted>(&fourth->result);
  ASSERT_NE(already, nullptr);
  EXPECT_EQ(already->count, 3);
  EXPECT_EQ(already->id, world.callbacks.rows.front().id);
  EXPECT_EQ(already->due_at, *world.callbacks.rows.front().due_at);
  EXPECT_EQ(world.callbacks.rows.size(), 3u);

  // A retry of one already noted is still found as such, not refused.
  auto retry = callbacks.Request(Caller(), Wish("Befund"));
  ASSERT_TRUE(retry);
  const auto* noted = std::get_if<callback::Noted>(&retry->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_TRUE(noted->repeated);
  EXPECT_EQ(noted->id, world.callbacks.rows[1].id);
}

TEST_F(CallbackServiceTest, TheCapCountsRequestsStaffHaveAlreadyHandled) {
  for (const char* topic : {"Rechnung", "Befund", "Rezept"}) {
    ASSERT_TRUE(callbacks.Request(Caller(), Wish(topic)));
  }
  world.callbacks.rows[0].status = "completed";
  auto fourth = callbacks.Request(Caller(), Wish("Überweisung"));
  ASSERT_TRUE(fourth);
  const auto* already = std::get_if<callback::AlreadyNoted>(&fourth->result);
  ASSERT_NE(already, nullptr);
  EXPECT_EQ(already->id, world.callbacks.rows[1].id);  // the first one still open
  EXPECT_EQ(world.callbacks.rows.size(), 3u);
}

TEST_F(CallbackServiceTest, AWithheldCallerMustNameANumber) {
  auto out = callbacks.Request(Withheld(), Wish("Frage"));
  ASSERT_TRUE(out);
  const auto* needs = std::get_if<callback::NeedsPhone>(&out->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_FALSE(needs->unreadable);
  EXPECT_TRUE(world.callbacks.rows.empty());

  auto bad = callbacks.Request(Withheld(), Wish("Frage", "", "keine ahnung"));
  ASSERT_TRUE(bad);
  ASSERT_TRUE(std::holds_alternative<callback::NeedsPhone>(bad->result));
  EXPECT_TRUE(std::get<callback::NeedsPhone>(bad->result).unreadable);

  auto said = callbacks.Request(Withheld(), Wish("Frage", "", "030 1234567"));
  ASSERT_TRUE(said);
  const auto* noted = std::get_if<callback::Noted>(&said->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_FALSE(noted->calling_number);
  EXPECT_EQ(world.callbacks.rows.back().phone, "+49301234567");
  EXPECT_FALSE(world.callbacks.rows.back().customer_id);
}

TEST_F(CallbackServiceTest, ANumberSaidByAKnownCallerLinksNoCustomerToIt) {
  // Someone else's number said on Jürgen's call: the request is noted with that number, but
  // never as Jürgen's (or anyone's) customer record.
  auto out = callbacks.Request(Caller(), Wish("Frage", "", "+4917099999999"));
  ASSERT_TRUE(out);
  ASSERT_TRUE(std::holds_alternative<callback::Noted>(out->result));
  EXPECT_FALSE(world.callbacks.rows.back().customer_id);
  EXPECT_EQ(world.callbacks.rows.back().company_id, tenancy::CompanyId(1));
}

}  // namespace
}  // namespace callgate::booking
