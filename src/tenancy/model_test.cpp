#include "tenancy/model.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace callgate::tenancy {
namespace {

TEST(ParseClockMinutes, AcceptsHoursAndMinutes) {
  EXPECT_EQ(ParseClockMinutes("09:00").value(), 540);
  EXPECT_EQ(ParseClockMinutes("00:00").value(), 0);
  EXPECT_EQ(ParseClockMinutes("18:30").value(), 1110);
  EXPECT_EQ(ParseClockMinutes("24:00").value(), 1440);
}

TEST(ParseClockMinutes, RejectsMalformedOrOutOfRangeTimes) {
  for (const char* bad : {"9:00", "09:60", "25:00", "24:01", "0900", "ab:cd", "", "09:00 "}) {
    auto parsed = ParseClockMinutes(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(FormatClockMinutes, RoundTripsWithParse) {
  for (int m : {0, 540, 1110, 1439, 1440}) {
    EXPECT_EQ(ParseClockMinutes(FormatClockMinutes(m)).value(), m);
  }
}

TEST(WeekdayKey, MatchesLocalDateTimeNumbering) {
  EXPECT_EQ(WeekdayKey(0), "sun");
  EXPECT_EQ(WeekdayKey(1), "mon");
  EXPECT_EQ(WeekdayKey(6), "sat");
  EXPECT_EQ(ParseWeekdayKey("fri").value(), 5);
  EXPECT_FALSE(ParseWeekdayKey("Montag").has_value());
}

TEST(Id, DistinctTypesCompareAndHash) {
  CompanyId a(1);
  CompanyId b(2);
  EXPECT_LT(a, b);
  EXPECT_EQ(a, CompanyId(1));
  std::unordered_set<CompanyId> ids{a, b, CompanyId(1)};
  EXPECT_EQ(ids.size(), 2u);
  static_assert(!std::is_convertible_v<CompanyId, BranchId>);
}

}  // namespace
}  // namespace callgate::tenancy
