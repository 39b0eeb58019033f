// AvailabilityService's outcomes, one test each, against the in-memory two-company world
// (booking/testing/in_memory.hpp) and its fake clock: Thursday 26.11.2026 10:00 Berlin; the
// calendar has half-hour slots 09:00–17:00 Berlin every day; the branch opens Mo–Fr 9–18,
// Sa 9–13. The wording of each outcome is agent/speech_test.cpp's.
#include "booking/availability.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

namespace av = availability;

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, "Europe/Berlin");
}

std::optional<CalendarDay> ToLocalDay(SystemTimePoint t) {
  auto l = ToLocal(t, "Europe/Berlin");
  if (!l) return std::nullopt;
  return CalendarDay{l->year, l->month, l->day};
}

class AvailabilityTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  AvailabilityService& availability = world.booking.Availability();

  CallContext Caller() { return *world.contexts.Resolve("call_fuzz_1", std::nullopt); }
  static SlotWish Wish(std::string service, std::string date, std::string time = "") {
    return SlotWish{ServiceChoice{std::move(service), ""}, std::move(date), std::move(time)};
  }
  Result<AvailabilityOutcome> Check(std::string date, std::string time = "") {
    return availability.Check(Caller(), Wish("Beratung", std::move(date), std::move(time)));
  }
  static std::vector<SystemTimePoint> Starts(const std::vector<Alternative>& alternatives) {
    std::vector<SystemTimePoint> out;
    for (const auto& a : alternatives) out.push_back(a.slot.start);
    return out;
  }
  static bool InTimeOrder(const std::vector<SystemTimePoint>& starts) {
    return std::is_sorted(starts.begin(), starts.end());
  }
};

// ---- check-availability ----

TEST_F(AvailabilityTest, AFreeTimeIsFree) {
  auto out = Check("morgen", "10 Uhr");
  ASSERT_TRUE(out);
  const auto* free = std::get_if<av::Free>(&out->result);
  ASSERT_NE(free, nullptr);
  EXPECT_EQ(free->slot.start, Berlin(11, 27, 10));
  ASSERT_TRUE(out->service);
  EXPECT_EQ(out->service->name, "Beratung");
  EXPECT_EQ(out->as_of, world.clock.Now());
  EXPECT_EQ(out->source, SlotSource::kLive);
}

TEST_F(AvailabilityTest, ATakenTimeOffersAlternativesInTimeOrder) {
  world.calendar.taken.push_back(Berlin(11, 27, 10));
  auto out = Check("morgen", "10 Uhr");
  ASSERT_TRUE(out);
  const auto* taken = std::get_if<av::Taken>(&out->result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->requested, Berlin(11, 27, 10));
  EXPECT_EQ(taken->why, av::NotFree::kBooked);
  const auto starts = Starts(taken->alternatives);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_TRUE(InTimeOrder(starts));
  EXPECT_EQ(std::count(starts.begin(), starts.end(), Berlin(11, 27, 10)), 0);
}

TEST_F(AvailabilityTest, ATakenTimeCostsOneRoundToTheCalendar) {
  // The day and what the alternatives need are asked together: one round of parallel
  // questions, never the day first and the alternatives after.
  world.calendar.taken.push_back(Berlin(11, 27, 10));
  auto out = Check("morgen", "10 Uhr");
  ASSERT_TRUE(out);
  ASSERT_TRUE(std::holds_alternative<av::Taken>(out->result));
  EXPECT_EQ(world.calendar.rounds_many, 1);
  EXPECT_EQ(world.calendar.queries.size(), 4u);
  EXPECT_EQ(world.calendar.queries.front().from, Berlin(11, 27, 0));
}

TEST_F(AvailabilityTest, ADayListsAllItsFreeTimesInOrder) {
  auto out = Check("morgen");
  ASSERT_TRUE(out);
  const auto* list = std::get_if<av::DayList>(&out->result);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->day, (CalendarDay{2026, 11, 27}));
  EXPECT_FALSE(list->window);
  // 09:00 … 16:30: every half hour of the calendar, the afternoon included.
  ASSERT_EQ(list->slots.size(), 16u);
  EXPECT_EQ(list->slots.front().start, Berlin(11, 27, 9));
  EXPECT_EQ(list->slots.back().start, Berlin(11, 27, 16, 30));
}

