#include "booking/availability.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "booking/holidays.hpp"
#include "booking/service_matcher.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

using availability::Field;
using availability::NeedsInput;
using availability::Problem;

// [local midnight, next local midnight) of a calendar date in `zone`.
std::pair<SystemTimePoint, SystemTimePoint> LocalDay(int y, int m, int d, const std::string& zone) {
  auto from = FromLocal(LocalDateTime{y, m, d, 0, 0, 0}, zone);
  auto noon = FromLocal(LocalDateTime{y, m, d, 12, 0, 0}, zone);
  if (!from || !noon) return {};
  auto next = ToLocal(*noon + std::chrono::hours(24), zone);
  auto to = next ? FromLocal(LocalDateTime{next->year, next->month, next->day, 0, 0, 0}, zone)
                 : Result<SystemTimePoint>(*from + std::chrono::hours(24));
  return {*from, to ? *to : *from + std::chrono::hours(24)};
}

std::pair<SystemTimePoint, SystemTimePoint> LocalDayOf(SystemTimePoint t, const std::string& zone) {
  auto l = ToLocal(t, zone);
  if (!l) return {t, t + std::chrono::hours(24)};
  return LocalDay(l->year, l->month, l->day, zone);
}

tenancy::WeeklyHours Hours(const CallContext& ctx) {
  return ctx.branch ? ctx.branch->business_hours : tenancy::WeeklyHours{};
}

// "2026-12-24" (validated when stored) as a day; {0, 0, 0} for anything else.
CalendarDay ParseIsoDay(std::string_view iso) {
  if (!tenancy::IsIsoDate(iso)) return {};
  auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (iso[i] - '0');
    return v;
  };
  return CalendarDay{number(0, 4), number(5, 2), number(8, 2)};
}

std::string IsoDay(const CalendarDay& day) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", day.year, day.month, day.day);
  return text;
}

std::optional<LocalDateTime> NoonOf(const CalendarDay& day, const std::string& zone) {
  auto noon = FromLocal(LocalDateTime{day.year, day.month, day.day, 12, 0, 0}, zone);
  if (!noon) return std::nullopt;
  auto local = ToLocal(*noon, zone);
  if (!local) return std::nullopt;
  return *local;
}

std::optional<CalendarDay> DayOf(SystemTimePoint t, const std::string& zone) {
  auto l = ToLocal(t, zone);
  if (!l) return std::nullopt;
  return CalendarDay{l->year, l->month, l->day};
}

// The refusal of a wish as what to ask the caller for.
NeedsInput AskAgain(const WishRefusal& refusal) {
  NeedsInput needs;
  needs.field = refusal.field == WishField::kTime ? Field::kTime : Field::kDate;
  switch (refusal.reason) {
    case WishRefusalReason::kPast:
      needs.problem = Problem::kPast;
      break;
    case WishRefusalReason::kNoSuchDate:
      needs.problem = Problem::kNoSuchDate;
      break;
    case WishRefusalReason::kWeekdayMismatch:
      needs.problem = Problem::kWeekdayMismatch;
      break;
    case WishRefusalReason::kTooVague:
      needs.problem = Problem::kTooVague;
      break;
    case WishRefusalReason::kBadTime:
      needs.problem = Problem::kBadTime;
      break;
    case WishRefusalReason::kTooFarAhead:
      needs.problem = Problem::kTooFarAhead;
      break;
    case WishRefusalReason::kNothingSaid:
      needs.problem = Problem::kNotSaid;
      break;
    case WishRefusalReason::kNotUnderstood:
    case WishRefusalReason::kConflicting:
    case WishRefusalReason::kTooLong:
    case WishRefusalReason::kUnknownZone:
      needs.problem = Problem::kNotUnderstood;
      break;
  }
  if (refusal.date)
    needs.date = CalendarDay{refusal.date->year, refusal.date->month, refusal.date->day};
  needs.weekday = refusal.date_weekday;
  return needs;
}

