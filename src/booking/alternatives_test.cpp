#include "booking/alternatives.hpp"

#include <gtest/gtest.h>

#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

constexpr std::string_view kZone = "Europe/Berlin";

SystemTimePoint At(int y, int mo, int d, int h, int mi = 0) {
  return *FromLocal(LocalDateTime{y, mo, d, h, mi, 0}, kZone);
}

tenancy::WeeklyHours WeekdaysNineToSix() {
  tenancy::WeeklyHours hours;
  for (int d = 1; d <= 5; ++d) hours[static_cast<size_t>(d)] = tenancy::OpeningHours{540, 1080};
  return hours;
}

std::vector<Slot> Hourly(std::initializer_list<SystemTimePoint> starts) {
  std::vector<Slot> out;
  for (auto s : starts) out.push_back({s, s + std::chrono::minutes(30)});
  return out;
}

const SystemTimePoint kNow = At(2026, 11, 26, 10);  // Thursday 10:00

TEST(RankAlternatives, OnePerCategoryInOrder) {
  const auto wish = At(2026, 11, 27, 14);  // Friday 14:00, taken
  const auto slots =
      Hourly({At(2026, 11, 27, 14), At(2026, 11, 27, 11), At(2026, 11, 27, 15),
              At(2026, 11, 30, 14), At(2026, 11, 30, 9), At(2026, 12, 4, 13), At(2026, 12, 4, 17)});
  auto alts = RankAlternatives(wish, slots, WeekdaysNineToSix(), kZone, std::chrono::minutes(30),
                               std::chrono::minutes(0), kNow, {.max_results = 3});
  ASSERT_EQ(alts.size(), 3u);
  EXPECT_EQ(alts[0].slot.start, At(2026, 11, 27, 15));  // same day, closest within 2 h
  EXPECT_EQ(alts[0].kind, AlternativeKind::kSameDay);
  EXPECT_EQ(alts[1].slot.start, At(2026, 11, 30, 14));  // Monday, same time
  EXPECT_EQ(alts[1].kind, AlternativeKind::kNextWorkday);
  EXPECT_EQ(alts[2].slot.start, At(2026, 12, 4, 13));  // Friday next week, closest to 14:00
  EXPECT_EQ(alts[2].kind, AlternativeKind::kNextWeek);
}

TEST(RankAlternatives, RespectsBusinessHoursAndMinimumNotice) {
  const auto wish = At(2026, 11, 26, 11);
  const auto slots = Hourly({At(2026, 11, 26, 10, 30),  // too soon with 60 min notice
                             At(2026, 11, 26, 12),      // fine
                             At(2026, 11, 26, 17, 45),  // would end after 18:00
                             At(2026, 11, 28, 10)});    // Saturday: closed
  auto alts = RankAlternatives(wish, slots, WeekdaysNineToSix(), kZone, std::chrono::minutes(30),
                               std::chrono::minutes(60), kNow, {.max_results = 5});
  ASSERT_EQ(alts.size(), 1u);
  EXPECT_EQ(alts[0].slot.start, At(2026, 11, 26, 12));
}

TEST(RankAlternatives, FirstFreeDayWithinTwoWeeks) {
  const auto wish = At(2026, 11, 27, 9);
  const auto slots = Hourly({At(2026, 12, 8, 9), At(2026, 12, 20, 9)});  // 2nd is too far
  auto alts = RankAlternatives(wish, slots, WeekdaysNineToSix(), kZone, std::chrono::minutes(30),
                               std::chrono::minutes(0), kNow);
  ASSERT_EQ(alts.size(), 1u);
  EXPECT_EQ(alts[0].kind, AlternativeKind::kFirstFreeDay);
  EXPECT_EQ(alts[0].slot.start, At(2026, 12, 8, 9));
}

TEST(NextWorkdaySameTime, SkipsWeekendsAndClosedDays) {
  EXPECT_EQ(NextWorkdaySameTime(At(2026, 11, 27, 14), WeekdaysNineToSix(), kZone),
            At(2026, 11, 30, 14));
  tenancy::WeeklyHours no_hours;
  EXPECT_EQ(NextWorkdaySameTime(At(2026, 11, 26, 9), no_hours, kZone), At(2026, 11, 27, 9));
  // Across the DST change the wall time stays 14:00.
  EXPECT_EQ(NextWorkdaySameTime(At(2026, 10, 23, 14), WeekdaysNineToSix(), kZone),
            At(2026, 10, 26, 14));
}

}  // namespace
}  // namespace callgate::booking