TEST_F(AvailabilityTest, APartOfTheDayListsOnlyItsTimes) {
  auto out = Check("morgen", "nachmittags");
  ASSERT_TRUE(out);
  const auto* list = std::get_if<av::DayList>(&out->result);
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->window);
  EXPECT_EQ(list->window->from_minute, 12 * 60);
  EXPECT_EQ(list->slots.front().start, Berlin(11, 27, 12));
}

TEST_F(AvailabilityTest, AClosedDayIsFullAndNamesTheDay) {
  auto out = Check("Sonntag");
  ASSERT_TRUE(out);
  const auto* full = std::get_if<av::DayFull>(&out->result);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->day, (CalendarDay{2026, 11, 29}));
  const auto starts = Starts(full->alternatives);
  ASSERT_FALSE(starts.empty());
  EXPECT_TRUE(InTimeOrder(starts));
}

TEST_F(AvailabilityTest, AFullDaysAlternativesAreAnchoredAtTheWindowStart) {
  // Nothing is free in the evening (the calendar ends at 17:00): the closest alternative that
  // day is 16:30, next to the window's start, not one around noon.
  auto out = Check("morgen", "abends");
  ASSERT_TRUE(out);
  const auto* full = std::get_if<av::DayFull>(&out->result);
  ASSERT_NE(full, nullptr);
  ASSERT_TRUE(full->window);
  const auto starts = Starts(full->alternatives);
  EXPECT_NE(std::find(starts.begin(), starts.end(), Berlin(11, 27, 16, 30)), starts.end());
  EXPECT_EQ(std::find(starts.begin(), starts.end(), Berlin(11, 27, 12)), starts.end());
}

TEST_F(AvailabilityTest, NothingSaidNeedsADayAndAsksNoCalendar) {
  auto out = Check("");
  ASSERT_TRUE(out);
  const auto* needs = std::get_if<av::NeedsInput>(&out->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, av::Field::kDate);
  EXPECT_EQ(needs->problem, av::Problem::kNotSaid);
  EXPECT_TRUE(world.calendar.queries.empty());
}

TEST_F(AvailabilityTest, AnUnreadableDayNeedsTheDayAgain) {
  auto out = Check("blubb");
  ASSERT_TRUE(out);
  const auto* needs = std::get_if<av::NeedsInput>(&out->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, av::Field::kDate);
  EXPECT_EQ(needs->problem, av::Problem::kNotUnderstood);
  EXPECT_TRUE(world.calendar.queries.empty());
}

TEST_F(AvailabilityTest, AnUnknownServiceNamesTheOffer) {
  auto out = availability.Check(Caller(), Wish("Haarschnitt", "morgen"));
  ASSERT_TRUE(out);
  const auto* unknown = std::get_if<av::ServiceUnknown>(&out->result);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->wanted, "Haarschnitt");
  EXPECT_EQ(unknown->offered, (std::vector<std::string>{"Beratung", "Zahnreinigung"}));
  EXPECT_FALSE(out->service);
  EXPECT_TRUE(world.calendar.queries.empty());
}

TEST_F(AvailabilityTest, AnotherCompanysServiceIsDenied) {
  SlotWish wish = Wish("", "morgen");
  wish.service.id = "200";  // company 2's service
  auto out = availability.Check(Caller(), wish);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(world.calendar.queries.empty());
}

TEST_F(AvailabilityTest, AServiceWithoutCalendarIsNotBookableOnline) {
  world.services.rows[0].calcom_event_type_id.reset();
  auto out = Check("morgen");
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<av::NotBookableOnline>(out->result));
}