SlotSource Staler(SlotSource a, SlotSource b) {
  if (a == SlotSource::kFallback || b == SlotSource::kFallback) return SlotSource::kFallback;
  if (a == SlotSource::kCache || b == SlotSource::kCache) return SlotSource::kCache;
  return SlotSource::kLive;
}

void InTimeOrder(std::vector<Alternative>& alternatives) {
  std::stable_sort(
      alternatives.begin(), alternatives.end(),
      [](const Alternative& a, const Alternative& b) { return a.slot.start < b.slot.start; });
}

// Where alternatives to a wish without an exact time are looked for: the start of its window,
// else the branch's opening time that day, else 9:00.
std::optional<SystemTimePoint> Anchor(const DateTimeWish& wish, const CallContext& ctx) {
  DateTimeWish at = wish;
  if (!at.minute_of_day) {
    int minute = 9 * 60;
    if (wish.window) {
      minute = wish.window->from_minute;
    } else if (auto noon = FromLocal(LocalDateTime{wish.year, wish.month, wish.day, 12, 0, 0},
                                     ctx.timezone)) {
      auto local = ToLocal(*noon, ctx.timezone);
      const auto& open = local ? Hours(ctx)[static_cast<size_t>(local->weekday)] : std::nullopt;
      if (open) minute = open->open_minute;
    }
    at.minute_of_day = minute;
    at.window.reset();
  }
  auto instant = WishToInstant(at, ctx.timezone);
  if (!instant) return std::nullopt;
  return *instant;
}

}  // namespace

HolidayCalendar::HolidayCalendar(std::string_view region,
                                 std::vector<tenancy::ClosingDays> closing_days)
    : state_(region.empty() ? std::string("DE") : "DE-" + std::string(region)),
      closing_days_(std::move(closing_days)) {}

HolidayCalendar HolidayCalendar::For(const tenancy::Company& company,
                                     const std::optional<tenancy::Branch>& branch) {
  std::vector<tenancy::ClosingDays> closing = company.closing_days;
  if (branch) {
    closing.insert(closing.end(), branch->closing_days.begin(), branch->closing_days.end());
  }
  return HolidayCalendar(branch ? std::string_view(branch->region) : std::string_view(),
                         std::move(closing));
}

std::optional<availability::ClosingSpan> HolidayCalendar::ClosingOn(const CalendarDay& day) const {
  if (closing_days_.empty()) return std::nullopt;
  // ISO dates compare like the days they name.
  const std::string iso = IsoDay(day);
  for (const auto& c : closing_days_) {
    if (c.from <= iso && iso <= c.to) {
      return availability::ClosingSpan{ParseIsoDay(c.from), ParseIsoDay(c.to), c.name};
    }
  }
  return std::nullopt;
}

namespace {

// The public holidays of `state` in `year`, built once per thread for the last few (year,
// state) pairs asked: every availability answer asks of one or two years, and building the
// list (movable feasts, the states' rules) was a measurable part of a cached answer.
std::shared_ptr<const std::vector<HolidayDate>> YearOfHolidays(int year, const std::string& state) {
  struct Entry {
    int year = 0;
    std::string state;
    std::shared_ptr<const std::vector<HolidayDate>> days;
  };
  constexpr std::size_t kRemembered = 8;
  thread_local std::vector<Entry> recent;  // the most recently built last
  for (const auto& e : recent) {
    if (e.year == year && e.state == state) return e.days;
  }
  auto days = std::make_shared<const std::vector<HolidayDate>>(PublicHolidays(year, state));
  if (recent.size() == kRemembered) recent.erase(recent.begin());
  recent.push_back(Entry{year, state, days});
  return days;
}

}  // namespace

std::optional<std::string_view> HolidayCalendar::On(const CalendarDay& day) {
  auto year = std::find_if(years_.begin(), years_.end(),
                           [&](const auto& entry) { return entry.first == day.year; });
  if (year == years_.end()) {
    years_.emplace_back(day.year, YearOfHolidays(day.year, state_));
    year = std::prev(years_.end());
  }
  for (const auto& h : *year->second) {
    if (h.month == day.month && h.day == day.day) return h.name;
  }
  return std::nullopt;
}

