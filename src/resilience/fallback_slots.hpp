#pragma once
// Fallback slots: plausible, UNCONFIRMED availability offered while Cal.com cannot be asked
// (circuit open, outbound budget spent). Answers carry SlotSource::kFallback, and whoever
// speaks them must tell the caller they are not confirmed yet (SPEC §3: `source: "fallback"`).
//
// The rule (FallbackSlotRule defaults): on Monday to Friday, in the query's time zone, a slot
// starts at each full hour from 09:00 and ends by 17:00 — with 30-minute slots 09:00, 10:00, …,
// 16:00; with 60-minute slots the same; a 90-minute service ends by 17:00 so the last start is
// 15:00. Only starts inside [query.from, query.to) and not before `not_before` (now, or now plus
// the service's minimum notice) are returned, ascending. Business hours per branch are not
// known at this layer; booking code that knows them may filter the result further.

#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "core/result.hpp"

namespace callgate::resilience {

struct FallbackSlotRule {
  int first_hour = 9;     // local hour of the first start
  int end_hour = 17;      // every slot ends by this local hour
  int step_minutes = 60;  // distance between starts
  std::array<bool, 7> weekdays = {false, true, true, true, true, true, false};  // [0] = Sunday
  // Slot length when the query names none.
  std::chrono::minutes default_duration{30};
  // Bounds on the work and the answer size.
  std::size_t max_slots = 200;
  int max_days = 62;
};

// The fallback slots for `query` under `rule` (see above). kInvalidArgument for an unknown time
// zone or a rule that cannot produce slots sensibly (hours outside 0..24, step < 1). Pure
// function; thread-safe.
Result<std::vector<booking::Slot>> GenerateFallbackSlots(const booking::SlotQuery& query,
                                                         SystemTimePoint not_before,
                                                         const FallbackSlotRule& rule = {});

}  // namespace callgate::resilience
