#include "core/time_zone.hpp"

#include <gtest/gtest.h>

namespace callgate {
namespace {

constexpr std::string_view kBerlin = "Europe/Berlin";

SystemTimePoint Iso(std::string_view s) {
  auto r = ParseIso8601(s);
  EXPECT_TRUE(r.has_value()) << s;
  return r.value_or(SystemTimePoint{});
}

TEST(TimeZone, WinterTimeIsUtcPlusOne) {
  auto local = ToLocal(Iso("2026-11-26T09:00:00Z"), kBerlin);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->hour, 10);
  EXPECT_EQ(local->utc_offset_minutes, 60);
  EXPECT_EQ(local->weekday, 4);  // Thursday
  EXPECT_EQ(FormatGermanDate(*local), "Donnerstag, 26. November 2026");
  EXPECT_EQ(FormatClockTime(*local), "10:00");
}

TEST(TimeZone, SummerTimeIsUtcPlusTwo) {
  auto local = ToLocal(Iso("2026-07-01T12:00:00Z"), kBerlin);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->hour, 14);
  EXPECT_EQ(local->utc_offset_minutes, 120);
}

TEST(TimeZone, SpringForwardAcrossTransition) {
  // 2026-03-29: 02:00 CET → 03:00 CEST.
  auto before = ToLocal(Iso("2026-03-29T00:59:59Z"), kBerlin);
  auto after = ToLocal(Iso("2026-03-29T01:00:00Z"), kBerlin);
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->hour, 1);
  EXPECT_EQ(after->hour, 3);
}

TEST(TimeZone, NonexistentLocalTimeMapsToInstantAfterGap) {
  LocalDateTime wall{2026, 3, 29, 2, 30, 0};
  auto utc = FromLocal(wall, kBerlin);
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(FormatIso8601Utc(*utc), "2026-03-29T01:00:00.000Z");
}

TEST(TimeZone, AmbiguousLocalTimeMapsToEarlierInstant) {
  // 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice.
  LocalDateTime wall{2026, 10, 25, 2, 30, 0};
  auto utc = FromLocal(wall, kBerlin);
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(FormatIso8601Utc(*utc), "2026-10-25T00:30:00.000Z");
}

TEST(TimeZone, RoundTripsOrdinaryTimes) {
  LocalDateTime wall{2027, 1, 15, 14, 30, 0};
  auto utc = FromLocal(wall, kBerlin);
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(FormatIso8601Utc(*utc), "2027-01-15T13:30:00.000Z");
  auto back = ToLocal(*utc, kBerlin);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, wall);
}

// Any instant the milliseconds can hold is written, at the nearest end of the years the format
// has digits for (a stored absurd time must not overflow the day count of whoever shows it).
TEST(TimeZone, InstantsOutsideYearsZeroToNineThousandNineHundredNinetyNineAreClamped) {
  using std::chrono::milliseconds;
  const auto at = [](long long ms) { return SystemTimePoint{milliseconds(ms)}; };
  EXPECT_EQ(FormatIso8601Utc(at(INT64_MIN)), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(at(INT64_MAX)), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Utc(at(-62'167'219'200'001)), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(at(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Utc(at(253'402'300'799'999)), "9999-12-31T23:59:59.999Z");
}

TEST(TimeZone, AlternatingZonesEachConvertInTheirOwn) {
  // A thread remembers its last zone; switching back and forth must not reuse the wrong one,
  // and an unknown zone in between must not be taken for the last known one.
  const auto noon = Iso("2026-07-01T12:00:00Z");
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(ToLocal(noon, kBerlin)->hour, 14);
    EXPECT_EQ(ToLocal(noon, "America/New_York")->hour, 8);
    EXPECT_FALSE(ToLocal(noon, "Europe/Berlinn").has_value());
    EXPECT_EQ(ToLocal(noon, "Asia/Tokyo")->hour, 21);
    EXPECT_EQ(ToLocal(noon, kBerlin)->hour, 14);
    EXPECT_EQ(ToLocal(noon, kBerlin)->hour, 14);
  }
}

TEST(TimeZone, RejectsUnknownZoneAndImpossibleDates) {
  EXPECT_FALSE(IsValidTimeZone("Mars/Olympus"));
  EXPECT_TRUE(IsValidTimeZone("Europe/Berlin"));
  EXPECT_FALSE(ToLocal(SystemTimePoint{}, "Mars/Olympus").has_value());
  EXPECT_FALSE(FromLocal(LocalDateTime{2026, 2, 30, 10, 0, 0}, kBerlin).has_value());
}

TEST(TimeZone, ConversionsAlternatingBetweenZonesAndAcrossTransitionsStayExact) {
  // Each thread remembers the last period of constant offset: instants on both sides of the
  // spring and autumn transitions, and another zone in between, must not reuse a wrong one.
  struct Case {
    const char* utc;
    std::string_view zone;
    int hour;
    int offset_minutes;
  };
  const Case cases[] = {
      {"2026-03-29T00:59:59Z", kBerlin, 1, 60},  {"2026-03-29T01:00:00Z", kBerlin, 3, 120},
      {"2026-03-29T00:59:59Z", kBerlin, 1, 60},  {"2026-03-29T01:00:00Z", "Europe/London", 2, 60},
      {"2026-03-29T01:00:00Z", kBerlin, 3, 120}, {"2026-10-25T00:59:59Z", kBerlin, 2, 120},
      {"2026-10-25T01:00:00Z", kBerlin, 2, 60},  {"2026-10-25T00:59:59Z", kBerlin, 2, 120},
      {"2026-07-01T12:00:00Z", "UTC", 12, 0},    {"2026-07-01T12:00:00Z", kBerlin, 14, 120},
  };
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : cases) {
      auto local = ToLocal(Iso(c.utc), c.zone);
      ASSERT_TRUE(local.has_value()) << c.utc;
      EXPECT_EQ(local->hour, c.hour) << c.utc << " " << c.zone;
      EXPECT_EQ(local->utc_offset_minutes, c.offset_minutes) << c.utc << " " << c.zone;
    }
  }
}