std::optional<std::string_view> HolidayOn(const CalendarDay& day, std::string_view region) {
  return HolidayCalendar(region).On(day);
}

Result<std::vector<tenancy::Service>> AvailabilityService::ServicesHere(const CallContext& ctx) {
  auto all = ctx.branch ? services_.ListForBranch(ctx.company.id, ctx.branch->id)
                        : services_.ListForCompany(ctx.company.id);
  if (!all) return all;
  std::vector<tenancy::Service> active;
  for (auto& s : *all) {
    if (s.is_active) active.push_back(std::move(s));
  }
  return active;
}

availability::OtherBranch AvailabilityService::OfferedAt(const CallContext& ctx,
                                                         const std::vector<tenancy::Service>& all,
                                                         const tenancy::Service& service) {
  availability::OtherBranch out;
  out.service = service.name;
  // The active services of that name (one per branch, or one for all branches), where they are
  // offered: the active branches other than the caller's, in the company's order.
  std::vector<tenancy::BranchId> ids;
  bool everywhere = false;
  for (const auto& s : all) {
    if (!s.is_active || s.name != service.name) continue;
    if (s.branch_id) {
      ids.push_back(*s.branch_id);
    } else {
      everywhere = true;
    }
  }
  auto branches = branches_.ListForCompany(ctx.company.id);
  if (!branches) return out;
  for (const auto& b : *branches) {
    if (!b.is_active || (ctx.branch && b.id == ctx.branch->id)) continue;
    if (everywhere || std::find(ids.begin(), ids.end(), b.id) != ids.end()) {
      out.branches.push_back(b.name);
    }
  }
  return out;
}

std::optional<availability::Taken> AvailabilityService::DayOff(const CallContext& ctx,
                                                               SystemTimePoint start) {
  const auto day = DayOf(start, ctx.timezone);
  if (!day) return std::nullopt;
  auto calendar = HolidayCalendar::For(ctx.company, ctx.branch);
  availability::Taken off;
  off.requested = start;
  if (auto holiday = calendar.On(*day)) {
    off.why = availability::NotFree::kHoliday;
    off.holiday = *holiday;
    return off;
  }
  if (auto closing = calendar.ClosingOn(*day)) {
    off.why = availability::NotFree::kClosing;
    off.closing = std::move(*closing);
    return off;
  }
  return std::nullopt;
}

Result<tenancy::Service> AvailabilityService::ResolveService(const CallContext& ctx,
                                                             const ServiceChoice& choice,
                                                             availability::ServiceUnknown* unknown,
                                                             availability::OtherBranch* elsewhere) {
  auto here = ServicesHere(ctx);
  if (!here) return tl::unexpected(here.error());
  if (!choice.id.empty()) {
    long long id = 0;
    try {
      id = std::stoll(choice.id);
    } catch (...) {
      id = -1;
    }
    auto service = services_.FindById(ctx.company.id, tenancy::ServiceId(id));
    if (!service) {
      if (service.error().code != ErrorCode::kNotFound) return tl::unexpected(service.error());
      // Unknown here: it may be another company's; never say which.
      return Fail(ErrorCode::kPermissionDenied, "service not available");
    }
    const bool offered = std::any_of(
        here->begin(), here->end(), [&](const tenancy::Service& s) { return s.id == service->id; });
    if (!offered) {
      // The company's own service: which of its branches offer it may be said.
      if (elsewhere != nullptr) {
        if (auto all = services_.ListForCompany(ctx.company.id)) {
          *elsewhere = OfferedAt(ctx, *all, *service);
        }
      }
      return Fail(ErrorCode::kPermissionDenied, "not available at your branch");
    }
    return service;
  }
  auto match = MatchService(*here, choice.name);
  if (match) return match;
  // Offered by the company, but at another branch?
  if (!choice.name.empty() && ctx.branch) {
    auto all = services_.ListForCompany(ctx.company.id);
    if (all) {
      if (auto there = MatchService(*all, choice.name)) {
        if (elsewhere != nullptr) *elsewhere = OfferedAt(ctx, *all, *there);
        return Fail(ErrorCode::kPermissionDenied, "not available at your branch");
      }
    }
  }
  if (unknown != nullptr) {
    unknown->wanted = choice.name;
    unknown->offered.clear();
    for (const auto& s : *here) unknown->offered.push_back(s.name);
  }
  return Fail(ErrorCode::kNotFound, "no such service");
}

