#pragma once
// Availability: the read side of booking (SPEC §2 check-availability, get-alternatives and the
// summary collect-appointment-data gives before a booking). Which of the branch's services the
// caller means, and when it is free — as typed outcomes without wording: the agent module
// speaks them (agent/speech.hpp). Depends only on the calendar, the service list and the clock.
//
// Business outcomes are values of the outcome variants; only tenant violations and broken
// storage are errors:
//   kPermissionDenied  a service id unknown to the caller's company (never said whose it is)
// A service of the company offered only at its other branches is the OtherBranch outcome (the
// tools answer it with HTTP 403 and a sentence naming those branches).
//   kUnavailable       storage is down

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "booking/alternatives.hpp"
#include "booking/calendar_provider.hpp"
#include "booking/call_context.hpp"
#include "booking/german_time.hpp"
#include "booking/holidays.hpp"
#include "booking/settings.hpp"
#include "booking/tool_requests.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// A local calendar day in the branch's zone.
struct CalendarDay {
  int year = 0;
  int month = 0;
  int day = 0;
  friend bool operator==(const CalendarDay&, const CalendarDay&) = default;
};

namespace availability {

// The caller named no service offered here (or none at all): what is offered instead.
struct ServiceUnknown {
  std::string wanted;                // as said; empty when no service was named
  std::vector<std::string> offered;  // the names of the services offered here
};

// Which argument the caller has to give (again), and why (booking/german_time.hpp).
enum class Field { kDate, kTime, kName };
enum class Problem {
  kNotSaid,          // nothing was said for it
  kNotUnderstood,    // said, but not understood
  kPast,             // a day already over ("gestern", "1.12." on 2.12.)
  kNoSuchDate,       // "30. Februar"
  kWeekdayMismatch,  // "Montag, den 15." when the 15th is a Dienstag
  kTooVague,         // "bald", "irgendwann"
  kBadTime,          // "um 25 Uhr", "14:75"
  kTooFarAhead,      // years ahead
};
struct NeedsInput {
  Field field = Field::kDate;
  Problem problem = Problem::kNotSaid;
  std::optional<CalendarDay> date = std::nullopt;  // the date understood (kPast, kWeekdayMismatch)
  std::optional<int> weekday = std::nullopt;       // its weekday, 0 = Sonntag (kWeekdayMismatch)
};

// Why a wished time is not free.
enum class NotFree {
  kBooked,        // taken
  kPast,          // already over
  kTooSoon,       // inside the service's minimum notice
  kClosedDay,     // the branch is closed that day
  kHoliday,       // a public holiday
  kOutsideHours,  // before opening or too late to end before closing
  kOffGrid,       // appointments do not start at that minute (10:15 when they start every 30)
  kClosing,       // a closing day of the company or the branch (Betriebsferien)
};

// The closing days a wished day falls in (tenancy::ClosingDays, read), for kClosing.
struct ClosingSpan {
  CalendarDay from;
  CalendarDay to;    // == from for a single day
  std::string name;  // "Betriebsferien"; may be empty
};

// The service the caller named is offered by the company, but not at the branch they called:
// the names of the active branches that offer it (never another company's).
struct OtherBranch {
  std::string service;
  std::vector<std::string> branches;
};

// The service has no calendar: it cannot be booked by phone.
struct NotBookableOnline {};

// The calendar could not be asked (outage, timeout, refused key).
struct CalendarUnavailable {
  ErrorCode code = ErrorCode::kUnavailable;
};

// The wished time is free.
struct Free {
  Slot slot;
};

// The wished time is not free, and why; the best alternatives, in time order.
struct Taken {
  SystemTimePoint requested;
  std::vector<Alternative> alternatives;
  NotFree why = NotFree::kBooked;
  std::optional<tenancy::OpeningHours> hours = std::nullopt;  // that day's, when configured
  std::string_view holiday = {};                              // its name, for kHoliday
  std::optional<ClosingSpan> closing = std::nullopt;          // for kClosing
};

// A day (maybe a part of it) was asked: its free times, in time order.
struct DayList {
  CalendarDay day;
  std::optional<TimeWindow> window;
  std::vector<Slot> slots;  // never empty
};

// Nothing free that day (in the window), and why (kBooked: all taken, kClosedDay, kHoliday,
// kClosing, kPast); the best alternatives, in time order.
struct DayFull {
  CalendarDay day;
  std::optional<TimeWindow> window;
  std::vector<Alternative> alternatives;
  NotFree why = NotFree::kBooked;
  std::string_view holiday = {};                      // its name, for kHoliday
  std::optional<ClosingSpan> closing = std::nullopt;  // for kClosing
};

// Alternatives asked for directly, around `anchor`, in time order (maybe none).
struct Offer {
  SystemTimePoint anchor;
  std::vector<Alternative> alternatives;
};

}  // namespace availability