TEST_F(AvailabilityTest, ACalendarOutageSaysSo) {
  world.calendar.slots_error = Error{ErrorCode::kTimeout, "slow"};
  auto out = Check("morgen", "10 Uhr");
  ASSERT_TRUE(out);
  const auto* down = std::get_if<av::CalendarUnavailable>(&out->result);
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->code, ErrorCode::kTimeout);
}

TEST_F(AvailabilityTest, TimesNotConfirmedByTheCalendarSaySo) {
  world.calendar.source = SlotSource::kFallback;
  auto out = Check("morgen", "10 Uhr");
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<av::Free>(out->result));
  EXPECT_EQ(out->source, SlotSource::kFallback);
}

// ---- why not: the reason of a refused wish or of a time that is not free ----

TEST_F(AvailabilityTest, ATimeNotFreeSaysWhy) {
  auto why = [&](std::string service, std::string date, std::string time) {
    auto out =
        availability.Check(Caller(), Wish(std::move(service), std::move(date), std::move(time)));
    EXPECT_TRUE(out);
    const auto* taken = out ? std::get_if<av::Taken>(&out->result) : nullptr;
    EXPECT_NE(taken, nullptr);
    return taken ? taken->why : av::NotFree::kBooked;
  };
  EXPECT_EQ(why("Beratung", "heute", "8 Uhr"), av::NotFree::kPast);
  EXPECT_EQ(why("Zahnreinigung", "heute", "11 Uhr"), av::NotFree::kTooSoon);  // 2 h notice
  EXPECT_EQ(why("Beratung", "Sonntag", "10 Uhr"), av::NotFree::kClosedDay);
  EXPECT_EQ(why("Beratung", "morgen", "19 Uhr"), av::NotFree::kOutsideHours);
  EXPECT_EQ(why("Beratung", "morgen", "10:15"), av::NotFree::kOffGrid);
  EXPECT_EQ(why("Beratung", "25.12.", "10 Uhr"), av::NotFree::kHoliday);
  // Fallback slots (the calendar out of reach) are a guess: they say nothing of the grid.
  world.calendar.source = booking::SlotSource::kFallback;
  EXPECT_EQ(why("Beratung", "morgen", "10:15"), av::NotFree::kBooked);
}

TEST_F(AvailabilityTest, OutsideHoursCarriesThatDaysHours) {
  auto out = Check("morgen", "19 Uhr");
  ASSERT_TRUE(out);
  const auto* taken = std::get_if<av::Taken>(&out->result);
  ASSERT_NE(taken, nullptr);
  ASSERT_TRUE(taken->hours);
  EXPECT_EQ(taken->hours->open_minute, 9 * 60);
  EXPECT_EQ(taken->hours->close_minute, 18 * 60);
}

TEST_F(AvailabilityTest, PublicHolidaysAreNeverOffered) {
  auto day = Check("25.12.");
  ASSERT_TRUE(day);
  const auto* full = std::get_if<av::DayFull>(&day->result);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->why, av::NotFree::kHoliday);
  EXPECT_EQ(full->holiday, "1. Weihnachtsfeiertag");
  ASSERT_FALSE(full->alternatives.empty());
  for (const auto& a : full->alternatives) {
    auto l = ToLocal(a.slot.start, "Europe/Berlin");
    ASSERT_TRUE(l);
    EXPECT_FALSE(l->month == 12 && (l->day == 25 || l->day == 26))
        << FormatIso8601Utc(a.slot.start);
  }
  EXPECT_EQ(HolidayOn(CalendarDay{2027, 1, 1}), "Neujahr");
  EXPECT_FALSE(HolidayOn(CalendarDay{2026, 12, 24}));  // Heiligabend is a working day
}