SlotQuery AvailabilityService::Query(const CallContext& ctx, const tenancy::Service& service,
                                     SystemTimePoint from, SystemTimePoint to) const {
  SlotQuery q;
  q.account = CalendarAccountFor(ctx, settings_);
  q.event_type_id = service.calcom_event_type_id.value_or(0);
  q.from = from;
  q.to = to;
  q.time_zone = ctx.timezone;
  q.duration_minutes = service.duration_minutes;
  return q;
}

std::vector<SlotQuery> AvailabilityService::AlternativeQueries(const CallContext& ctx,
                                                               const tenancy::Service& service,
                                                               SystemTimePoint wish) const {
  // Independent questions, asked at once: the wish's day (first), the next workday, the same
  // weekday next week, and the two weeks after the wish for the first free day.
  const auto day = LocalDayOf(wish, ctx.timezone);
  const auto next_workday =
      LocalDayOf(NextWorkdaySameTime(wish, Hours(ctx), ctx.timezone), ctx.timezone);
  const auto next_week = LocalDayOf(wish + std::chrono::hours(24 * 7), ctx.timezone);
  return {Query(ctx, service, day.first, day.second),
          Query(ctx, service, next_workday.first, next_workday.second),
          Query(ctx, service, next_week.first, next_week.second),
          Query(ctx, service, day.second, day.second + std::chrono::hours(24 * 14))};
}

Result<SlotAnswer> AvailabilityService::Usable(const CallContext& ctx,
                                               const tenancy::Service& service,
                                               Result<SlotAnswer> answer,
                                               SystemTimePoint any_time_that_day,
                                               HolidayCalendar& holidays) const {
  if (!answer) return answer;
  // Only what the caller can actually take: inside opening hours and the minimum notice, never
  // on a public holiday.
  const auto [from, to] = LocalDayOf(any_time_that_day, ctx.timezone);
  const auto earliest = clock_.Now() + std::chrono::minutes(service.minimum_notice_minutes);
  std::vector<Slot> usable;
  const auto day = DayOf(any_time_that_day, ctx.timezone);
  if (day && holidays.Closed(*day)) answer->slots.clear();
  for (const auto& s : answer->slots) {
    if (s.start >= earliest && s.start >= from && s.start < to &&
        WithinBusinessHours(s.start, std::chrono::minutes(service.duration_minutes), Hours(ctx),
                            ctx.timezone)) {
      usable.push_back(s);
    }
  }
  std::sort(usable.begin(), usable.end(),
            [](const Slot& a, const Slot& b) { return a.start < b.start; });
  answer->slots = std::move(usable);
  return answer;
}

Result<SlotAnswer> AvailabilityService::DaySlots(const CallContext& ctx,
                                                 const tenancy::Service& service,
                                                 SystemTimePoint any_time_that_day) {
  if (!service.calcom_event_type_id) {
    return Fail(ErrorCode::kInvalidArgument, "the service has no calendar");
  }
  const auto [from, to] = LocalDayOf(any_time_that_day, ctx.timezone);
  auto holidays = HolidayCalendar::For(ctx.company, ctx.branch);
  return Usable(ctx, service, calendar_.GetSlots(Query(ctx, service, from, to)), any_time_that_day,
                holidays);
}

