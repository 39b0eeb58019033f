#include "booking/german_time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

constexpr std::string_view kBerlin = "Europe/Berlin";
// Thursday 2026-11-26 10:00 in Berlin (CET, UTC+1).
constexpr std::string_view kThursdayTen = "2026-11-26T09:00:00Z";

SystemTimePoint Iso(std::string_view s) {
  auto r = ParseIso8601(s);
  EXPECT_TRUE(r.has_value()) << s;
  return r.value_or(SystemTimePoint{});
}

std::string Clock(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

// "2026-11-27 14:30", "2026-11-27 08:00-12:00", "2026-11-30 span7", "2027-01-15 rolled",
// "2026-11-26 14:00 nodate".
std::string Describe(const DateTimeWish& w) {
  char date[32];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", w.year, w.month, w.day);
  std::string out = date;
  if (w.minute_of_day) out += " " + Clock(*w.minute_of_day);
  if (w.window) out += " " + Clock(w.window->from_minute) + "-" + Clock(w.window->to_minute);
  if (w.span_days != 1) out += " span" + std::to_string(w.span_days);
  if (w.rolled_forward) out += " rolled";
  if (!w.date_was_said) out += " nodate";
  return out;
}

struct Case {
  std::string_view date_text;
  std::string_view time_text;
  std::string_view expected;
  std::string_view now = kThursdayTen;
};

// Dates relative to Thursday 26.11.2026 10:00: Fr 27, Sa 28, So 29, Mo 30.11., Di 1.12.,
// Mi 2.12., Do 3.12., Fr 4.12., Mo 7.12., Di 8.12.
const std::vector<Case>& Table() {
  static const auto* const kCases = new std::vector<Case>{
      // ISO and German numeric dates
      {"2026-12-01", "", "2026-12-01"},
      {"2026-12-01T14:30", "", "2026-12-01 14:30"},
      {"2026-12-01 14:30", "", "2026-12-01 14:30"},
      {"15.1.", "", "2027-01-15 rolled"},
      {"15.01.", "", "2027-01-15 rolled"},
      {"15.01.2027", "", "2027-01-15"},
      {"15.1.27", "", "2027-01-15"},
      {"1.12", "", "2026-12-01"},
      {"26.11.", "", "2026-11-26"},
      {"25.9.", "", "2027-09-25 rolled"},  // 62 days ago: long enough to mean next year
      {"31.12.", "", "2026-12-31"},
      {"29.2.", "", "2028-02-29 rolled"},
      {"15.1.", "10 Uhr", "2027-01-15 10:00 rolled"},
      // written months and ordinals
      {"15. Januar", "", "2027-01-15 rolled"},
      {"am 3. März 2027", "", "2027-03-03"},
      {"3 märz", "", "2027-03-03 rolled"},
      {"3 maerz", "", "2027-03-03 rolled"},
      {"am 1. Dezember um 14:30 Uhr", "", "2026-12-01 14:30"},
      {"am ersten Dezember", "", "2026-12-01"},
      {"am einunddreißigsten Dezember", "", "2026-12-31"},
      {"am fünfzehnten", "", "2026-12-15 rolled"},
      {"am 28.", "", "2026-11-28"},
      // relative days and weeks
      {"heute", "", "2026-11-26"},
      {"morgen", "", "2026-11-27"},
      {"übermorgen", "", "2026-11-28"},
      {"uebermorgen", "", "2026-11-28"},
      {"Übermorgen.", "", "2026-11-28"},
      {"in 3 Tagen", "", "2026-11-29"},
      {"in drei Tagen", "", "2026-11-29"},
      {"in einer Woche", "", "2026-12-03"},
      {"in einem Tag", "", "2026-11-27"},
      {"in zwei Wochen", "", "2026-12-10"},
      {"in acht Tagen", "", "2026-12-03"},
      {"heute in einer Woche", "", "2026-12-03"},
      {"nächste Woche", "", "2026-11-30 span7"},
      {"naechste Woche", "", "2026-11-30 span7"},
      {"kommende Woche", "", "2026-11-30 span7"},
      {"übernächste Woche", "", "2026-12-07 span7"},
      {"diese Woche", "", "2026-11-26 span4"},
      // weekdays
      {"Dienstag", "", "2026-12-01"},
      {"am Dienstag", "", "2026-12-01"},
      {"nächsten Dienstag", "", "2026-12-01"},
      {"naechsten Freitag", "", "2026-11-27"},
      {"am nächsten Mittwoch", "", "2026-12-02"},
      {"kommenden Montag", "", "2026-11-30"},
      {"diesen Freitag", "", "2026-11-27"},
      {"Donnerstag", "", "2026-12-03"},
      {"kommenden Donnerstag", "", "2026-12-03"},
      {"diesen Donnerstag", "", "2026-11-26"},
      {"übernächsten Dienstag", "", "2026-12-08"},
      {"Sonnabend", "", "2026-11-28"},
      {"Dienstag nächste Woche", "", "2026-12-01"},
      {"Montag nächster Woche", "", "2026-11-30"},
      {"Freitag nächste Woche", "", "2026-12-04"},
      {"Sonntag nächste Woche", "", "2026-12-06"},
      {"nächste Woche Freitag", "", "2026-12-04"},
      {"in der nächsten Woche am Mittwoch", "", "2026-12-02"},
      {"Dienstag übernächste Woche", "", "2026-12-08"},
      {"Freitag diese Woche", "", "2026-11-27"},
      {"Dienstag, 1.12.", "", "2026-12-01"},
      {"Am Montag, den 30.11., ungefähr um 9!", "", "2026-11-30 09:00"},
      // clock times
      {"", "14 Uhr", "2026-11-26 14:00 nodate"},
      {"", "14:30", "2026-11-26 14:30 nodate"},
      {"", "um 9", "2026-11-27 09:00 rolled nodate"},
      {"", "so um halb drei rum", "2026-11-26 14:30 nodate"},
      {"morgen", "14.30 Uhr", "2026-11-27 14:30"},
      {"morgen", "14h", "2026-11-27 14:00"},
      {"morgen", "um 9", "2026-11-27 09:00"},
      {"morgen", "um 9.", "2026-11-27 09:00"},
      {"morgen", "9 Uhr morgens", "2026-11-27 09:00"},
      {"morgen", "halb drei", "2026-11-27 14:30"},
      {"morgen um halb drei", "", "2026-11-27 14:30"},
      {"", "morgen um halb drei", "2026-11-27 14:30"},
      {"MORGEN UM 14 UHR", "", "2026-11-27 14:00"},
      {"morgen", "viertel nach zehn", "2026-11-27 10:15"},
      {"morgen", "viertel vor elf", "2026-11-27 10:45"},
      {"morgen", "drei viertel elf", "2026-11-27 10:45"},
      {"morgen", "dreiviertel elf", "2026-11-27 10:45"},
      {"morgen", "viertel drei", "2026-11-27 14:15"},
      {"morgen", "zehn nach drei", "2026-11-27 15:10"},
      {"morgen", "fünf vor halb drei", "2026-11-27 14:25"},
      {"morgen", "halb eins", "2026-11-27 12:30"},
      {"morgen", "viertel nach zwölf", "2026-11-27 12:15"},
      {"morgen", "zwanzig Uhr", "2026-11-27 20:00"},
      {"morgen", "vierzehn Uhr dreißig", "2026-11-27 14:30"},
      {"morgen", "14 Uhr 30", "2026-11-27 14:30"},
      {"morgen", "um zwölf", "2026-11-27 12:00"},
      {"morgen", "um eins", "2026-11-27 13:00"},
      {"morgen", "um sechs", "2026-11-27 18:00"},
      {"morgen", "um sieben", "2026-11-27 07:00"},
      {"morgen", "elf Uhr", "2026-11-27 11:00"},
      {"morgen", "03:00", "2026-11-27 03:00"},
      {"morgen", "so gegen 14 Uhr bitte", "2026-11-27 14:00"},
      {"morgen", "ungefähr 15 Uhr", "2026-11-27 15:00"},
      // part of day picks am/pm
      {"morgen", "12 Uhr mittags", "2026-11-27 12:00"},
      {"morgen", "8 Uhr abends", "2026-11-27 20:00"},
      {"morgen", "um 7 abends", "2026-11-27 19:00"},
      {"morgen", "halb sieben abends", "2026-11-27 18:30"},
      {"morgen", "3 Uhr nachmittags", "2026-11-27 15:00"},
      {"heute nachmittag um 3", "", "2026-11-26 15:00"},
      // windows
      {"morgen", "kurz nach 10", "2026-11-27 10:00-10:15"},
      {"", "kurz vor 12", "2026-11-26 11:45-12:00 nodate"},
      {"morgen", "mittags", "2026-11-27 11:30-14:00"},
      {"morgen", "gegen Mittag", "2026-11-27 11:30-14:00"},
      {"morgen", "nachmittags", "2026-11-27 12:00-18:00"},
      {"morgen", "vormittags", "2026-11-27 08:00-12:00"},
      {"morgen", "am Vormittag", "2026-11-27 08:00-12:00"},
      {"morgen", "abends", "2026-11-27 17:00-20:00"},
      {"morgen früh", "", "2026-11-27 07:00-10:00"},
      {"morgen", "morgens", "2026-11-27 07:00-10:00"},
      {"morgen", "in der Früh", "2026-11-27 07:00-10:00"},
      {"heute Abend", "", "2026-11-26 17:00-20:00"},
      {"heute morgen", "", "2026-11-26 07:00-10:00"},
      {"Dienstagnachmittag", "", "2026-12-01 12:00-18:00"},
      {"Montagmorgen", "", "2026-11-30 07:00-10:00"},
      {"Dienstag morgen", "", "2026-12-01 07:00-10:00"},
      {"Samstag vormittag", "", "2026-11-28 08:00-12:00"},
      {"nächste Woche Dienstag vormittags", "", "2026-12-01 08:00-12:00"},
      {"nächste Woche", "vormittags", "2026-11-30 08:00-12:00 span7"},
      {"morgen", "ab 14 Uhr", "2026-11-27 14:00-24:00"},
      {"morgen", "bis 12 Uhr", "2026-11-27 00:00-12:00"},
      {"morgen", "zwischen 14 und 16 Uhr", "2026-11-27 14:00-16:00"},
      {"morgen", "von 9 bis 11", "2026-11-27 09:00-11:00"},
      {"morgen", "14-16 Uhr", "2026-11-27 14:00-16:00"},
      {"Dienstag", "nachmittags ab 3", "2026-12-01 15:00-18:00"},
      // "heute" at a passed time stays today; booking checks the notice
      {"heute", "um 9", "2026-11-26 09:00"},
      {"heute", "morgens", "2026-11-26 07:00-10:00"},
      {"", "morgens", "2026-11-27 07:00-10:00 rolled nodate"},
      // another "now": the local date decides, not the UTC one
      {"heute", "", "2026-11-27", "2026-11-26T23:30:00Z"},
      {"morgen", "", "2026-11-28", "2026-11-26T23:30:00Z"},
      // year roll-over on Thursday 31.12.2026 15:00
      {"morgen", "", "2027-01-01", "2026-12-31T14:00:00Z"},
      {"übermorgen", "10 Uhr", "2027-01-02 10:00", "2026-12-31T14:00:00Z"},
      {"Freitag", "", "2027-01-01", "2026-12-31T14:00:00Z"},
      {"nächste Woche", "", "2027-01-04 span7", "2026-12-31T14:00:00Z"},
      {"15.1.", "", "2027-01-15 rolled", "2026-12-31T14:00:00Z"},
      {"31.12.", "", "2026-12-31", "2026-12-31T14:00:00Z"},
      {"", "um 14 Uhr", "2027-01-01 14:00 rolled nodate", "2026-12-31T14:00:00Z"},
      // the days the clocks change (Saturday before each)
      {"morgen", "14 Uhr", "2026-03-29 14:00", "2026-03-28T11:00:00Z"},
      {"Sonntag", "02:30", "2026-03-29 02:30", "2026-03-28T11:00:00Z"},
      {"morgen", "14 Uhr", "2026-10-25 14:00", "2026-10-24T10:00:00Z"},
  };
  return *kCases;
}

TEST(ParseGermanDateTime, UnderstandsTheTable) {
  EXPECT_GE(Table().size(), 60u);
  for (const Case& c : Table()) {
    auto wish = ParseGermanDateTime(c.date_text, c.time_text, Iso(c.now), kBerlin);
    if (!wish) {
      ADD_FAILURE() << "'" << c.date_text << "' / '" << c.time_text
                    << "': " << wish.error().message;
      continue;
    }
    EXPECT_EQ(Describe(*wish), c.expected)
        << "'" << c.date_text << "' / '" << c.time_text << "' at " << c.now;
  }
}

TEST(ParseGermanDateTime, PlainWeekdayNamingTodayMeansNextWeek) {
  auto plain = ParseGermanDateTime("Donnerstag", "", Iso(kThursdayTen), kBerlin);
  auto this_one = ParseGermanDateTime("diesen Donnerstag", "", Iso(kThursdayTen), kBerlin);
  ASSERT_TRUE(plain && this_one);
  EXPECT_EQ(plain->day, 3);
  EXPECT_EQ(this_one->day, 26);
}

TEST(ParseGermanDateTime, ReportsWhetherTheDateWasSaid) {
  auto said = ParseGermanDateTime("morgen", "14 Uhr", Iso(kThursdayTen), kBerlin);
  auto implied = ParseGermanDateTime("", "14 Uhr", Iso(kThursdayTen), kBerlin);
  ASSERT_TRUE(said && implied);
  EXPECT_TRUE(said->date_was_said);
  EXPECT_FALSE(implied->date_was_said);
  EXPECT_EQ(said->minute_of_day, 840);
  EXPECT_FALSE(said->window.has_value());
}

TEST(ParseGermanDateTime, RejectsWhatItCannotUnderstand) {
  const std::vector<std::pair<std::string_view, std::string_view>> bad = {
      {"gestern", ""},
      {"vorgestern", ""},
      {"letzten Montag", ""},
      {"32.1.", ""},
      {"30.2.", ""},
      {"29.2.2027", ""},
      {"13.13.", ""},
      {"", "25 Uhr"},
      {"morgen", "um 25"},
      {"morgen", "14:75"},
      {"morgen", "24 Uhr"},
      {"blablub", ""},
      {"morgen", "irgendwas"},
      {"", ""},
      {"bitte", ""},
      {"15.01.2026", ""},
      {"2026-11-25", ""},
      {"Dienstag, 2.12.", ""},
      {"morgen", "übermorgen"},
      {"Dienstag oder Mittwoch", ""},
      {"Montag diese Woche", ""},
      {"Dezember", ""},
      {"am einer", ""},
      {"morgen", "14 Uhr abends"},
      {"morgen", "12 Uhr abends"},
      {"morgen", "zwischen 16 und 14 Uhr"},
      {"morgen", "vormittags ab 15 Uhr"},
      {"morgen", "14 Uhr und 16 Uhr"},
      {"jetzt", ""},
      {"so schnell wie möglich", ""},
      {"in 400 Tagen", ""},
      {"nächste Woche am 15.12.", ""},
      {"25.11.", ""},  // yesterday: refused as past, not moved to next year
  };
  for (const auto& [date_text, time_text] : bad) {
    auto wish = ParseGermanDateTime(date_text, time_text, Iso(kThursdayTen), kBerlin);
    ASSERT_FALSE(wish.has_value())
        << "'" << date_text << "' / '" << time_text << "' gave " << Describe(*wish);
    EXPECT_EQ(wish.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(wish.error().message.empty());
  }
}

TEST(ParseGermanDateTime, ReasonsAreEnglishAndDoNotEchoTheCaller) {
  auto past = ParseGermanDateTime("gestern", "", Iso(kThursdayTen), kBerlin);
  auto nonsense = ParseGermanDateTime("Quatsch", "", Iso(kThursdayTen), kBerlin);
  auto day = ParseGermanDateTime("32.1.", "", Iso(kThursdayTen), kBerlin);
  ASSERT_FALSE(past || nonsense || day);
  EXPECT_EQ(past.error().message, "dates in the past cannot be booked");
  EXPECT_EQ(nonsense.error().message, "unrecognized words");
  EXPECT_EQ(day.error().message, "no such day in that month");
}

TEST(ParseGermanDateTime, RejectsUnknownZoneAndOverlongPhrase) {
  EXPECT_FALSE(ParseGermanDateTime("morgen", "", Iso(kThursdayTen), "Mars/Olympus"));
  EXPECT_FALSE(ParseGermanDateTime(std::string(300, 'a'), "", Iso(kThursdayTen), kBerlin));
}

TEST(ParseGermanDateTime, ToleratesUnknownBytesWithoutCrashing) {
  const std::string weird = "morgen \xff\xfe um \xc3";
  EXPECT_FALSE(ParseGermanDateTime(weird, "", Iso(kThursdayTen), kBerlin));
}

SystemTimePoint InstantOf(std::string_view date_text, std::string_view time_text,
                          std::string_view now) {
  auto wish = ParseGermanDateTime(date_text, time_text, Iso(now), kBerlin);
  EXPECT_TRUE(wish.has_value()) << date_text << " / " << time_text;
  if (!wish) return {};
  auto instant = WishToInstant(*wish, kBerlin);
  EXPECT_TRUE(instant.has_value());
  return instant.value_or(SystemTimePoint{});
}

TEST(WishToInstant, UsesTheOffsetOfThatDay) {
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "14 Uhr", kThursdayTen)),
            "2026-11-27T13:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(InstantOf("1.7.", "14 Uhr", kThursdayTen)),
            "2027-07-01T12:00:00.000Z");
}