TEST_F(AvailabilityTest, TheBranchsStateHolidaysAreNeverOffered) {
  // Heilige Drei Könige (Wednesday 6.1.2027) is a holiday in Bavaria, a working day in Berlin.
  EXPECT_TRUE(std::holds_alternative<av::Free>(Check("6.1.2027", "10 Uhr")->result));
  world.branches.rows[0].region = "BY";
  world.contexts.Forget("call_fuzz_1");  // the call's branch is read again

  auto wish = Check("6.1.2027", "10 Uhr");
  ASSERT_TRUE(wish);
  const auto* taken = std::get_if<av::Taken>(&wish->result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, av::NotFree::kHoliday);
  EXPECT_EQ(taken->holiday, "Heilige Drei Könige");

  auto day = Check("6.1.2027");
  ASSERT_TRUE(day);
  const auto* full = std::get_if<av::DayFull>(&day->result);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->why, av::NotFree::kHoliday);
  EXPECT_EQ(full->holiday, "Heilige Drei Könige");
  ASSERT_FALSE(full->alternatives.empty());
  for (const auto& a : full->alternatives) {
    EXPECT_FALSE(HolidayOn(*ToLocalDay(a.slot.start), "BY")) << FormatIso8601Utc(a.slot.start);
  }

  // Asked for directly around the holiday: none on it either.
  auto around = availability.Alternatives(
      Caller(), AlternativesRequest{Wish("Beratung", "5.1.2027", "16:30"), 10});
  ASSERT_TRUE(around);
  const auto* offer = std::get_if<av::Offer>(&around->result);
  ASSERT_NE(offer, nullptr);
  ASSERT_FALSE(offer->alternatives.empty());
  for (const auto& a : offer->alternatives) {
    EXPECT_NE(*ToLocalDay(a.slot.start), (CalendarDay{2027, 1, 6}))
        << FormatIso8601Utc(a.slot.start);
  }
}

// Closing days ("Betriebsferien") of the company hold at every branch, a branch's only there;
// neither reaches another company.
TEST_F(AvailabilityTest, ClosingDaysAreNeverOfferedAndRefusedWithTheirName) {
  world.companies.rows[0].closing_days = {{"2026-11-30", "2026-12-02", "Betriebsferien"}};
  world.contexts.Forget("call_fuzz_1");
  auto closed = [](const std::vector<Alternative>& alternatives) {
    for (const auto& a : alternatives) {
      const auto day = *ToLocalDay(a.slot.start);
      if (day.month == 11 && day.day == 30) return true;
      if (day.month == 12 && (day.day == 1 || day.day == 2)) return true;
    }
    return false;
  };

  auto wish = Check("1.12.", "10 Uhr");
  ASSERT_TRUE(wish);
  const auto* taken = std::get_if<av::Taken>(&wish->result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, av::NotFree::kClosing);
  ASSERT_TRUE(taken->closing);
  EXPECT_EQ(taken->closing->from, (CalendarDay{2026, 11, 30}));
  EXPECT_EQ(taken->closing->to, (CalendarDay{2026, 12, 2}));
  EXPECT_EQ(taken->closing->name, "Betriebsferien");
  ASSERT_FALSE(taken->alternatives.empty());
  EXPECT_FALSE(closed(taken->alternatives));

  auto day = Check("30.11.");
  ASSERT_TRUE(day);
  const auto* full = std::get_if<av::DayFull>(&day->result);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->why, av::NotFree::kClosing);
  ASSERT_TRUE(full->closing);
  EXPECT_EQ(full->closing->name, "Betriebsferien");
  ASSERT_FALSE(full->alternatives.empty());
  EXPECT_FALSE(closed(full->alternatives));
  // The first day after them is offered again.
  EXPECT_EQ(*ToLocalDay(full->alternatives.front().slot.start), (CalendarDay{2026, 12, 3}));

  auto around = availability.Alternatives(
      Caller(), AlternativesRequest{Wish("Beratung", "27.11.", "16:30"), 10});
  ASSERT_TRUE(around);
  const auto* offer = std::get_if<av::Offer>(&around->result);
  ASSERT_NE(offer, nullptr);
  ASSERT_FALSE(offer->alternatives.empty());
  EXPECT_FALSE(closed(offer->alternatives));

  // Another company's calls do not see them.
  auto theirs = availability.Check(*world.contexts.Resolve("call_fuzz_2", std::nullopt),
                                   Wish("Nordlicht-Haarschnitt", "1.12.", "10 Uhr"));
  ASSERT_TRUE(theirs);
  EXPECT_TRUE(std::holds_alternative<av::Free>(theirs->result));
}