std::vector<Alternative> AvailabilityService::Rank(const CallContext& ctx,
                                                   const tenancy::Service& service,
                                                   SystemTimePoint wish, int count,
                                                   const std::vector<Result<SlotAnswer>>& answers,
                                                   SlotSource* source, bool* calendar_answered,
                                                   HolidayCalendar& holidays) const {
  if (calendar_answered != nullptr) *calendar_answered = false;
  std::vector<Slot> all;
  SlotSource worst = SlotSource::kLive;
  for (const auto& a : answers) {
    if (!a) continue;
    if (calendar_answered != nullptr) *calendar_answered = true;
    worst = Staler(worst, a->source);
    for (const auto& slot : a->slots) {
      const auto day = DayOf(slot.start, ctx.timezone);
      if (!day || !holidays.Closed(*day)) all.push_back(slot);
    }
  }
  std::sort(all.begin(), all.end(), [](const Slot& a, const Slot& b) { return a.start < b.start; });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (source != nullptr) *source = worst;
  AlternativeRules rules;
  rules.max_results = std::clamp(count, 1, 10);
  auto ranked = RankAlternatives(
      wish, all, Hours(ctx), ctx.timezone, std::chrono::minutes(service.duration_minutes),
      std::chrono::minutes(service.minimum_notice_minutes), clock_.Now(), rules);
  InTimeOrder(ranked);
  return ranked;
}

std::vector<Alternative> AvailabilityService::FindAlternatives(const CallContext& ctx,
                                                               const tenancy::Service& service,
                                                               SystemTimePoint wish, int count,
                                                               SlotSource* source,
                                                               bool* calendar_answered) {
  auto holidays = HolidayCalendar::For(ctx.company, ctx.branch);
  return FindAlternatives(ctx, service, wish, count, source, calendar_answered, holidays);
}

std::vector<Alternative> AvailabilityService::FindAlternatives(
    const CallContext& ctx, const tenancy::Service& service, SystemTimePoint wish, int count,
    SlotSource* source, bool* calendar_answered, HolidayCalendar& holidays) {
  if (calendar_answered != nullptr) *calendar_answered = false;
  if (!service.calcom_event_type_id) return {};
  const auto answers = calendar_.GetSlotsMany(AlternativeQueries(ctx, service, wish));
  return Rank(ctx, service, wish, count, answers, source, calendar_answered, holidays);
}

Result<AvailabilityOutcome> AvailabilityService::Check(const CallContext& ctx,
                                                       const SlotWish& request) {
  return Check(ctx, request, nullptr);
}

Result<AvailabilityOutcome> AvailabilityService::CheckKnown(const CallContext& ctx,
                                                            const tenancy::Service& service,
                                                            const SlotWish& request) {
  return Check(ctx, request, &service);
}

