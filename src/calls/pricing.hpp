#pragma once
// Pricing of one call (SPEC.md §2): Retell's cost, the reseller's markup, the company's price
// per started minute after its included minutes, and who earns what.

#include <cstdint>

#include "calls/model.hpp"

namespace callgate::calls {

struct PricingInput {
  double retell_cost_cents = 0;  // call_cost.combined_cost
  std::int64_t duration_ms = 0;
  std::int64_t price_per_minute_cents = 0;  // the company's price
  std::int64_t included_minutes = 0;        // per calendar month
  std::int64_t minutes_used_before = 0;     // this month, before this call
  bool has_reseller = false;                // the company belongs to a reseller
  double reseller_markup_percent = 0;  // platform's markup on base cost charged to the reseller
};

// Rules:
//   base = round(retell cost); minutes = started minutes (ceil(duration / 60 s));
//   billed = minutes beyond what is left of the included minutes;
//   customer = billed × price per minute;
//   with a reseller: reseller = round(base × (1 + markup/100)), platform profit = reseller − base,
//     reseller profit = customer − reseller; without: reseller = 0, platform profit =
//     customer − base, reseller profit = 0;  total profit = customer − base.
// Profits may be negative (a call inside the included minutes still costs Retell). Pure.
CallCosts ComputeCallCosts(const PricingInput& input);

}  // namespace callgate::calls