TEST_F(AvailabilityTest, ABranchsOwnClosingDayHoldsThereAlone) {
  world.branches.rows[0].closing_days = {{"2026-12-04", "2026-12-04", "Fortbildung"}};
  world.contexts.Forget("call_fuzz_1");
  auto wish = Check("4.12.", "10 Uhr");
  ASSERT_TRUE(wish);
  const auto* taken = std::get_if<av::Taken>(&wish->result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, av::NotFree::kClosing);
  ASSERT_TRUE(taken->closing);
  EXPECT_EQ(taken->closing->from, taken->closing->to);
  EXPECT_EQ(taken->closing->name, "Fortbildung");
  // A public holiday inside closing days is named as the holiday.
  world.branches.rows[0].closing_days = {{"2026-12-21", "2027-01-01", "Betriebsferien"}};
  world.contexts.Forget("call_fuzz_1");
  auto christmas_day = Check("25.12.");
  ASSERT_TRUE(christmas_day);
  const auto* christmas = std::get_if<av::DayFull>(&christmas_day->result);
  ASSERT_NE(christmas, nullptr);
  EXPECT_EQ(christmas->why, av::NotFree::kHoliday);
  auto eve_day = Check("24.12.");
  ASSERT_TRUE(eve_day);
  const auto* eve = std::get_if<av::DayFull>(&eve_day->result);
  ASSERT_NE(eve, nullptr);
  EXPECT_EQ(eve->why, av::NotFree::kClosing);
}

TEST_F(AvailabilityTest, AClosingDayIsNeitherBookedNorInTheGreetingsSlots) {
  world.companies.rows[0].closing_days = {{"2026-11-26", "2026-11-27", ""}};
  world.contexts.Forget("call_fuzz_1");
  AppointmentRequest request;
  request.wish = Wish("Beratung", "morgen", "10 Uhr");
  request.contact.name = "Jürgen Weiß";
  auto booked = world.booking.BookAppointment(Caller(), request, "closing-1");
  ASSERT_TRUE(booked);
  const auto* refused = std::get_if<book::NotFree>(&booked->result);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->taken.why, av::NotFree::kClosing);
  ASSERT_TRUE(refused->taken.closing);
  EXPECT_EQ(refused->taken.closing->to, (CalendarDay{2026, 11, 27}));
  EXPECT_TRUE(world.calendar.created.empty());
  for (const auto& a : refused->taken.alternatives) {
    EXPECT_GE(a.slot.start, Berlin(11, 28, 0)) << FormatIso8601Utc(a.slot.start);
  }

  // Today and tomorrow are closed: the greeting names no free time.
  const auto& branch = world.branches.rows[0];
  auto quick = world.booking.QuickSlots(world.companies.rows[0], branch, std::nullopt);
  ASSERT_TRUE(quick);
  EXPECT_TRUE(quick->today.empty());
  EXPECT_TRUE(quick->tomorrow.empty());
  world.companies.rows[0].closing_days.clear();
  quick = world.booking.QuickSlots(world.companies.rows[0], branch, std::nullopt);
  ASSERT_TRUE(quick);
  EXPECT_FALSE(quick->tomorrow.empty());
}

// ---- a service of another branch ----

