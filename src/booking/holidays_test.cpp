#include "booking/holidays.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callgate::booking {
namespace {

TEST(EasterSunday, MatchesTheCalendar) {
  EXPECT_EQ(EasterSunday(2000), (MonthDay{4, 23}));
  EXPECT_EQ(EasterSunday(2019), (MonthDay{4, 21}));
  EXPECT_EQ(EasterSunday(2024), (MonthDay{3, 31}));
  EXPECT_EQ(EasterSunday(2025), (MonthDay{4, 20}));
  EXPECT_EQ(EasterSunday(2026), (MonthDay{4, 5}));
  EXPECT_EQ(EasterSunday(2027), (MonthDay{3, 28}));
  EXPECT_EQ(EasterSunday(2038), (MonthDay{4, 25}));  // the latest possible date
  EXPECT_EQ(EasterSunday(2285), (MonthDay{3, 22}));  // the earliest possible date
}

TEST(PublicHoliday, NationwideDays) {
  for (std::string_view state : {"DE", "DE-BE", "DE-BY", "DE-SN", "DE-XX"}) {
    EXPECT_EQ(PublicHoliday(2026, 1, 1, state), "neujahr") << state;
    EXPECT_EQ(PublicHoliday(2026, 4, 3, state), "karfreitag") << state;
    EXPECT_EQ(PublicHoliday(2026, 4, 6, state), "ostermontag") << state;
    EXPECT_EQ(PublicHoliday(2026, 5, 1, state), "tag_der_arbeit") << state;
    EXPECT_EQ(PublicHoliday(2026, 5, 14, state), "christi_himmelfahrt") << state;
    EXPECT_EQ(PublicHoliday(2026, 5, 25, state), "pfingstmontag") << state;
    EXPECT_EQ(PublicHoliday(2026, 10, 3, state), "tag_der_deutschen_einheit") << state;
    EXPECT_EQ(PublicHoliday(2026, 12, 25, state), "erster_weihnachtstag") << state;
    EXPECT_EQ(PublicHoliday(2026, 12, 26, state), "zweiter_weihnachtstag") << state;
    EXPECT_EQ(PublicHoliday(2026, 12, 24, state), std::nullopt) << state;  // Heiligabend
    EXPECT_EQ(PublicHoliday(2026, 12, 31, state), std::nullopt) << state;  // Silvester
    EXPECT_EQ(PublicHoliday(2026, 11, 26, state), std::nullopt) << state;
  }
  EXPECT_EQ(PublicHoliday(2025, 5, 29, "DE"), "christi_himmelfahrt");
  EXPECT_EQ(PublicHoliday(2025, 6, 9, "DE"), "pfingstmontag");
  EXPECT_EQ(PublicHoliday(2024, 3, 29, "DE"), "karfreitag");
  EXPECT_EQ(PublicHoliday(2027, 3, 29, "DE"), "ostermontag");
}

TEST(PublicHoliday, Fronleichnam) {
  EXPECT_EQ(PublicHoliday(2026, 6, 4, "DE-BY"), "fronleichnam");
  EXPECT_EQ(PublicHoliday(2026, 6, 4, "DE-NW"), "fronleichnam");
  EXPECT_EQ(PublicHoliday(2025, 6, 19, "DE-BW"), "fronleichnam");
  EXPECT_EQ(PublicHoliday(2026, 6, 4, "DE-BE"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 6, 4, "DE-HH"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 6, 4, "DE"), std::nullopt);
}

TEST(PublicHoliday, Reformationstag) {
  for (std::string_view east : {"DE-BB", "DE-MV", "DE-SN", "DE-ST", "DE-TH"}) {
    EXPECT_EQ(PublicHoliday(2016, 10, 31, east), "reformationstag") << east;
    EXPECT_EQ(PublicHoliday(2026, 10, 31, east), "reformationstag") << east;
  }
  for (std::string_view north : {"DE-HB", "DE-HH", "DE-NI", "DE-SH"}) {
    EXPECT_EQ(PublicHoliday(2016, 10, 31, north), std::nullopt) << north;
    EXPECT_EQ(PublicHoliday(2018, 10, 31, north), "reformationstag") << north;
    EXPECT_EQ(PublicHoliday(2026, 10, 31, north), "reformationstag") << north;
  }
  EXPECT_EQ(PublicHoliday(2017, 10, 31, "DE-BY"), "reformationstag");  // once, nationwide
  EXPECT_EQ(PublicHoliday(2026, 10, 31, "DE-BY"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 10, 31, "DE-BE"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 10, 31, "DE-NW"), std::nullopt);
}

TEST(PublicHoliday, FrauentagAndOtherStateDays) {
  EXPECT_EQ(PublicHoliday(2018, 3, 8, "DE-BE"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2019, 3, 8, "DE-BE"), "frauentag");
  EXPECT_EQ(PublicHoliday(2026, 3, 8, "DE-BE"), "frauentag");
  EXPECT_EQ(PublicHoliday(2022, 3, 8, "DE-MV"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2023, 3, 8, "DE-MV"), "frauentag");
  EXPECT_EQ(PublicHoliday(2026, 3, 8, "DE-BY"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 1, 6, "DE-BY"), "heilige_drei_koenige");
  EXPECT_EQ(PublicHoliday(2026, 1, 6, "DE-ST"), "heilige_drei_koenige");
  EXPECT_EQ(PublicHoliday(2026, 1, 6, "DE-NW"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 11, 1, "DE-NW"), "allerheiligen");
  EXPECT_EQ(PublicHoliday(2026, 11, 1, "DE-HE"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 8, 15, "DE-SL"), "mariae_himmelfahrt");
  EXPECT_EQ(PublicHoliday(2026, 8, 15, "DE-BY"), std::nullopt);  // only in some communities
  EXPECT_EQ(PublicHoliday(2026, 9, 20, "DE-TH"), "weltkindertag");
  EXPECT_EQ(PublicHoliday(2018, 9, 20, "DE-TH"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2025, 5, 8, "DE-BE"), "tag_der_befreiung");
  EXPECT_EQ(PublicHoliday(2026, 5, 8, "DE-BE"), std::nullopt);
  EXPECT_EQ(PublicHoliday(2026, 4, 5, "DE-BB"), "ostersonntag");
  EXPECT_EQ(PublicHoliday(2026, 4, 5, "DE-BY"), std::nullopt);
}

TEST(PublicHoliday, BussUndBettagInSaxony) {
  EXPECT_EQ(PublicHoliday(2022, 11, 16, "DE-SN"), "buss_und_bettag");  // 23.11. a Wednesday
  EXPECT_EQ(PublicHoliday(2023, 11, 22, "DE-SN"), "buss_und_bettag");
  EXPECT_EQ(PublicHoliday(2024, 11, 20, "DE-SN"), "buss_und_bettag");
  EXPECT_EQ(PublicHoliday(2025, 11, 19, "DE-SN"), "buss_und_bettag");
  EXPECT_EQ(PublicHoliday(2026, 11, 18, "DE-SN"), "buss_und_bettag");
  EXPECT_EQ(PublicHoliday(2026, 11, 18, "DE-BY"), std::nullopt);
  EXPECT_EQ(PublicHoliday(1994, 11, 16, "DE-BY"), "buss_und_bettag");  // nationwide until 1994
}

std::vector<std::string> Keys(const std::vector<HolidayDate>& days) {
  std::vector<std::string> out;
  for (const HolidayDate& d : days) out.emplace_back(d.key);
  return out;
}

TEST(PublicHolidays, ListsAYearInDateOrder) {
  const auto by = PublicHolidays(2026, "DE-BY");
  EXPECT_EQ(Keys(by),
            (std::vector<std::string>{
                "neujahr", "heilige_drei_koenige", "karfreitag", "ostermontag", "tag_der_arbeit",
                "christi_himmelfahrt", "pfingstmontag", "fronleichnam", "tag_der_deutschen_einheit",
                "allerheiligen", "erster_weihnachtstag", "zweiter_weihnachtstag"}));
  ASSERT_FALSE(by.empty());
  EXPECT_EQ(by.front(), (HolidayDate{2026, 1, 1, "neujahr", "Neujahr"}));
  EXPECT_EQ(PublicHolidays(2026, "DE").size(), 9u);
  EXPECT_EQ(PublicHolidays(2026, "DE-BE").size(), 10u);
  EXPECT_EQ(PublicHolidays(2026, "DE-SN").size(), 11u);
  EXPECT_EQ(PublicHolidays(2026, "DE-NW").size(), 11u);
  EXPECT_EQ(PublicHolidays(2017, "DE-NW").size(), 12u);
  for (int year = 2000; year <= 2040; ++year) {
    for (const HolidayDate& d : PublicHolidays(year, "DE-TH")) {
      EXPECT_TRUE(PublicHoliday(d.year, d.month, d.day, "DE-TH").has_value()) << year;
    }
  }
}

TEST(PublicHoliday, TwoFeastsOnOneDayGiveTheFixedOneFirst) {
  // 2008: Christi Himmelfahrt fell on 1 May.
  EXPECT_EQ(PublicHoliday(2008, 5, 1, "DE"), "tag_der_arbeit");
  EXPECT_EQ(Keys(PublicHolidays(2008, "DE")).size(), 9u);
}

TEST(NamedDayInYear, DatesOfNamedDays) {
  EXPECT_EQ(NamedDayInYear("heiligabend", 2026),
            (HolidayDate{2026, 12, 24, "heiligabend", "Heiligabend"}));
  EXPECT_EQ(NamedDayInYear("fronleichnam", 2027)->month, 5);  // Easter 28.3. + 60 = 27.5.
  EXPECT_EQ(NamedDayInYear("fronleichnam", 2027)->day, 27);
  EXPECT_EQ(NamedDayInYear("pfingstsonntag", 2026)->day, 24);
  EXPECT_EQ(NamedDayInYear("nonsense", 2026), std::nullopt);
}

TEST(IsGermanState, KnowsTheSixteenCodes) {
  EXPECT_TRUE(IsGermanState("DE-BY"));
  EXPECT_TRUE(IsGermanState("DE-TH"));
  EXPECT_FALSE(IsGermanState("DE"));
  EXPECT_FALSE(IsGermanState("BY"));
  EXPECT_FALSE(IsGermanState("AT-9"));
}

}  // namespace
}  // namespace callgate::booking
