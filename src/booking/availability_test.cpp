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