Result<AvailabilityOutcome> AvailabilityService::Check(const CallContext& ctx,
                                                       const SlotWish& request,
                                                       const tenancy::Service* known) {
  AvailabilityOutcome out;
  out.as_of = clock_.Now();
  availability::ServiceUnknown unknown;
  std::optional<availability::OtherBranch> elsewhere(std::in_place);
  auto service = known != nullptr ? Result<tenancy::Service>(*known)
                                  : ResolveService(ctx, request.service, &unknown, &*elsewhere);
  if (!service) {
    if (service.error().code == ErrorCode::kPermissionDenied && !elsewhere->service.empty()) {
      out.result = std::move(*elsewhere);
      return out;
    }
    if (service.error().code != ErrorCode::kNotFound) return tl::unexpected(service.error());
    out.result = std::move(unknown);
    return out;
  }
  out.service = *service;
  if (request.date.empty() && request.time.empty()) {
    out.result = NeedsInput{Field::kDate, Problem::kNotSaid};
    return out;
  }
  auto wish = ParseGermanDateTimeDetailed(request.date, request.time, out.as_of, ctx.timezone);
  if (!wish) {
    out.result = AskAgain(wish.error());
    return out;
  }
  auto noon = FromLocal(LocalDateTime{wish->year, wish->month, wish->day, 12, 0, 0}, ctx.timezone);
  if (!noon) {
    out.result = NeedsInput{Field::kDate, Problem::kNoSuchDate};
    return out;
  }
  if (!service->calcom_event_type_id) {
    out.result = availability::NotBookableOnline{};
    return out;
  }
  std::optional<SystemTimePoint> exact;
  if (wish->minute_of_day) {
    auto instant = WishToInstant(*wish, ctx.timezone);
    if (!instant) {
      out.result = NeedsInput{Field::kTime, Problem::kNotUnderstood};
      return out;
    }
    exact = *instant;
  }
  // The day first. With an exact time, what its alternatives need is asked alongside, so a taken
  // time costs one round to the calendar, not two.
  std::vector<Result<SlotAnswer>> answers;
  if (exact && known == nullptr) {
    answers = calendar_.GetSlotsMany(AlternativeQueries(ctx, *service, *exact));
  } else {
    // A whole day; or the new time of a move, which is usually free (it was proposed): the day
    // alone, and the alternatives only when they are needed.
    const auto [from, to] = LocalDayOf(*noon, ctx.timezone);
    answers.push_back(calendar_.GetSlots(Query(ctx, *service, from, to)));
  }
  auto holidays = HolidayCalendar::For(ctx.company, ctx.branch);
  auto slots = Usable(ctx, *service, answers.front(), *noon, holidays);
  if (!slots) {
    out.result = availability::CalendarUnavailable{slots.error().code};
    return out;
  }
  out.source = slots->source;
  const CalendarDay day{wish->year, wish->month, wish->day};
  const int count = settings_.max_alternatives;

  if (exact) {
    auto free = std::find_if(slots->slots.begin(), slots->slots.end(),
                             [&](const Slot& s) { return s.start == *exact; });
    if (free != slots->slots.end()) {
      out.result = availability::Free{*free};
      return out;
    }
    if (answers.size() == 1) {
      auto rest = AlternativeQueries(ctx, *service, *exact);
      rest.erase(rest.begin());  // the day, asked already
      for (auto& answer : calendar_.GetSlotsMany(rest)) answers.push_back(std::move(answer));
    }
    SlotSource alt_source = SlotSource::kLive;
    availability::Taken taken{
        *exact, Rank(ctx, *service, *exact, count, answers, &alt_source, nullptr, holidays)};
    out.source = Staler(out.source, alt_source);
    // Why: the first rule that explains it, else someone else has it.
    const auto hours = Hours(ctx);
    const auto local = NoonOf(day, ctx.timezone);
    if (local) taken.hours = hours[static_cast<size_t>(local->weekday)];
    const auto holiday = holidays.On(day);
    const int minute_of_hour = *wish->minute_of_day % 60;
    // Only the calendar's own slots show its grid; fallback slots are a guess.
    const bool on_grid = slots->source == SlotSource::kFallback || slots->slots.empty() ||
                         std::any_of(slots->slots.begin(), slots->slots.end(), [&](const Slot& s) {
                           auto l = ToLocal(s.start, ctx.timezone);
                           return l && l->minute == minute_of_hour;
                         });
    if (*exact <= out.as_of) {
      taken.why = availability::NotFree::kPast;
    } else if (*exact < out.as_of + std::chrono::minutes(service->minimum_notice_minutes)) {
      taken.why = availability::NotFree::kTooSoon;
    } else if (holiday) {
      taken.why = availability::NotFree::kHoliday;
      taken.holiday = *holiday;
    } else if (auto closing = holidays.ClosingOn(day)) {
      taken.why = availability::NotFree::kClosing;
      taken.closing = std::move(*closing);
    } else if (tenancy::AnyHours(hours) && !taken.hours) {
      taken.why = availability::NotFree::kClosedDay;
    } else if (!WithinBusinessHours(*exact, std::chrono::minutes(service->duration_minutes), hours,
                                    ctx.timezone)) {
      taken.why = availability::NotFree::kOutsideHours;
    } else if (!on_grid) {
      taken.why = availability::NotFree::kOffGrid;
    }
    out.result = std::move(taken);
    return out;
  }
  // A day, maybe with a window: what is free in it.
  std::vector<Slot> in_window;
  for (const auto& s : slots->slots) {
    if (wish->window) {
      auto l = ToLocal(s.start, ctx.timezone);
      const int m = l ? l->hour * 60 + l->minute : -1;
      if (m < wish->window->from_minute || m >= wish->window->to_minute) continue;
    }
    in_window.push_back(s);
  }
  if (!in_window.empty()) {
    out.result = availability::DayList{day, wish->window, std::move(in_window)};
    return out;
  }
  availability::DayFull full{day, wish->window, {}};
  if (auto anchor = Anchor(*wish, ctx)) {
    SlotSource alt_source = SlotSource::kLive;
    full.alternatives =
        FindAlternatives(ctx, *service, *anchor, count, &alt_source, nullptr, holidays);
    out.source = Staler(out.source, alt_source);
  }
  const auto hours = Hours(ctx);
  const auto local = NoonOf(day, ctx.timezone);
  if (auto holiday = holidays.On(day)) {
    full.why = availability::NotFree::kHoliday;
    full.holiday = *holiday;
  } else if (auto closing = holidays.ClosingOn(day)) {
    full.why = availability::NotFree::kClosing;
    full.closing = std::move(*closing);
  } else if (tenancy::AnyHours(hours) && local && !hours[static_cast<size_t>(local->weekday)]) {
    full.why = availability::NotFree::kClosedDay;
  }
  out.result = std::move(full);
  return out;
}

