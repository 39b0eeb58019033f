// The phrasing table of issue 16: at least 200 German ways of saying *when*, each with what
// ParseGermanDateTimeDetailed must understand or the refusal it must give (reason and the field
// the agent asks for). "now" is Thursday 26.11.2026 10:00 in Europe/Berlin unless a row says
// otherwise.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "booking/german_time.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

constexpr std::string_view kBerlin = "Europe/Berlin";
constexpr std::string_view kThursdayTen = "2026-11-26T09:00:00Z";
constexpr std::string_view kWednesdayAfter = "2026-12-02T09:00:00Z";  // Mi 2.12.2026 10:00
constexpr std::string_view kNewYearsEve = "2026-12-31T14:00:00Z";     // Do 31.12.2026 15:00
constexpr std::string_view kNewYearsDay = "2027-01-01T09:00:00Z";     // Fr 1.1.2027 10:00
constexpr std::string_view kChristmasDay = "2026-12-25T09:00:00Z";    // Fr 25.12.2026 10:00
constexpr std::string_view kEarlyJanuary = "2027-01-05T09:00:00Z";    // Di 5.1.2027 10:00
constexpr std::string_view kSpringSaturday = "2026-03-28T11:00:00Z";  // Sa 28.3.2026 12:00
constexpr std::string_view kAutumnSaturday = "2026-10-24T10:00:00Z";  // Sa 24.10.2026 12:00