TEST(TimeZone, WallTimesAlternatingAroundTransitionsAndZonesMapExactly) {
  // Each thread remembers the last period a wall time fell into: wall times next to the
  // transitions (skipped, doubled) and in other zones, between ordinary ones, must still map
  // as they do alone.
  struct Case {
    LocalDateTime wall;
    std::string_view zone;
    const char* utc;
  };
  const Case cases[] = {
      {{2026, 3, 10, 12, 0, 0}, kBerlin, "2026-03-10T11:00:00.000Z"},
      {{2026, 3, 29, 2, 30, 0}, kBerlin, "2026-03-29T01:00:00.000Z"},  // skipped: after the gap
      {{2026, 3, 28, 23, 0, 0}, kBerlin, "2026-03-28T22:00:00.000Z"},
      {{2026, 3, 29, 3, 0, 0}, kBerlin, "2026-03-29T01:00:00.000Z"},
      {{2026, 3, 10, 12, 0, 0}, "Europe/London", "2026-03-10T12:00:00.000Z"},
      {{2026, 10, 25, 2, 30, 0}, kBerlin, "2026-10-25T00:30:00.000Z"},  // twice: the earlier
      {{2026, 10, 25, 3, 30, 0}, kBerlin, "2026-10-25T02:30:00.000Z"},
      {{2026, 10, 24, 12, 0, 0}, kBerlin, "2026-10-24T10:00:00.000Z"},
      {{2026, 10, 26, 12, 0, 0}, kBerlin, "2026-10-26T11:00:00.000Z"},
      // Right after a winter-time wall time: the doubled one still maps to the earlier instant.
      {{2026, 10, 25, 2, 30, 0}, kBerlin, "2026-10-25T00:30:00.000Z"},
      {{2026, 10, 27, 12, 0, 0}, kBerlin, "2026-10-27T11:00:00.000Z"},
      {{2026, 10, 25, 2, 59, 0}, kBerlin, "2026-10-25T00:59:00.000Z"},
      {{2026, 3, 27, 12, 0, 0}, kBerlin, "2026-03-27T11:00:00.000Z"},
      {{2026, 3, 29, 2, 0, 0}, kBerlin, "2026-03-29T01:00:00.000Z"},  // skipped, after winter
      {{1960, 6, 1, 12, 0, 0}, "UTC", "1960-06-01T12:00:00.000Z"},
      {{2026, 7, 1, 12, 0, 0}, "UTC", "2026-07-01T12:00:00.000Z"},
  };
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : cases) {
      auto utc = FromLocal(c.wall, c.zone);
      ASSERT_TRUE(utc.has_value()) << c.utc;
      EXPECT_EQ(FormatIso8601Utc(*utc), c.utc) << c.zone;
    }
  }
}

TEST(TimeZone, FormatsWallReadings) {
  const LocalDateTime wall{2026, 3, 5, 9, 7, 0, 4};
  EXPECT_EQ(FormatClockTime(wall), "09:07");
  EXPECT_EQ(FormatLocalIsoMinute(wall), "2026-03-05T09:07");
  EXPECT_EQ(FormatGermanDate(wall), "Donnerstag, 5. März 2026");
  EXPECT_EQ(FormatLocalIsoMinute(LocalDateTime{987, 12, 31, 23, 59, 0, 0}), "0987-12-31T23:59");
}

TEST(FormatIso8601Utc, WritesMillisecondsAndRoundTrips) {
  EXPECT_EQ(FormatIso8601Utc(SystemTimePoint{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(Iso("2024-02-29T23:59:59.999Z")), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Utc(Iso("2026-03-29T03:00:00+02:00")), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(SystemTimePoint(std::chrono::milliseconds(-1))),
            "1969-12-31T23:59:59.999Z");
  // Every ~37 hours plus a few milliseconds over 1960–2100: parse(format(t)) == t.
  for (long long ms = -315619200000LL; ms < 4102444800000LL; ms += 133333337LL) {
    const SystemTimePoint t{std::chrono::milliseconds(ms)};
    const std::string text = FormatIso8601Utc(t);
    ASSERT_EQ(text.size(), 24u) << text;
    ASSERT_EQ(Iso(text), t) << text;
  }
}

TEST(ParseIso8601, AcceptsCalcomSlotFormat) {
  EXPECT_EQ(FormatIso8601Utc(Iso("2050-09-05T09:00:00.000+02:00")), "2050-09-05T07:00:00.000Z");
  EXPECT_EQ(ToUnixMillis(Iso("1970-01-01T00:00:01.5Z")), 1500);
  EXPECT_EQ(FormatIso8601Utc(Iso("2026-11-26T10:00-0130")), "2026-11-26T11:30:00.000Z");
}

TEST(ParseIso8601, RejectsMalformed) {
  for (const char* s :
       {"", "2026-11-26", "2026-11-26T10:00", "2026-11-26T10:00:00", "2026-13-01T00:00:00Z",
        "2026-11-26T10:00:00Zjunk", "2026-11-26T25:00:00Z", "2026-11-26T10:00:00+2"}) {
    EXPECT_FALSE(ParseIso8601(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace callgate
