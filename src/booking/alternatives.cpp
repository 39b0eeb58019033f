#include "booking/alternatives.hpp"

#include <algorithm>
#include <optional>

#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

bool IsOpenDay(int weekday, const tenancy::WeeklyHours& hours) {
  if (!tenancy::AnyHours(hours)) return weekday >= 1 && weekday <= 5;
  return hours[static_cast<size_t>(weekday)].has_value();
}

long long DayNumber(const LocalDateTime& l) {
  // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
  const int y = l.year - (l.month <= 2);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(l.month + (l.month > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(l.day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<LocalDateTime> Local(SystemTimePoint t, std::string_view zone) {
  auto l = ToLocal(t, zone);
  if (!l) return std::nullopt;
  return *l;
}

long long AbsMinutes(SystemTimePoint a, SystemTimePoint b) {
  const auto d = std::chrono::duration_cast<std::chrono::minutes>(a - b).count();
  return d < 0 ? -d : d;
}

int MinuteOfDay(const LocalDateTime& l) { return l.hour * 60 + l.minute; }

}  // namespace

std::string_view AlternativeKindName(AlternativeKind kind) noexcept {
  switch (kind) {
    case AlternativeKind::kSameDay:
      return "same_day";
    case AlternativeKind::kNextWorkday:
      return "next_workday";
    case AlternativeKind::kNextWeek:
      return "same_weekday_next_week";
    case AlternativeKind::kFirstFreeDay:
      return "first_free_day";
    case AlternativeKind::kNearby:
      return "nearby";
  }
  return "nearby";
}

bool WithinBusinessHours(SystemTimePoint start, std::chrono::minutes duration,
                         const tenancy::WeeklyHours& hours, std::string_view zone) {
  if (!tenancy::AnyHours(hours)) return true;
  auto l = Local(start, zone);
  if (!l) return false;
  const auto& day = hours[static_cast<size_t>(l->weekday)];
  if (!day) return false;
  const int from = MinuteOfDay(*l);
  return from >= day->open_minute && from + duration.count() <= day->close_minute;
}

SystemTimePoint NextWorkdaySameTime(SystemTimePoint t, const tenancy::WeeklyHours& hours,
                                    std::string_view zone) {
  auto l = Local(t, zone);
  if (!l) return t + std::chrono::hours(24);
  for (int i = 1; i <= 14; ++i) {
    LocalDateTime noon = *l;
    noon.hour = 12;
    noon.minute = noon.second = 0;
    auto noon_utc = FromLocal(noon, zone);
    if (!noon_utc) break;
    auto day = Local(*noon_utc + std::chrono::hours(24 * i), zone);
    if (!day) break;
    if (!IsOpenDay(day->weekday, hours)) continue;
    LocalDateTime same = *day;
    same.hour = l->hour;
    same.minute = l->minute;
    same.second = 0;
    if (auto utc = FromLocal(same, zone)) return *utc;
    break;
  }
  return t + std::chrono::hours(24);
}

std::vector<Alternative> RankAlternatives(SystemTimePoint wish, const std::vector<Slot>& free_slots,
                                          const tenancy::WeeklyHours& hours, std::string_view zone,
                                          std::chrono::minutes duration,
                                          std::chrono::minutes minimum_notice, SystemTimePoint now,
                                          const AlternativeRules& rules) {
  const auto wish_local = Local(wish, zone);
  if (!wish_local || rules.max_results <= 0) return {};
  const long long wish_day = DayNumber(*wish_local);
  const auto earliest = now + minimum_notice;

  struct Candidate {
    Slot slot;
    long long day;
    int minute;
    int weekday;
  };
  std::vector<Candidate> candidates;
  for (const auto& s : free_slots) {
    if (s.start == wish || s.start < earliest) continue;
    if (!WithinBusinessHours(s.start, duration, hours, zone)) continue;
    auto l = Local(s.start, zone);
    if (!l) continue;
    const long long day = DayNumber(*l);
    if (day < wish_day || day > wish_day + rules.search_days) continue;
    candidates.push_back({s, day, MinuteOfDay(*l), l->weekday});
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.slot.start < b.slot.start; });

  std::vector<Alternative> out;
  auto taken = [&](const Slot& s) {
    return std::any_of(out.begin(), out.end(), [&](const Alternative& a) { return a.slot == s; });
  };
  auto add = [&](const Candidate* c, AlternativeKind kind) {
    if (c != nullptr && !taken(c->slot) && static_cast<int>(out.size()) < rules.max_results) {
      out.push_back({c->slot, kind});
    }
  };
  const int wish_minute = MinuteOfDay(*wish_local);
  auto closest_on = [&](long long day, std::optional<long long> max_distance_minutes) {
    const Candidate* best = nullptr;
    long long best_distance = 0;
    for (const auto& c : candidates) {
      if (c.day != day || taken(c.slot)) continue;
      const long long d = std::abs(c.minute - wish_minute);
      if (max_distance_minutes && d > *max_distance_minutes) continue;
      if (best == nullptr || d < best_distance) {
        best = &c;
        best_distance = d;
      }
    }
    return best;
  };

  // 1. Same day, within the window around the wish.
  add(closest_on(wish_day, rules.same_day_window.count()), AlternativeKind::kSameDay);
  // 2. Next workday, as close to the same time as possible.
  if (auto next = Local(NextWorkdaySameTime(wish, hours, zone), zone)) {
    add(closest_on(DayNumber(*next), std::nullopt), AlternativeKind::kNextWorkday);
  }
  // 3. Same weekday next week.
  add(closest_on(wish_day + 7, std::nullopt), AlternativeKind::kNextWeek);
  // 4. The first free day after the wish day.
  for (const auto& c : candidates) {
    if (c.day > wish_day && !taken(c.slot)) {
      add(&c, AlternativeKind::kFirstFreeDay);
      break;
    }
  }
  // Fill up with whatever is closest to the wish.
  std::vector<const Candidate*> rest;
  for (const auto& c : candidates) {
    if (!taken(c.slot)) rest.push_back(&c);
  }
  std::sort(rest.begin(), rest.end(), [&](const Candidate* a, const Candidate* b) {
    return AbsMinutes(a->slot.start, wish) < AbsMinutes(b->slot.start, wish);
  });
  for (const auto* c : rest) add(c, AlternativeKind::kNearby);
  return out;
}

}  // namespace callgate::booking
