// The fallback-slot rule: full hours 09:00–17:00 local on weekdays, inside the query range.

#include "resilience/fallback_slots.hpp"

#include <gtest/gtest.h>

#include "core/time_zone.hpp"

namespace callgate::resilience {
namespace {

SystemTimePoint At(std::string_view iso) { return ParseIso8601(iso).value(); }

booking::SlotQuery Query(std::string_view from, std::string_view to,
                         std::string zone = "Europe/Berlin") {
  booking::SlotQuery query;
  query.event_type_id = 1;
  query.from = At(from);
  query.to = At(to);
  query.time_zone = std::move(zone);
  return query;
}

const SystemTimePoint kLongAgo = At("2000-01-01T00:00:00Z");

TEST(FallbackSlots, EveryFullHourFromNineToFiveOnWeekdays) {
  // Thursday 26 and Friday 27 November 2026 (UTC+1).
  auto slots = GenerateFallbackSlots(
      Query("2026-11-26T00:00:00+01:00", "2026-11-28T00:00:00+01:00"), kLongAgo);
  ASSERT_TRUE(slots.has_value()) << slots.error().message;
  ASSERT_EQ(slots->size(), 16u);
  EXPECT_EQ(FormatIso8601Utc(slots->front().start), "2026-11-26T08:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(slots->front().end), "2026-11-26T08:30:00.000Z");
  EXPECT_EQ(FormatIso8601Utc((*slots)[7].start), "2026-11-26T15:00:00.000Z");  // 16:00 local
  EXPECT_EQ(FormatIso8601Utc(slots->back().start), "2026-11-27T15:00:00.000Z");
  for (std::size_t i = 1; i < slots->size(); ++i)
    EXPECT_LT((*slots)[i - 1].start, (*slots)[i].start);
}

TEST(FallbackSlots, NoneOnWeekends) {
  auto slots = GenerateFallbackSlots(
      Query("2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00"), kLongAgo);
  ASSERT_TRUE(slots.has_value());
  EXPECT_TRUE(slots->empty());
}

TEST(FallbackSlots, NeverBeforeNowOrOutsideTheRange) {
  const auto query = Query("2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00");
  auto from_now = GenerateFallbackSlots(query, At("2026-11-26T10:00:00+01:00"));
  ASSERT_TRUE(from_now.has_value());
  EXPECT_EQ(from_now->size(), 7u);  // 10:00 … 16:00
  auto narrow = GenerateFallbackSlots(
      Query("2026-11-26T10:30:00+01:00", "2026-11-26T12:30:00+01:00"), kLongAgo);
  ASSERT_TRUE(narrow.has_value());
  ASSERT_EQ(narrow->size(), 2u);
  EXPECT_EQ(FormatIso8601Utc((*narrow)[0].start), "2026-11-26T10:00:00.000Z");  // 11:00 local
  EXPECT_EQ(FormatIso8601Utc((*narrow)[1].start), "2026-11-26T11:00:00.000Z");
}

TEST(FallbackSlots, LongServicesStillEndByFive) {
  auto query = Query("2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00");
  query.duration_minutes = 90;
  auto slots = GenerateFallbackSlots(query, kLongAgo);
  ASSERT_TRUE(slots.has_value());
  ASSERT_EQ(slots->size(), 7u);  // 09:00 … 15:00
  EXPECT_EQ(slots->back().end - slots->back().start, std::chrono::minutes(90));
  query.duration_minutes = 9 * 60;
  EXPECT_TRUE(GenerateFallbackSlots(query, kLongAgo)->empty());
}

TEST(FallbackSlots, FollowsTheLocalClockAcrossDaylightSavingTime) {
  // Summer time starts on Sunday 29 March 2026: Friday is UTC+1, Monday UTC+2.
  auto slots = GenerateFallbackSlots(
      Query("2026-03-27T00:00:00+01:00", "2026-03-31T00:00:00+02:00"), kLongAgo);
  ASSERT_TRUE(slots.has_value());
  ASSERT_EQ(slots->size(), 16u);
  EXPECT_EQ(FormatIso8601Utc(slots->front().start), "2026-03-27T08:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc((*slots)[8].start), "2026-03-30T07:00:00.000Z");
}

TEST(FallbackSlots, UsesTheQueryTimeZone) {
  auto slots = GenerateFallbackSlots(
      Query("2026-11-26T00:00:00-05:00", "2026-11-27T00:00:00-05:00", "America/New_York"),
      kLongAgo);
  ASSERT_TRUE(slots.has_value());
  ASSERT_EQ(slots->size(), 8u);
  EXPECT_EQ(FormatIso8601Utc(slots->front().start), "2026-11-26T14:00:00.000Z");
}

TEST(FallbackSlots, RejectsUnknownZonesAndUnusableRules) {
  auto unknown = GenerateFallbackSlots(
      Query("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", "Mars/Olympus"), kLongAgo);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  FallbackSlotRule bad;
  bad.step_minutes = 0;
  EXPECT_FALSE(
      GenerateFallbackSlots(Query("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"), kLongAgo, bad)
          .has_value());
}

TEST(FallbackSlots, BoundedForHugeRanges) {
  FallbackSlotRule rule;
  rule.max_slots = 10;
  auto slots =
      GenerateFallbackSlots(Query("2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"), kLongAgo, rule);
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ(slots->size(), 10u);
}

}  // namespace
}  // namespace callgate::resilience