// What to ask the caller for when their wish was refused (booking/german_time.hpp).
availability::NeedsInput WhatToAskFor(const WishRefusal& refusal);

// The days a branch is closed all day: the public holidays it keeps (the nationwide ones and,
// with a region — a Bundesland code such as "BY", tenancy::Branch::region — that state's) and
// the closing days of its company and its own (tenancy::ClosingDays). Such days are never
// offered, and a wish on one is refused with its name. Each year's holiday list is built once,
// on the first day asked of it, so one request asks of hundreds of slots for the price of one
// list. Not thread-safe: one per request.
class HolidayCalendar {
 public:
  explicit HolidayCalendar(std::string_view region = {},
                           std::vector<tenancy::ClosingDays> closing_days = {});
  // The calendar of `branch` (its region and closing days, nullopt: nationwide only) together
  // with its company's closing days.
  static HolidayCalendar For(const tenancy::Company& company,
                             const std::optional<tenancy::Branch>& branch);
  // The holiday's name on `day` ("1. Weihnachtsfeiertag", "Fronleichnam"), if it is one.
  std::optional<std::string_view> On(const CalendarDay& day);
  // The first listed closing days that hold `day`, if any.
  std::optional<availability::ClosingSpan> ClosingOn(const CalendarDay& day) const;
  // Whether `day` is a holiday or a closing day.
  bool Closed(const CalendarDay& day) { return On(day) || ClosingOn(day); }

 private:
  std::string state_;  // "DE-BY"; "DE" = nationwide only
  std::vector<std::pair<int, std::shared_ptr<const std::vector<HolidayDate>>>> years_;
  std::vector<tenancy::ClosingDays> closing_days_;
};

// One day asked once: the name of the public holiday on `day` in `region` ("" = nationwide).
std::optional<std::string_view> HolidayOn(const CalendarDay& day, std::string_view region = {});

// The answer to "is <service> free <when>?".
struct AvailabilityOutcome {
  std::optional<tenancy::Service> service;  // set once the service is known
  SlotSource source = SlotSource::kLive;    // how fresh the calendar's answer is
  SystemTimePoint as_of;                    // when it was asked ("today" for speaking it)
  std::variant<availability::ServiceUnknown, availability::OtherBranch, availability::NeedsInput,
               availability::NotBookableOnline, availability::CalendarUnavailable,
               availability::Free, availability::Taken, availability::DayList,
               availability::DayFull>
      result;
};

// The answer to "what else is free around <when>?".
struct AlternativesOutcome {
  std::optional<tenancy::Service> service;
  SlotSource source = SlotSource::kLive;
  SystemTimePoint as_of;
  std::variant<availability::ServiceUnknown, availability::OtherBranch, availability::NeedsInput,
               availability::NotBookableOnline, availability::CalendarUnavailable,
               availability::Offer>
      result;
};

// What collect-appointment-data without confirm finds: the availability of the wish and the
// name the appointment would be booked under (the one said, else the known caller's). It is
// ready to be confirmed when the wish is Free and the name is not empty.
struct BookingDraft {
  AvailabilityOutcome availability;
  std::string name;
  bool Ready() const {
    return std::holds_alternative<availability::Free>(availability.result) && !name.empty();
  }
};

class AvailabilityService {
 public:
  AvailabilityService(const BookingSettings& settings, CalendarProvider& calendar,
                      tenancy::ServiceRepository& services, tenancy::BranchRepository& branches,
                      const Clock& clock)
      : settings_(settings),
        calendar_(calendar),
        services_(services),
        branches_(branches),
        clock_(clock) {}