TEST_F(AvailabilityTest, AServiceOfAnotherBranchNamesTheBranchesThatOfferIt) {
  // The caller rings a second branch; Zahnreinigung is offered at Mitte only.
  tenancy::Branch west = world.branches.rows[0];
  west.id = tenancy::BranchId(11);
  west.name = "Charlottenburg";
  world.branches.rows.push_back(west);
  world.calls.rows[0].branch_id = west.id;
  world.contexts.Forget("call_fuzz_1");

  for (const ServiceChoice& choice :
       {ServiceChoice{"Zahnreinigung", ""}, ServiceChoice{"", "101"}, ServiceChoice{"PZR", ""}}) {
    auto out = availability.Check(Caller(), SlotWish{choice, "morgen", "10 Uhr"});
    ASSERT_TRUE(out) << out.error().message;
    const auto* elsewhere = std::get_if<av::OtherBranch>(&out->result);
    ASSERT_NE(elsewhere, nullptr) << choice.name << choice.id;
    EXPECT_EQ(elsewhere->service, "Zahnreinigung");
    EXPECT_EQ(elsewhere->branches, (std::vector<std::string>{"Mitte"}));
  }
  auto alternatives =
      availability.Alternatives(Caller(), AlternativesRequest{Wish("Zahnreinigung", "morgen"), 3});
  ASSERT_TRUE(alternatives);
  EXPECT_TRUE(std::holds_alternative<av::OtherBranch>(alternatives->result));
  AppointmentRequest request;
  request.wish = Wish("Zahnreinigung", "morgen", "10 Uhr");
  request.contact.name = "Jürgen Weiß";
  auto booked = world.booking.BookAppointment(Caller(), request, "other-branch-1");
  ASSERT_TRUE(booked);
  EXPECT_TRUE(std::holds_alternative<av::OtherBranch>(booked->result));
  EXPECT_TRUE(world.calendar.created.empty());

  // Another company's service id stays a neutral refusal: nothing about it is said.
  av::OtherBranch said;
  auto foreign = availability.ResolveService(Caller(), ServiceChoice{"", "200"}, nullptr, &said);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(foreign.error().message, "service not available");
  EXPECT_TRUE(said.service.empty());
  EXPECT_TRUE(said.branches.empty());
  auto check = availability.Check(Caller(), SlotWish{ServiceChoice{"", "200"}, "morgen", ""});
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kPermissionDenied);
  // Another company's service by name is simply not offered here.
  auto by_name = Check("morgen");
  ASSERT_TRUE(by_name);
  auto salon = availability.Check(Caller(), Wish("Nordlicht-Haarschnitt", "morgen"));
  ASSERT_TRUE(salon);
  EXPECT_TRUE(std::holds_alternative<av::ServiceUnknown>(salon->result));
}

TEST(HolidayCalendar, ClosingDaysHoldFromTheirFirstToTheirLastDay) {
  HolidayCalendar calendar(
      "", {{"2026-12-24", "2027-01-01", "Betriebsferien"}, {"2027-03-05", "2027-03-05", ""}});
  EXPECT_FALSE(calendar.ClosingOn(CalendarDay{2026, 12, 23}));
  EXPECT_TRUE(calendar.ClosingOn(CalendarDay{2026, 12, 24}));
  EXPECT_TRUE(calendar.ClosingOn(CalendarDay{2026, 12, 31}));
  auto last = calendar.ClosingOn(CalendarDay{2027, 1, 1});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->from, (CalendarDay{2026, 12, 24}));
  EXPECT_EQ(last->to, (CalendarDay{2027, 1, 1}));
  EXPECT_EQ(last->name, "Betriebsferien");
  EXPECT_FALSE(calendar.ClosingOn(CalendarDay{2027, 1, 2}));
  EXPECT_TRUE(calendar.ClosingOn(CalendarDay{2027, 3, 5}));
  EXPECT_TRUE(calendar.Closed(CalendarDay{2027, 3, 5}));
  EXPECT_TRUE(calendar.Closed(CalendarDay{2026, 12, 25}));  // both: a holiday too
  EXPECT_FALSE(calendar.Closed(CalendarDay{2027, 3, 4}));

  tenancy::Company company;
  company.closing_days = {{"2027-03-01", "2027-03-01", "Inventur"}};
  tenancy::Branch branch;
  branch.region = "BY";
  branch.closing_days = {{"2027-03-02", "2027-03-02", "Fortbildung"}};
  auto both = HolidayCalendar::For(company, branch);
  EXPECT_EQ(both.ClosingOn(CalendarDay{2027, 3, 1})->name, "Inventur");
  EXPECT_EQ(both.ClosingOn(CalendarDay{2027, 3, 2})->name, "Fortbildung");
  EXPECT_EQ(both.On(CalendarDay{2027, 1, 6}), "Heilige Drei Könige");
  auto company_only = HolidayCalendar::For(company, std::nullopt);
  EXPECT_TRUE(company_only.Closed(CalendarDay{2027, 3, 1}));
  EXPECT_FALSE(company_only.Closed(CalendarDay{2027, 3, 2}));
}