Result<AlternativesOutcome> AvailabilityService::Alternatives(const CallContext& ctx,
                                                              const AlternativesRequest& request) {
  AlternativesOutcome out;
  out.as_of = clock_.Now();
  availability::ServiceUnknown unknown;
  availability::OtherBranch elsewhere;
  auto service = ResolveService(ctx, request.wish.service, &unknown, &elsewhere);
  if (!service) {
    if (service.error().code == ErrorCode::kPermissionDenied && !elsewhere.service.empty()) {
      out.result = std::move(elsewhere);
      return out;
    }
    if (service.error().code != ErrorCode::kNotFound) return tl::unexpected(service.error());
    out.result = std::move(unknown);
    return out;
  }
  out.service = *service;
  if (!service->calcom_event_type_id) {
    out.result = availability::NotBookableOnline{};
    return out;
  }
  SystemTimePoint anchor = out.as_of;
  if (!request.wish.date.empty() || !request.wish.time.empty()) {
    auto wish =
        ParseGermanDateTimeDetailed(request.wish.date, request.wish.time, out.as_of, ctx.timezone);
    if (!wish) {
      out.result = AskAgain(wish.error());
      return out;
    }
    auto at = Anchor(*wish, ctx);
    if (!at) {
      out.result = NeedsInput{Field::kDate, Problem::kNoSuchDate};
      return out;
    }
    anchor = *at;
  }
  bool answered = false;
  auto alternatives =
      FindAlternatives(ctx, *service, anchor, request.count.value_or(settings_.max_alternatives),
                       &out.source, &answered);
  if (!answered) {
    out.result = availability::CalendarUnavailable{ErrorCode::kUnavailable};
    return out;
  }
  out.result = availability::Offer{anchor, std::move(alternatives)};
  return out;
}

Result<BookingDraft> AvailabilityService::Draft(const CallContext& ctx,
                                                const AppointmentRequest& request) {
  auto check = Check(ctx, request.wish);
  if (!check) return tl::unexpected(check.error());
  BookingDraft draft;
  draft.availability = std::move(*check);
  draft.name = request.contact.name;
  if (draft.name.empty() && ctx.customer) draft.name = ctx.customer->name;
  return draft;
}

availability::NeedsInput WhatToAskFor(const WishRefusal& refusal) { return AskAgain(refusal); }

}  // namespace callgate::booking