  Result<AvailabilityOutcome> Check(const CallContext& ctx, const SlotWish& wish);
  // As Check, for a service already known (the one of the caller's own appointment, which is
  // moved): only the wish's day and time are read. The new time of a move is usually free (it
  // was proposed): the day is asked alone, the alternatives only when it is not.
  Result<AvailabilityOutcome> CheckKnown(const CallContext& ctx, const tenancy::Service& service,
                                         const SlotWish& wish);
  // Around the wish (its time, the start of its window, else the branch's opening time that
  // day); around now when no day was said.
  Result<AlternativesOutcome> Alternatives(const CallContext& ctx,
                                           const AlternativesRequest& request);
  Result<BookingDraft> Draft(const CallContext& ctx, const AppointmentRequest& request);

  // The active services offered at the caller's branch (the company's without a branch).
  Result<std::vector<tenancy::Service>> ServicesHere(const CallContext& ctx);
  // The service `choice` names for this call. kNotFound (with `unknown` filled when given)
  // when it names none offered here; kPermissionDenied (with `elsewhere` filled when given)
  // when it names one of the company's offered only at its other branches, or an id the
  // company does not know (`elsewhere` then untouched: nothing is said about it).
  Result<tenancy::Service> ResolveService(const CallContext& ctx, const ServiceChoice& choice,
                                          availability::ServiceUnknown* unknown,
                                          availability::OtherBranch* elsewhere = nullptr);
  // A wish at `start` on a day the caller's branch is closed all day: a public holiday
  // (kHoliday with its name) or a closing day (kClosing with its span), without alternatives;
  // nullopt on any other day.
  std::optional<availability::Taken> DayOff(const CallContext& ctx, SystemTimePoint start);
  // Up to `count` (1–10) ranked alternatives around `wish`, in time order; `source` is the
  // stalest source among the calendar's answers. Empty when the calendar answered nothing.
  std::vector<Alternative> FindAlternatives(const CallContext& ctx, const tenancy::Service& service,
                                            SystemTimePoint wish, int count, SlotSource* source,
                                            bool* calendar_answered = nullptr);
  // The free slots the caller can take on the local day of `any_time_that_day`, in time order:
  // inside opening hours and the minimum notice. kInvalidArgument when the service has no
  // calendar; the calendar's error when it could not be asked.
  Result<SlotAnswer> DaySlots(const CallContext& ctx, const tenancy::Service& service,
                              SystemTimePoint any_time_that_day);

 private:
  Result<AvailabilityOutcome> Check(const CallContext& ctx, const SlotWish& wish,
                                    const tenancy::Service* known);
  SlotQuery Query(const CallContext& ctx, const tenancy::Service& service, SystemTimePoint from,
                  SystemTimePoint to) const;
  // The questions alternatives to `wish` need, the wish's day first.
  std::vector<SlotQuery> AlternativeQueries(const CallContext& ctx, const tenancy::Service& service,
                                            SystemTimePoint wish) const;
  // `answer` reduced to the slots the caller can take on the local day of `any_time_that_day`.
  Result<SlotAnswer> Usable(const CallContext& ctx, const tenancy::Service& service,
                            Result<SlotAnswer> answer, SystemTimePoint any_time_that_day,
                            HolidayCalendar& holidays) const;
  std::vector<Alternative> Rank(const CallContext& ctx, const tenancy::Service& service,
                                SystemTimePoint wish, int count,
                                const std::vector<Result<SlotAnswer>>& answers, SlotSource* source,
                                bool* calendar_answered, HolidayCalendar& holidays) const;
  std::vector<Alternative> FindAlternatives(const CallContext& ctx, const tenancy::Service& service,
                                            SystemTimePoint wish, int count, SlotSource* source,
                                            bool* calendar_answered, HolidayCalendar& holidays);
  // Where `service` (one of `all`, the company's services) is offered besides the caller's
  // branch.
  availability::OtherBranch OfferedAt(const CallContext& ctx,
                                      const std::vector<tenancy::Service>& all,
                                      const tenancy::Service& service);

  const BookingSettings& settings_;
  CalendarProvider& calendar_;
  tenancy::ServiceRepository& services_;
  tenancy::BranchRepository& branches_;
  const Clock& clock_;
};

}  // namespace callgate::booking
