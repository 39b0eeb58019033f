#include "resilience/fallback_slots.hpp"

#include "core/time_zone.hpp"

namespace callgate::resilience {

Result<std::vector<booking::Slot>> GenerateFallbackSlots(const booking::SlotQuery& query,
                                                         SystemTimePoint not_before,
                                                         const FallbackSlotRule& rule) {
  if (rule.first_hour < 0 || rule.end_hour > 24 || rule.first_hour >= rule.end_hour ||
      rule.step_minutes < 1) {
    return Fail(ErrorCode::kInvalidArgument, "fallback slot rule is not usable");
  }
  const std::chrono::minutes duration = query.duration_minutes && *query.duration_minutes > 0
                                            ? std::chrono::minutes(*query.duration_minutes)
                                            : rule.default_duration;
  std::vector<booking::Slot> slots;
  if (query.to <= query.from) return slots;

  auto day = ToLocal(query.from, query.time_zone);
  if (!day) return tl::unexpected(day.error());
  for (int index = 0; index < rule.max_days; ++index) {
    LocalDateTime date{day->year, day->month, day->day, 0, 0, 0};
    auto midnight = FromLocal(date, query.time_zone);
    if (!midnight) return tl::unexpected(midnight.error());
    if (*midnight >= query.to) break;
    // Noon is never skipped or repeated by DST changes, so it anchors the date arithmetic.
    LocalDateTime noon = date;
    noon.hour = 12;
    auto noon_utc = FromLocal(noon, query.time_zone);
    if (!noon_utc) return tl::unexpected(noon_utc.error());
    auto noon_local = ToLocal(*noon_utc, query.time_zone);
    if (!noon_local) return tl::unexpected(noon_local.error());

    if (rule.weekdays[static_cast<std::size_t>(noon_local->weekday)]) {
      for (int minute = rule.first_hour * 60; minute + duration.count() <= rule.end_hour * 60;
           minute += rule.step_minutes) {
        LocalDateTime start_local = date;
        start_local.hour = minute / 60;
        start_local.minute = minute % 60;
        auto start = FromLocal(start_local, query.time_zone);
        if (!start) return tl::unexpected(start.error());
        if (*start >= query.to) break;
        if (*start < query.from || *start < not_before) continue;
        slots.push_back(booking::Slot{*start, *start + duration});
        if (slots.size() >= rule.max_slots) return slots;
      }
    }
    auto next = ToLocal(*noon_utc + std::chrono::hours(24), query.time_zone);
    if (!next) return tl::unexpected(next.error());
    day = next;
  }
  return slots;
}

}  // namespace callgate::resilience
