#include <gtest/gtest.h>

#include "booking/changes.hpp"

namespace callgate::booking {
namespace {

using std::chrono::hours;

const SystemTimePoint kNow = FromUnixMillis(1795683600000LL);

TEST(CheckChangePolicy, EnoughNoticeIsFree) {
  tenancy::ChangePolicy p;
  p.notice_hours = 24;
  auto d = CheckChangePolicy(p, kNow + hours(48), kNow, 0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.fee_cents, 0);
}

TEST(CheckChangePolicy, ShortNoticeWithoutFeeTierIsRefused) {
  tenancy::ChangePolicy p;
  p.notice_hours = 24;
  auto d = CheckChangePolicy(p, kNow + hours(5), kNow, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.refusal, PolicyRefusal::kTooLate);
  EXPECT_EQ(d.notice_hours, 24);
}

TEST(CheckChangePolicy, FeeTierAllowsShortNoticeForAFee) {
  tenancy::ChangePolicy p;
  p.notice_hours = 24;
  p.fee_tiers = {{48, 1000}, {12, 2500}};
  auto within_48 = CheckChangePolicy(p, kNow + hours(30), kNow, 0);
  EXPECT_TRUE(within_48.allowed);
  EXPECT_EQ(within_48.fee_cents, 1000);
  auto within_12 = CheckChangePolicy(p, kNow + hours(5), kNow, 0);
  EXPECT_TRUE(within_12.allowed);
  EXPECT_EQ(within_12.fee_cents, 2500);
  auto within_20 = CheckChangePolicy(p, kNow + hours(20), kNow, 0);
  EXPECT_TRUE(within_20.allowed);  // the 48 h tier covers it
  EXPECT_EQ(within_20.fee_cents, 1000);
}

TEST(CheckChangePolicy, MonthlyLimitAndPastAppointments) {
  tenancy::ChangePolicy p;
  p.notice_hours = 0;
  p.monthly_limit = 2;
  EXPECT_TRUE(CheckChangePolicy(p, kNow + hours(48), kNow, 1).allowed);
  auto limit = CheckChangePolicy(p, kNow + hours(48), kNow, 2);
  EXPECT_FALSE(limit.allowed);
  EXPECT_EQ(limit.refusal, PolicyRefusal::kMonthlyLimit);
  auto started = CheckChangePolicy(p, kNow - hours(1), kNow, 0);
  EXPECT_FALSE(started.allowed);
  EXPECT_EQ(started.refusal, PolicyRefusal::kStarted);
}

}  // namespace
}  // namespace callgate::booking
