#pragma once
// Ranking of alternative slots when the caller's wish is not free (SPEC.md §2): the closest
// slot on the same day within ±2 h, the next workday at the same time, the same weekday next
// week, and the first free day within 14 days — always inside the branch's business hours and
// the service's minimum notice. Pure; no I/O.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "tenancy/model.hpp"

namespace callgate::booking {

enum class AlternativeKind { kSameDay, kNextWorkday, kNextWeek, kFirstFreeDay, kNearby };

std::string_view AlternativeKindName(AlternativeKind kind) noexcept;

struct Alternative {
  Slot slot;
  AlternativeKind kind = AlternativeKind::kNearby;
};

struct AlternativeRules {
  int max_results = 3;
  std::chrono::minutes same_day_window{120};
  int search_days = 14;
};

// True when a slot of `duration` starting at `start` lies inside `hours` in `zone`. With no
// opening hours configured at all, every time counts as open.
bool WithinBusinessHours(SystemTimePoint start, std::chrono::minutes duration,
                         const tenancy::WeeklyHours& hours, std::string_view zone);

// The first day after the local day of `t` that has opening hours (Mon–Fri when none are
// configured), as a local date (year, month, day) at the same local time of day.
SystemTimePoint NextWorkdaySameTime(SystemTimePoint t, const tenancy::WeeklyHours& hours,
                                    std::string_view zone);

// `free_slots` may span several days and contain the wish itself (which is skipped). Returns at
// most rules.max_results distinct slots, best first.
std::vector<Alternative> RankAlternatives(SystemTimePoint wish, const std::vector<Slot>& free_slots,
                                          const tenancy::WeeklyHours& hours, std::string_view zone,
                                          std::chrono::minutes duration,
                                          std::chrono::minutes minimum_notice, SystemTimePoint now,
                                          const AlternativeRules& rules = {});

}  // namespace callgate::booking