TEST(HolidayCalendar, KnowsTheNationwideAndTheStatesHolidaysAcrossYears) {
  HolidayCalendar bavaria("BY");
  EXPECT_EQ(bavaria.On(CalendarDay{2026, 12, 25}), "1. Weihnachtsfeiertag");
  EXPECT_EQ(bavaria.On(CalendarDay{2027, 1, 6}), "Heilige Drei Könige");
  EXPECT_EQ(bavaria.On(CalendarDay{2027, 5, 27}), "Fronleichnam");
  EXPECT_EQ(bavaria.On(CalendarDay{2026, 11, 1}), "Allerheiligen");
  EXPECT_FALSE(bavaria.On(CalendarDay{2026, 10, 31}));
  HolidayCalendar nationwide;
  EXPECT_FALSE(nationwide.On(CalendarDay{2027, 1, 6}));
  EXPECT_EQ(nationwide.On(CalendarDay{2027, 1, 1}), "Neujahr");
  EXPECT_EQ(HolidayOn(CalendarDay{2026, 10, 31}, "SN"), "Reformationstag");
  EXPECT_EQ(HolidayOn(CalendarDay{2027, 3, 8}, "BE"), "Internationaler Frauentag");
  EXPECT_FALSE(HolidayOn(CalendarDay{2027, 3, 8}));
}

TEST(HolidayCalendar, YearsListsRememberedAcrossCalendarsKeepEachStateAndYearApart) {
  // The lists are built once per thread for the last few (year, state) pairs: calendars of
  // other states and of more years than are remembered, asked alternately, each get their own.
  for (int round = 0; round < 3; ++round) {
    for (int year = 2020; year <= 2032; ++year) {
      EXPECT_EQ(HolidayOn(CalendarDay{year, 1, 6}, "BY"), "Heilige Drei Könige") << year;
      EXPECT_FALSE(HolidayOn(CalendarDay{year, 1, 6}, "BE")) << year;
      EXPECT_FALSE(HolidayOn(CalendarDay{year, 1, 6})) << year;
      EXPECT_EQ(HolidayOn(CalendarDay{year, 1, 1}, "BE"), "Neujahr") << year;
    }
  }
  EXPECT_EQ(HolidayOn(CalendarDay{2026, 6, 4}, "BY"), "Fronleichnam");
  EXPECT_FALSE(HolidayOn(CalendarDay{2027, 6, 4}, "BY"));  // Fronleichnam is on 27 May then
}

TEST_F(AvailabilityTest, RefusedWishesSayWhyAndWhatToAskFor) {
  auto needs = [&](std::string date, std::string time = "") {
    auto out = Check(std::move(date), std::move(time));
    EXPECT_TRUE(out);
    const auto* n = out ? std::get_if<av::NeedsInput>(&out->result) : nullptr;
    EXPECT_NE(n, nullptr);
    return n ? *n : av::NeedsInput{};
  };
  const auto past = needs("gestern");
  EXPECT_EQ(past.problem, av::Problem::kPast);
  EXPECT_EQ(past.field, av::Field::kDate);
  const auto recent = needs("25.11.");  // yesterday, said without a year: not next year
  EXPECT_EQ(recent.problem, av::Problem::kPast);
  EXPECT_EQ(recent.date, (CalendarDay{2026, 11, 25}));
  const auto mismatch = needs("Montag, den 1.12.");  // 1.12.2026 is a Dienstag
  EXPECT_EQ(mismatch.problem, av::Problem::kWeekdayMismatch);
  EXPECT_EQ(mismatch.date, (CalendarDay{2026, 12, 1}));
  EXPECT_EQ(mismatch.weekday, 2);
  EXPECT_EQ(needs("30.2.").problem, av::Problem::kNoSuchDate);
  EXPECT_EQ(needs("bald").problem, av::Problem::kTooVague);
  const auto bad_time = needs("morgen", "um 25 Uhr");
  EXPECT_EQ(bad_time.problem, av::Problem::kBadTime);
  EXPECT_EQ(bad_time.field, av::Field::kTime);
  EXPECT_TRUE(world.calendar.queries.empty());
}

