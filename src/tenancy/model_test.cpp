#include "tenancy/model.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>
#include <vector>

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

TEST(IsBranchRegion, AcceptsTheSixteenStatesAndNationwide) {
  for (const char* code : {"", "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP",
                           "SL", "SN", "ST", "SH", "TH"}) {
    EXPECT_TRUE(IsBranchRegion(code)) << code;
  }
  for (const char* code : {"by", "DE-BY", "DE", "XX", "B", "BYX", ", ", "W,"}) {
    EXPECT_FALSE(IsBranchRegion(code)) << code;
  }
}

TEST(IsIsoDate, AcceptsRealDaysOnly) {
  for (const char* ok : {"2026-12-24", "2028-02-29", "2000-02-29", "2199-12-31"}) {
    EXPECT_TRUE(IsIsoDate(ok)) << ok;
  }
  for (const char* bad :
       {"2026-02-29", "2100-02-29", "2026-13-01", "2026-04-31", "2026-12-00", "26-12-24",
        "2026-1-24", "24.12.2026", "2026-12-24T00:00", "1999-12-31", ""}) {
    EXPECT_FALSE(IsIsoDate(bad)) << bad;
  }
}

TEST(CheckClosingDays, NamesTheFieldThatIsWrong) {
  EXPECT_FALSE(CheckClosingDays({"2026-12-24", "2027-01-01", "Betriebsferien"}));
  EXPECT_FALSE(CheckClosingDays({"2026-12-24", "2026-12-24", ""}));
  auto bad_from = CheckClosingDays({"2026-02-30", "2026-03-01", ""});
  ASSERT_TRUE(bad_from);
  EXPECT_EQ(bad_from->field, "from");
  EXPECT_EQ(bad_from->message, "must be a date YYYY-MM-DD (e.g. 2026-12-24)");
  auto reversed = CheckClosingDays({"2027-01-01", "2026-12-24", ""});
  ASSERT_TRUE(reversed);
  EXPECT_EQ(reversed->field, "to");
  EXPECT_EQ(reversed->message, "must not be before from");
  auto long_name = CheckClosingDays({"2026-12-24", "2026-12-24", std::string(81, 'x')});
  ASSERT_TRUE(long_name);
  EXPECT_EQ(long_name->field, "name");
  EXPECT_EQ(long_name->message, "must be at most 80 characters");
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

namespace callgate::tenancy {
namespace {

TEST(CalendarLanguage, MapsLocalesToTheNearestCodeCalcomAccepts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"de", "de"},         {"de-AT", "de"},         {"de_CH", "de"},     {"DE-de", "de"},
      {"en-GB", "en"},      {"en-US", "en"},         {"pt-BR", "pt-BR"},  {"pt-br", "pt-BR"},
      {"pt-PT", "pt"},      {"es-419", "es-419"},    {"es-MX", "es-419"}, {"es-ES", "es"},
      {"es", "es"},         {"zh-CN", "zh-CN"},      {"zh-TW", "zh-TW"},  {"zh-HK", "zh-TW"},
      {"zh-Hant", "zh-TW"}, {"zh-Hans-SG", "zh-CN"}, {"zh", "zh-CN"},     {"nb", "no"},
      {"nn-NO", "no"},      {"tr-TR", "tr"},         {"iw", "iw"},        {"he-IL", "he"}};
  for (const auto& [locale, code] : cases) {
    auto mapped = CalendarLanguage(locale);
    ASSERT_TRUE(mapped.has_value()) << locale;
    EXPECT_EQ(*mapped, code) << locale;
  }
  for (std::string_view none :
       {"", "x", "xx", "gsw", "de-", "-de", "de AT", "de-AT;", "klingon", "fa-IR", "de-AT-"}) {
    EXPECT_FALSE(CalendarLanguage(none).has_value()) << none;
  }
}

// Every code CalendarLanguage answers is in the enum of Cal.com's published spec, and every
// code of the enum maps to itself.
TEST(CalendarLanguage, AnswersOnlyCodesOfCalcomsSpec) {
  std::ifstream file(std::string(CALLGATE_SOURCE_DIR) +
                     "/tests/reference/calcom-openapi-subset.json");
  ASSERT_TRUE(file.good());
  const auto spec = nlohmann::json::parse(file);
  const auto& codes =
      spec.at("schemas").at("CreateBookingAttendee").at("properties").at("language").at("enum");
  ASSERT_GE(codes.size(), 40u);
  std::unordered_set<std::string> allowed;
  for (const auto& code : codes) {
    allowed.insert(code.get<std::string>());
    auto mapped = CalendarLanguage(code.get<std::string>());
    ASSERT_TRUE(mapped.has_value()) << code;
    EXPECT_EQ(*mapped, code.get<std::string>());
  }
  for (std::string_view locale : {"de-AT", "en-GB", "es-AR", "zh-HK", "nb-NO", "pt-PT", "fr-CA"}) {
    auto mapped = CalendarLanguage(locale);
    ASSERT_TRUE(mapped.has_value()) << locale;
    EXPECT_TRUE(allowed.count(*mapped)) << locale << " → " << *mapped;
  }
}

}  // namespace
}  // namespace callgate::tenancy