std::string Clock(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

std::string DateText(int y, int m, int d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// "2026-11-27 14:30", "2026-11-27 08:00-12:00", "2026-11-30 span7", "2027-01-15 rolled",
// "2026-11-26 14:00 nodate"; refusals "! past date", "! past date 2026-12-01",
// "! weekday_mismatch date 2026-12-15 wd2", "! bad_time time".
std::string Describe(const DetailedWish& r) {
  if (!r) {
    const WishRefusal& e = r.error();
    std::string out = "! " + std::string(WishRefusalCode(e.reason)) +
                      (e.field == WishField::kTime ? " time" : " date");
    if (e.date &&
        (e.reason == WishRefusalReason::kPast || e.reason == WishRefusalReason::kWeekdayMismatch)) {
      out += " " + DateText(e.date->year, e.date->month, e.date->day);
    }
    if (e.reason == WishRefusalReason::kWeekdayMismatch && e.date_weekday) {
      out += " wd" + std::to_string(*e.date_weekday);
    }
    return out;
  }
  const DateTimeWish& w = *r;
  std::string out = DateText(w.year, w.month, w.day);
  if (w.minute_of_day) out += " " + Clock(*w.minute_of_day);
  if (w.window) out += " " + Clock(w.window->from_minute) + "-" + Clock(w.window->to_minute);
  if (w.span_days != 1) out += " span" + std::to_string(w.span_days);
  if (w.rolled_forward) out += " rolled";
  if (!w.date_was_said) out += " nodate";
  return out;
}

struct Row {
  std::string_view date_text;
  std::string_view time_text;
  std::string_view expected;
  std::string_view now = kThursdayTen;
};

// Thursday 26.11.2026: Fr 27, Sa 28, So 29, Mo 30.11., Di 1.12., Mi 2.12., Do 3.12., Fr 4.12.,
// Sa 5.12., Mo 7.12., Di 8.12., Di 15.12., Do 24.12. Easter 2027: 28.3.
const std::vector<Row>& Phrasings() {
  static const auto* const kRows = new std::vector<Row>{
      // --- numeric and written dates
      {"2026-12-01", "", "2026-12-01"},
      {"2026-12-01T14:30", "", "2026-12-01 14:30"},
      {"1.12.", "", "2026-12-01"},
      {"01.12.2026", "", "2026-12-01"},
      {"1.12.26", "", "2026-12-01"},
      {"15.1.", "", "2027-01-15 rolled"},
      {"15.01.2027", "", "2027-01-15"},
      {"26.11.", "", "2026-11-26"},
      {"31.12.", "", "2026-12-31"},
      {"29.2.", "", "2028-02-29 rolled"},
      {"26.9.", "", "2027-09-26 rolled"},  // 61 days ago: next year
      {"am 3. Dezember", "", "2026-12-03"},
      {"am dritten Dezember", "", "2026-12-03"},
      {"den 24. Dezember", "", "2026-12-24"},
      {"am 15. Januar 2027", "", "2027-01-15"},
      {"15. Januar", "", "2027-01-15 rolled"},
      {"am fünfzehnten", "", "2026-12-15 rolled"},
      {"am 28.", "", "2026-11-28"},
      {"zum 30.", "", "2026-11-30"},
      {"am 1. Dez", "", "2026-12-01"},
      {"3. März", "", "2027-03-03 rolled"},
      {"am einunddreißigsten Dezember", "", "2026-12-31"},
      // --- relative days and weeks
      {"heute", "", "2026-11-26"},
      {"morgen", "", "2026-11-27"},
      {"übermorgen", "", "2026-11-28"},
      {"in 3 Tagen", "", "2026-11-29"},
      {"in einer Woche", "", "2026-12-03"},
      {"in zwei Wochen", "", "2026-12-10"},
      {"in acht Tagen", "", "2026-12-03"},
      {"in vierzehn Tagen", "", "2026-12-10"},
      {"nächste Woche", "", "2026-11-30 span7"},
      {"kommende Woche", "", "2026-11-30 span7"},
      {"übernächste Woche", "", "2026-12-07 span7"},
      {"diese Woche", "", "2026-11-26 span4"},
      {"in der nächsten Woche", "", "2026-11-30 span7"},
      // --- "in einer Woche" after a day
      {"heute in einer Woche", "", "2026-12-03"},
      {"heute in zwei Wochen", "", "2026-12-10"},
      {"morgen in einer Woche", "", "2026-12-04"},
      {"übermorgen in einer Woche", "", "2026-12-05"},
      {"morgen in acht Tagen", "", "2026-12-04"},
      {"Dienstag in einer Woche", "", "2026-12-08"},
      {"Montag in einer Woche", "", "2026-12-07"},
      {"Freitag in einer Woche", "", "2026-12-04"},
      {"Donnerstag in einer Woche", "", "2026-12-03"},  // said on a Thursday: a week from today
      {"Montag in zwei Wochen", "", "2026-12-14"},
      {"Freitag in acht Tagen", "", "2026-12-04"},
      {"in einer Woche am Dienstag", "", "2026-12-08"},
      {"morgen in einer Woche", "um 10", "2026-12-04 10:00"},
      {"Dienstag in einer Woche", "nachmittags", "2026-12-08 12:00-18:00"},
      {"in einer Woche, am 3.12.", "", "2026-12-03"},
      // --- weekdays
      {"Dienstag", "", "2026-12-01"},
      {"am Dienstag", "", "2026-12-01"},
      {"nächsten Dienstag", "", "2026-12-01"},
      {"kommenden Montag", "", "2026-11-30"},
      {"diesen Freitag", "", "2026-11-27"},
      {"Donnerstag", "", "2026-12-03"},
      {"diesen Donnerstag", "", "2026-11-26"},
      {"übernächsten Dienstag", "", "2026-12-08"},
      {"Samstag", "", "2026-11-28"},
      {"Sonnabend", "", "2026-11-28"},
      {"Sonntag", "", "2026-11-29"},
      {"Dienstag nächste Woche", "", "2026-12-01"},
      {"nächste Woche Freitag", "", "2026-12-04"},
      {"Mittwoch übernächste Woche", "", "2026-12-09"},
      {"Freitag diese Woche", "", "2026-11-27"},
      {"Dienstag, 1.12.", "", "2026-12-01"},
      {"Dienstag, den 15.", "", "2026-12-15 rolled"},
      {"Donnerstag, Heiligabend", "", "2026-12-24"},
      // --- parts of the week
      {"Anfang nächster Woche", "", "2026-11-30 span2"},
      {"Anfang der nächsten Woche", "", "2026-11-30 span2"},
      {"Mitte nächster Woche", "", "2026-12-01 span3"},
      {"Mitte der kommenden Woche", "", "2026-12-01 span3"},
      {"Ende nächster Woche", "", "2026-12-03 span3"},
      {"Ende der nächsten Woche", "", "2026-12-03 span3"},
      {"Ende nächste Woche", "", "2026-12-03 span3"},
      {"Anfang übernächster Woche", "", "2026-12-07 span2"},
      {"Ende der Woche", "", "2026-11-26 span3"},
      {"Ende dieser Woche", "", "2026-11-26 span3"},
      {"Mitte der Woche", "", "2026-11-26"},
      {"Anfang der Woche", "", "2026-11-30 span2"},  // this week's are over: next week's
      {"am Ende der Woche", "", "2026-11-26 span3"},
      {"Ende nächster Woche", "vormittags", "2026-12-03 08:00-12:00 span3"},
      {"Ende nächster Woche am Freitag", "", "2026-12-04"},
      // --- parts of a month
      {"Ende des Monats", "", "2026-11-26 span5"},
      {"Ende Monat", "", "2026-11-26 span5"},
      {"zum Monatsende", "", "2026-11-26 span5"},
      {"Anfang des Monats", "", "2026-12-01 span10 rolled"},
      {"Mitte des Monats", "", "2026-12-11 span10 rolled"},
      {"Anfang nächsten Monats", "", "2026-12-01 span10"},
      {"Anfang des nächsten Monats", "", "2026-12-01 span10"},
      {"Ende nächsten Monats", "", "2026-12-21 span11"},
      {"Anfang Dezember", "", "2026-12-01 span10"},
      {"Mitte Dezember", "", "2026-12-11 span10"},
      {"Ende Dezember", "", "2026-12-21 span11"},
      {"Ende November", "", "2026-11-26 span5"},
      {"Anfang Januar", "", "2027-01-01 span10 rolled"},
      {"Mitte Januar", "", "2027-01-11 span10 rolled"},
      {"Ende Januar", "", "2027-01-21 span11 rolled"},
      {"Ende Februar", "", "2027-02-21 span8 rolled"},
      {"Anfang September", "", "2027-09-01 span10 rolled"},
      {"Anfang Januar 2027", "", "2027-01-01 span10"},
      {"Mitte Januar", "vormittags", "2027-01-11 08:00-12:00 span10 rolled"},
      // --- the weekend and the end of the year
      {"Wochenende", "", "2026-11-28 span2"},
      {"am Wochenende", "", "2026-11-28 span2"},
      {"dieses Wochenende", "", "2026-11-28 span2"},
      {"nächstes Wochenende", "", "2026-11-28 span2"},
      {"am nächsten Wochenende", "", "2026-11-28 span2"},
      {"übernächstes Wochenende", "", "2026-12-05 span2"},
      {"am Wochenende", "vormittags", "2026-11-28 08:00-12:00 span2"},
      {"am Wochenende am Sonntag", "", "2026-11-29"},
      {"am Wochenende am Montag", "", "! conflicting date"},
      {"am Wochenende", "", "2026-03-28 span2", kSpringSaturday},
      {"nächstes Wochenende", "", "2026-04-04 span2", kSpringSaturday},
      {"nächstes Wochenende", "", "2026-10-31 span2", kAutumnSaturday},
      {"übernächstes Wochenende", "", "2026-11-07 span2", kAutumnSaturday},
      {"Jahresende", "", "2026-12-28 span4"},
      {"zum Jahresende", "", "2026-12-28 span4"},
      {"Ende des Jahres", "", "2026-12-28 span4"},
      {"Ende dieses Jahres", "", "2026-12-28 span4"},
      {"Ende nächsten Jahres", "", "2027-12-27 span5"},
      {"zum Jahresende", "nachmittags", "2026-12-28 12:00-18:00 span4"},
      {"Jahresende", "", "2026-12-31", kNewYearsEve},
      {"Jahresende", "", "2027-12-27 span5", kNewYearsDay},
      // --- named days
      {"Heiligabend", "", "2026-12-24"},
      {"an Heiligabend", "", "2026-12-24"},
      {"am Heiligen Abend", "", "2026-12-24"},
      {"Silvester", "", "2026-12-31"},
      {"an Silvester", "nachmittags", "2026-12-31 12:00-18:00"},
      {"Neujahr", "", "2027-01-01 rolled"},
      {"am ersten Weihnachtsfeiertag", "", "2026-12-25"},
      {"erster Weihnachtsfeiertag", "", "2026-12-25"},
      {"am 1. Weihnachtsfeiertag", "", "2026-12-25"},
      {"zweiter Weihnachtsfeiertag", "", "2026-12-26"},
      {"am zweiten Weihnachtstag", "", "2026-12-26"},
      {"an den Weihnachtsfeiertagen", "", "2026-12-25 span2"},
      {"Weihnachten", "", "2026-12-24 span3"},
      {"an Weihnachten", "", "2026-12-24 span3"},
      {"Weihnachten 2027", "", "2027-12-24 span3"},
      {"Ostern", "", "2027-03-28 span2 rolled"},
      {"Ostersonntag", "", "2027-03-28 rolled"},
      {"Ostermontag", "", "2027-03-29 rolled"},
      {"Karfreitag", "", "2027-03-26 rolled"},
      {"Pfingsten", "", "2027-05-16 span2 rolled"},
      {"Pfingstmontag", "", "2027-05-17 rolled"},
      {"Christi Himmelfahrt", "", "2027-05-06 rolled"},
      {"an Himmelfahrt", "", "2027-05-06 rolled"},
      {"Tag der Arbeit", "", "2027-05-01 rolled"},
      {"am Tag der Arbeit", "", "2027-05-01 rolled"},
      {"am Tag der Deutschen Einheit", "", "2027-10-03 rolled"},
      {"Fronleichnam", "", "2027-05-27 rolled"},
      {"an Allerheiligen", "", "2027-11-01 rolled"},
      {"Reformationstag", "", "2027-10-31 rolled"},
      {"Heilige Drei Könige", "", "2027-01-06 rolled"},
      {"Buß- und Bettag", "", "2027-11-17 rolled"},
      {"Heiligabend", "um 10 Uhr", "2026-12-24 10:00"},
      {"Silvester um halb drei", "", "2026-12-31 14:30"},
      {"Silvester", "", "2026-12-31", kNewYearsEve},
      {"Neujahr", "", "2027-01-01 rolled", kNewYearsEve},
      {"Weihnachten", "", "2026-12-25 span2", kChristmasDay},
      {"Heiligabend", "", "2027-12-24 rolled", kChristmasDay},
      {"zweiter Weihnachtsfeiertag", "", "2026-12-26", kChristmasDay},
      // --- clock times
      {"", "14 Uhr", "2026-11-26 14:00 nodate"},
      {"", "14:30", "2026-11-26 14:30 nodate"},
      {"", "um 9", "2026-11-27 09:00 rolled nodate"},
      {"", "so um halb drei rum", "2026-11-26 14:30 nodate"},
      {"morgen", "14.30 Uhr", "2026-11-27 14:30"},
      {"morgen", "14h", "2026-11-27 14:00"},
      {"morgen", "um 9.", "2026-11-27 09:00"},
      {"morgen", "halb drei", "2026-11-27 14:30"},
      {"morgen um halb drei", "", "2026-11-27 14:30"},
      {"morgen", "viertel nach zehn", "2026-11-27 10:15"},
      {"morgen", "viertel vor elf", "2026-11-27 10:45"},
      {"morgen", "drei viertel elf", "2026-11-27 10:45"},
      {"morgen", "viertel drei", "2026-11-27 14:15"},
      {"morgen", "zehn nach drei", "2026-11-27 15:10"},
      {"morgen", "fünf vor halb drei", "2026-11-27 14:25"},
      {"morgen", "fünf nach halb drei", "2026-11-27 14:35"},
      {"morgen", "halb eins", "2026-11-27 12:30"},
      {"morgen", "vierzehn Uhr dreißig", "2026-11-27 14:30"},
      {"morgen", "um sechs", "2026-11-27 18:00"},
      {"morgen", "um sieben", "2026-11-27 07:00"},
      {"morgen", "03:00", "2026-11-27 03:00"},
      {"morgen", "Punkt zehn", "2026-11-27 10:00"},
      {"morgen", "Punkt 10 Uhr", "2026-11-27 10:00"},
      {"morgen um Punkt drei", "", "2026-11-27 15:00"},
      {"Dienstag", "punkt halb elf", "2026-12-01 10:30"},
      {"", "Punkt 14 Uhr", "2026-11-26 14:00 nodate"},
      {"morgen", "12 Uhr mittags", "2026-11-27 12:00"},
      {"morgen", "8 Uhr abends", "2026-11-27 20:00"},
      {"morgen", "3 Uhr nachmittags", "2026-11-27 15:00"},
      {"morgen", "6 Uhr morgens", "2026-11-27 06:00"},
      // --- windows
      {"morgen", "vormittags", "2026-11-27 08:00-12:00"},
      {"morgen", "nachmittags", "2026-11-27 12:00-18:00"},
      {"morgen", "gegen Mittag", "2026-11-27 11:30-14:00"},
      {"morgen", "abends", "2026-11-27 17:00-20:00"},
      {"morgen früh", "", "2026-11-27 07:00-10:00"},
      {"Dienstagnachmittag", "", "2026-12-01 12:00-18:00"},
      {"Montagmorgen", "", "2026-11-30 07:00-10:00"},
      {"morgen", "kurz nach 10", "2026-11-27 10:00-10:15"},
      {"morgen", "ab 14 Uhr", "2026-11-27 14:00-24:00"},
      {"morgen", "bis 12 Uhr", "2026-11-27 00:00-12:00"},
      {"morgen", "zwischen 14 und 16 Uhr", "2026-11-27 14:00-16:00"},
      {"morgen", "14-16 Uhr", "2026-11-27 14:00-16:00"},
      {"Dienstag", "nachmittags ab 3", "2026-12-01 15:00-18:00"},
      {"nächste Woche", "vormittags", "2026-11-30 08:00-12:00 span7"},
      {"morgen irgendwann", "", "2026-11-27"},
      {"bald", "um 14 Uhr", "2026-11-26 14:00 nodate"},
      // --- other "now"s: local date, year end, clock changes
      {"heute", "", "2026-11-27", "2026-11-26T23:30:00Z"},
      {"morgen", "", "2027-01-01", kNewYearsEve},
      {"Freitag", "", "2027-01-01", kNewYearsEve},
      {"15.1.", "", "2027-01-15 rolled", kNewYearsEve},
      {"", "um 14 Uhr", "2027-01-01 14:00 rolled nodate", kNewYearsEve},
      {"Ende des Monats", "", "2026-12-31", kNewYearsEve},
      {"Anfang des Monats", "", "2027-01-01 span10 rolled", kNewYearsEve},
      {"Anfang Januar", "", "2027-01-01 span10 rolled", kNewYearsEve},
      {"morgen", "14 Uhr", "2026-03-29 14:00", kSpringSaturday},
      {"Sonntag", "02:30", "2026-03-29 02:30", kSpringSaturday},
      {"morgen", "14 Uhr", "2026-10-25 14:00", kAutumnSaturday},
      {"Anfang Januar", "", "2027-01-05 span6", kEarlyJanuary},
      {"15.12.", "", "2026-12-15", kWednesdayAfter},
      {"3.12.", "", "2026-12-03", kWednesdayAfter},

      // === refusals
      // past
      {"gestern", "", "! past date 2026-11-25"},
      {"vorgestern", "", "! past date 2026-11-24"},
      {"letzten Freitag", "", "! past date"},
      {"letzte Woche", "", "! past date"},
      {"vergangenen Montag", "", "! past date"},
      {"gestern", "um 14 Uhr", "! past date 2026-11-25"},
      {"", "gestern um 14 Uhr", "! past date 2026-11-25"},
      {"gestern", "", "! past date 2026-12-31", kNewYearsDay},
      {"25.11.", "", "! past date 2026-11-25"},
      {"1.10.", "", "! past date 2026-10-01"},
      {"27.9.", "", "! past date 2026-09-27"},  // 60 days ago
      {"1.12.", "", "! past date 2026-12-01", kWednesdayAfter},
      {"1. Dezember", "", "! past date 2026-12-01", kWednesdayAfter},
      {"20.12.", "", "! past date 2026-12-20", kEarlyJanuary},
      {"15.01.2026", "", "! past date 2026-01-15"},
      {"2026-11-25", "", "! past date 2026-11-25"},
      {"Montag diese Woche", "", "! past date 2026-11-23"},
      {"Anfang dieser Woche", "", "! past date 2026-11-23"},
      {"Anfang November", "", "! past date 2026-11-01"},
      {"Mitte Oktober", "", "! past date 2026-10-11"},
      {"Mitte dieses Monats", "", "! past date 2026-11-11"},
      {"Anfang März 2026", "", "! past date 2026-03-01"},
      {"Ostern 2026", "", "! past date 2026-04-05"},
      // no such date
      {"30.2.", "", "! no_such_date date"},
      {"30. Februar", "", "! no_such_date date"},
      {"31.4.", "", "! no_such_date date"},
      {"31. November", "", "! no_such_date date"},
      {"32.1.", "", "! no_such_date date"},
      {"13.13.", "", "! no_such_date date"},
      {"29.2.2027", "", "! no_such_date date"},
      {"am 32.", "", "! no_such_date date"},
      {"30.2.", "um 10 Uhr", "! no_such_date date"},
      // weekday mismatch
      {"Montag, den 15.", "", "! weekday_mismatch date 2026-12-15 wd2"},
      {"Dienstag, 2.12.", "", "! weekday_mismatch date 2026-12-02 wd3"},
      {"Freitag, der 1. Dezember", "", "! weekday_mismatch date 2026-12-01 wd2"},
      {"Sonntag, 3.12.", "", "! weekday_mismatch date 2026-12-03 wd4"},
      {"Freitag, Heiligabend", "", "! weekday_mismatch date 2026-12-24 wd4"},
      {"Montag", "15.12.", "! weekday_mismatch date 2026-12-15 wd2"},
      // too vague
      {"bald", "", "! too_vague date"},
      {"irgendwann", "", "! too_vague date"},
      {"demnächst", "", "! too_vague date"},
      {"so schnell wie möglich", "", "! too_vague date"},
      {"möglichst bald", "", "! too_vague date"},
      {"zeitnah bitte", "", "! too_vague date"},
      {"jetzt", "", "! too_vague date"},
      {"sofort", "", "! too_vague date"},
      {"Dezember", "", "! too_vague date"},
      {"im Januar", "", "! too_vague date"},
      {"nächsten Monat", "", "! too_vague date"},
      // bad time: always field=time, also when said in the date text
      {"", "um 25 Uhr", "! bad_time time"},
      {"morgen um 25 Uhr", "", "! bad_time time"},
      {"morgen", "14:75", "! bad_time time"},
      {"morgen", "24 Uhr", "! bad_time time"},
      {"morgen", "um 9:5", "! bad_time time"},
      {"morgen", "14 Uhr abends", "! bad_time time"},
      {"morgen", "12 Uhr abends", "! bad_time time"},
      {"morgen", "zwischen 16 und 14 Uhr", "! bad_time time"},
      {"morgen", "vormittags ab 15 Uhr", "! bad_time time"},
      {"morgen", "zwischen 14 und", "! bad_time time"},
      {"morgen", "kurz nach", "! bad_time time"},
      {"morgen", "halb", "! bad_time time"},
      {"Dienstag", "Punkt 25", "! bad_time time"},
      // not understood
      {"blablub", "", "! not_understood date"},
      {"Quatsch", "", "! not_understood date"},
      {"Dienstag oder Mittwoch", "", "! not_understood date"},
      {"Wochenende Montag", "", "! conflicting date"},
      {"morgen", "irgendwas", "! not_understood time"},
      {"morgen nachts", "", "! not_understood date"},
      {"Mo", "", "! not_understood date"},
      {"Ende", "", "! not_understood date"},
      // nothing said
      {"", "", "! nothing_said date"},
      {"bitte", "", "! nothing_said date"},
      {"äh", "ja also", "! nothing_said date"},
      // contradictions, too far ahead
      {"morgen", "übermorgen", "! conflicting date"},
      {"morgen", "14 Uhr und 16 Uhr", "! not_understood time"},
      {"morgen um 14 Uhr", "16 Uhr", "! conflicting time"},
      {"nächste Woche am 15.12.", "", "! conflicting date"},
      {"Ende nächster Woche am Montag", "", "! conflicting date"},
      {"Weihnachten", "morgen", "! conflicting date"},
      {"morgen", "vormittags", "2026-11-27 08:00-12:00"},
      {"in 400 Tagen", "", "! too_far_ahead date"},
      {"1.1.2040", "", "! too_far_ahead date"},
  };
  return *kRows;
}

TEST(GermanPhrasings, TableOfAtLeast200) {
  std::set<std::pair<std::string_view, std::string_view>> distinct;
  std::size_t refusals = 0;
  for (const Row& row : Phrasings()) {
    distinct.insert({row.date_text, row.time_text});
    if (row.expected.front() == '!') ++refusals;
  }
  EXPECT_GE(distinct.size(), 200u);
  EXPECT_GE(refusals, 50u);
}

TEST(GermanPhrasings, EachIsUnderstoodOrRefusedAsExpected) {
  for (const Row& row : Phrasings()) {
    auto now = ParseIso8601(row.now);
    ASSERT_TRUE(now.has_value()) << row.now;
    const auto result = ParseGermanDateTimeDetailed(row.date_text, row.time_text, *now, kBerlin);
    EXPECT_EQ(Describe(result), row.expected)
        << "'" << row.date_text << "' / '" << row.time_text << "' at " << row.now;
  }
}

// ParseGermanDateTime keeps working for existing callers: same wishes, and the refusal's
// detail as the error text.
TEST(GermanPhrasings, TheShortFormAgrees) {
  for (const Row& row : Phrasings()) {
    auto now = ParseIso8601(row.now);
    ASSERT_TRUE(now.has_value());
    const auto detailed = ParseGermanDateTimeDetailed(row.date_text, row.time_text, *now, kBerlin);
    const auto plain = ParseGermanDateTime(row.date_text, row.time_text, *now, kBerlin);
    ASSERT_EQ(detailed.has_value(), plain.has_value()) << row.date_text << " / " << row.time_text;
    if (detailed) {
      EXPECT_EQ(*detailed, *plain);
    } else {
      EXPECT_EQ(plain.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(plain.error().message, detailed.error().detail);
    }
  }
}

TEST(GermanPhrasings, RefusalsOfConfigurationAndLength) {
  auto now = ParseIso8601(kThursdayTen);
  ASSERT_TRUE(now.has_value());
  auto zone = ParseGermanDateTimeDetailed("morgen", "", *now, "Mars/Olympus");
  ASSERT_FALSE(zone.has_value());
  EXPECT_EQ(zone.error().reason, WishRefusalReason::kUnknownZone);
  auto long_phrase = ParseGermanDateTimeDetailed(std::string(300, 'a'), "", *now, kBerlin);
  ASSERT_FALSE(long_phrase.has_value());
  EXPECT_EQ(long_phrase.error().reason, WishRefusalReason::kTooLong);
}

TEST(GermanPhrasings, RefusalCodesAreStable) {
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kPast), "past");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kNoSuchDate), "no_such_date");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kWeekdayMismatch), "weekday_mismatch");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kTooVague), "too_vague");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kBadTime), "bad_time");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kNotUnderstood), "not_understood");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kNothingSaid), "nothing_said");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kConflicting), "conflicting");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kTooFarAhead), "too_far_ahead");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kTooLong), "too_long");
  EXPECT_EQ(WishRefusalCode(WishRefusalReason::kUnknownZone), "unknown_zone");
}

}  // namespace
}  // namespace callgate::booking