// ---- get-alternatives ----

TEST_F(AvailabilityTest, AlternativesAroundAWishAreInTimeOrder) {
  AlternativesRequest request{Wish("Beratung", "morgen", "10 Uhr"), 5};
  auto out = availability.Alternatives(Caller(), request);
  ASSERT_TRUE(out);
  const auto* offer = std::get_if<av::Offer>(&out->result);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->anchor, Berlin(11, 27, 10));
  const auto starts = Starts(offer->alternatives);
  EXPECT_EQ(starts.size(), 5u);
  EXPECT_TRUE(InTimeOrder(starts));
}

TEST_F(AvailabilityTest, AlternativesForAWholeDayStartAtItsOpeningTime) {
  // The same anchor as check-availability's: the branch opens at 9 on Fridays.
  AlternativesRequest request{Wish("Beratung", "morgen"), std::nullopt};
  auto out = availability.Alternatives(Caller(), request);
  ASSERT_TRUE(out);
  const auto* offer = std::get_if<av::Offer>(&out->result);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->anchor, Berlin(11, 27, 9));
}

TEST_F(AvailabilityTest, AlternativesWhileTheCalendarIsDownAreNotNone) {
  world.calendar.slots_error = Error{ErrorCode::kUnavailable, "down"};
  auto out = availability.Alternatives(Caller(), {Wish("Beratung", "morgen", "10 Uhr"), 3});
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<av::CalendarUnavailable>(out->result));
}

TEST_F(AvailabilityTest, AlternativesOfAnUnreadableDayNeedTheDayAgain) {
  auto out = availability.Alternatives(Caller(), {Wish("Beratung", "blubb"), 3});
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<av::NeedsInput>(out->result));
  EXPECT_TRUE(world.calendar.queries.empty());
}

// ---- the summary before booking ----

TEST_F(AvailabilityTest, ADraftOfAKnownCallerIsReadyUnderTheirName) {
  AppointmentRequest request;
  request.wish = Wish("Beratung", "morgen", "10 Uhr");
  auto draft = availability.Draft(Caller(), request);
  ASSERT_TRUE(draft);
  EXPECT_TRUE(draft->Ready());
  EXPECT_EQ(draft->name, "Jürgen Weiß");
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(AvailabilityTest, ADraftWithoutAnyNameIsNotReady) {
  CallContext withheld = Caller();
  withheld.caller_e164.clear();
  withheld.customer.reset();
  AppointmentRequest request;
  request.wish = Wish("Beratung", "morgen", "10 Uhr");
  auto draft = availability.Draft(withheld, request);
  ASSERT_TRUE(draft);
  EXPECT_TRUE(std::holds_alternative<av::Free>(draft->availability.result));
  EXPECT_FALSE(draft->Ready());
}

TEST_F(AvailabilityTest, ADraftOfATakenTimeIsNotReady) {
  world.calendar.taken.push_back(Berlin(11, 27, 10));
  AppointmentRequest request;
  request.wish = Wish("Beratung", "morgen", "10 Uhr");
  request.contact.name = "Erika Muster";
  auto draft = availability.Draft(Caller(), request);
  ASSERT_TRUE(draft);
  EXPECT_TRUE(std::holds_alternative<av::Taken>(draft->availability.result));
  EXPECT_FALSE(draft->Ready());
}

}  // namespace
}  // namespace callgate::booking
