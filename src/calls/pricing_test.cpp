#include "calls/pricing.hpp"

#include <gtest/gtest.h>

namespace callgate::calls {
namespace {

TEST(ComputeCallCosts, ChargesStartedMinutesBeyondIncludedOnes) {
  PricingInput in;
  in.retell_cost_cents = 12.5;
  in.duration_ms = 121'000;  // 2 min 1 s → 3 started minutes
  in.price_per_minute_cents = 15;
  in.included_minutes = 100;
  in.minutes_used_before = 99;  // 1 included minute left
  const auto c = ComputeCallCosts(in);
  EXPECT_EQ(c.base_cost_cents, 13);
  EXPECT_EQ(c.billed_minutes, 2);
  EXPECT_EQ(c.customer_cost_cents, 30);
  EXPECT_EQ(c.reseller_cost_cents, 0);
  EXPECT_EQ(c.platform_profit_cents, 17);
  EXPECT_EQ(c.reseller_profit_cents, 0);
  EXPECT_EQ(c.total_profit_cents, 17);
}

// A duration no call has (stored before callgate refused such values, or by hand) is billed
// at the saturated amount instead of overflowing.
TEST(ComputeCallCosts, AnAbsurdDurationSaturatesInsteadOfOverflowing) {
  PricingInput in;
  in.duration_ms = INT64_MAX;
  in.price_per_minute_cents = 100;
  const CallCosts out = ComputeCallCosts(in);
  EXPECT_EQ(out.billed_minutes, INT64_MAX / 60'000 + 1);
  EXPECT_EQ(out.customer_cost_cents, (INT64_MAX / 60'000 + 1) * 100);
  in.price_per_minute_cents = 1'000'000;
  EXPECT_EQ(ComputeCallCosts(in).customer_cost_cents, INT64_MAX);
}

TEST(ComputeCallCosts, ExactMinuteIsOneMinuteAndZeroDurationIsFree) {
  PricingInput in;
  in.price_per_minute_cents = 10;
  in.duration_ms = 60'000;
  EXPECT_EQ(ComputeCallCosts(in).billed_minutes, 1);
  in.duration_ms = 60'001;
  EXPECT_EQ(ComputeCallCosts(in).billed_minutes, 2);
  in.duration_ms = 0;
  EXPECT_EQ(ComputeCallCosts(in).customer_cost_cents, 0);
}

TEST(ComputeCallCosts, InsideIncludedMinutesTheCallCostsThePlatform) {
  PricingInput in;
  in.retell_cost_cents = 20;
  in.duration_ms = 180'000;
  in.price_per_minute_cents = 15;
  in.included_minutes = 100;
  const auto c = ComputeCallCosts(in);
  EXPECT_EQ(c.customer_cost_cents, 0);
  EXPECT_EQ(c.total_profit_cents, -20);
}

TEST(ComputeCallCosts, SplitsProfitWithReseller) {
  PricingInput in;
  in.retell_cost_cents = 40;
  in.duration_ms = 300'000;  // 5 minutes
  in.price_per_minute_cents = 20;
  in.has_reseller = true;
  in.reseller_markup_percent = 25;
  const auto c = ComputeCallCosts(in);
  EXPECT_EQ(c.customer_cost_cents, 100);
  EXPECT_EQ(c.reseller_cost_cents, 50);
  EXPECT_EQ(c.platform_profit_cents, 10);
  EXPECT_EQ(c.reseller_profit_cents, 50);
  EXPECT_EQ(c.total_profit_cents, 60);
  EXPECT_EQ(c.platform_profit_cents + c.reseller_profit_cents, c.total_profit_cents);
}

}  // namespace
}  // namespace callgate::calls