TEST(WishToInstant, HandlesSpringForwardDay) {
  // 2026-03-29: 02:00 CET → 03:00 CEST. Asked on Saturday 28.3. at noon.
  constexpr std::string_view kSaturday = "2026-03-28T11:00:00Z";
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "14 Uhr", kSaturday)), "2026-03-29T12:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "01:30", kSaturday)), "2026-03-29T00:30:00.000Z");
  // 02:30 does not exist that night: the instant the clocks jump to (03:00 CEST).
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "02:30", kSaturday)), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "9 Uhr", kSaturday)), "2026-03-29T07:00:00.000Z");
}

TEST(WishToInstant, HandlesFallBackDay) {
  // 2026-10-25: 03:00 CEST → 02:00 CET. Asked on Saturday 24.10. at noon.
  constexpr std::string_view kSaturday = "2026-10-24T10:00:00Z";
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "14 Uhr", kSaturday)), "2026-10-25T13:00:00.000Z");
  EXPECT_EQ(FormatIso8601Utc(InstantOf("heute", "14 Uhr", kSaturday)), "2026-10-24T12:00:00.000Z");
  // 02:30 happens twice: the earlier one (still CEST).
  EXPECT_EQ(FormatIso8601Utc(InstantOf("morgen", "02:30", kSaturday)), "2026-10-25T00:30:00.000Z");
}

TEST(WishToInstant, RejectsAWishWithoutExactTime) {
  auto wish = ParseGermanDateTime("morgen", "vormittags", Iso(kThursdayTen), kBerlin);
  ASSERT_TRUE(wish.has_value());
  auto instant = WishToInstant(*wish, kBerlin);
  ASSERT_FALSE(instant.has_value());
  EXPECT_EQ(instant.error().code, ErrorCode::kInvalidArgument);
  DateTimeWish exact = *wish;
  exact.window.reset();
  exact.minute_of_day = 600;
  EXPECT_FALSE(WishToInstant(exact, "Mars/Olympus"));
  exact.day = 31;  // 31.11.
  EXPECT_FALSE(WishToInstant(exact, kBerlin));
}

}  // namespace
}  // namespace callgate::booking
