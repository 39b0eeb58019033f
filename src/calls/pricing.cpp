#include "calls/pricing.hpp"

#include <algorithm>
#include <cmath>

namespace callgate::calls {

CallCosts ComputeCallCosts(const PricingInput& in) {
  CallCosts out;
  out.base_cost_cents = std::llround(std::max(0.0, in.retell_cost_cents));
  // Whole minutes begun, written so that no stored duration can overflow it.
  const std::int64_t minutes =
      in.duration_ms <= 0 ? 0 : in.duration_ms / 60'000 + (in.duration_ms % 60'000 != 0 ? 1 : 0);
  const std::int64_t included_left = std::max<std::int64_t>(
      0, in.included_minutes - std::max<std::int64_t>(0, in.minutes_used_before));
  out.billed_minutes = std::max<std::int64_t>(0, minutes - included_left);
  if (__builtin_mul_overflow(out.billed_minutes,
                             std::max<std::int64_t>(0, in.price_per_minute_cents),
                             &out.customer_cost_cents)) {
    out.customer_cost_cents = INT64_MAX;  // saturated; only a stored absurd duration gets here
  }
  if (in.has_reseller) {
    out.reseller_cost_cents =
        std::llround(static_cast<double>(out.base_cost_cents) *
                     (1.0 + std::max(0.0, in.reseller_markup_percent) / 100.0));
    out.platform_profit_cents = out.reseller_cost_cents - out.base_cost_cents;
    out.reseller_profit_cents = out.customer_cost_cents - out.reseller_cost_cents;
  } else {
    out.platform_profit_cents = out.customer_cost_cents - out.base_cost_cents;
  }
  out.total_profit_cents = out.customer_cost_cents - out.base_cost_cents;
  return out;
}

}  // namespace callgate::calls
