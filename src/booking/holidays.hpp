#pragma once
// German public holidays (gesetzliche Feiertage) per Bundesland, and the dates of the named days
// callers use ("Heiligabend", "Ostern"). Pure functions: no I/O, no clock reads, thread-safe.
//
// States are ISO 3166-2 codes ("DE-BY", "DE-NW", "DE-BE", …); "DE" (or any unknown code) means
// the nationwide holidays only. Easter follows the Gregorian computus (anonymous Gregorian
// algorithm); the movable feasts are fixed offsets from it. Year-dependent rules covered:
//   - Reformationstag (31.10.): BB, MV, SN, ST, TH; since 2018 also HB, HH, NI, SH; in 2017
//     nationwide (500 years of the Reformation).
//   - Frauentag (8.3.): BE since 2019, MV since 2023.
//   - Weltkindertag (20.9.): TH since 2019.
//   - Tag der Befreiung (8.5.): BE in 2020 and 2025 only.
//   - Buß- und Bettag (the Wednesday before 23.11.): SN; nationwide before 1995.
//   - Heilige Drei Könige (6.1.): BW, BY, ST. Fronleichnam: BW, BY, HE, NW, RP, SL.
//     Allerheiligen (1.11.): BW, BY, NW, RP, SL. Mariä Himmelfahrt (15.8.): SL.
//   - Ostersonntag and Pfingstsonntag are listed for BB and HE (their laws name them).
// Holidays of single communities only (Fronleichnam in parts of SN/TH, Mariä Himmelfahrt in
// Catholic Bavaria, the Augsburger Friedensfest) are not included: a branch there needs
// company-specific closing days.

#include <optional>
#include <string_view>
#include <vector>

namespace callgate::booking {

// A day of a named feast in one year. `key` is stable snake_case ASCII ("tag_der_arbeit"),
// `name` the German name ("Tag der Arbeit").
struct HolidayDate {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  std::string_view key;
  std::string_view name;
  friend bool operator==(const HolidayDate&, const HolidayDate&) = default;
};

// The stable key of the public holiday on y-m-d in `state`, or nullopt on a working day. When two
// fall on one day (Tag der Arbeit and Christi Himmelfahrt in 2008) the fixed-date one is given.
std::optional<std::string_view> PublicHoliday(int year, int month, int day, std::string_view state);

// All public holidays of `year` in `state`, in date order.
std::vector<HolidayDate> PublicHolidays(int year, std::string_view state);

// The date of a named day in `year` by its key, whether or not it is a public holiday anywhere:
// every key PublicHoliday can return, plus "heiligabend" (24.12.), "silvester" (31.12.),
// "ostersonntag" and "pfingstsonntag". nullopt for an unknown key.
std::optional<HolidayDate> NamedDayInYear(std::string_view key, int year);

// Easter Sunday of `year` (Gregorian) as {month, day}.
struct MonthDay {
  int month = 0;
  int day = 0;
  friend bool operator==(const MonthDay&, const MonthDay&) = default;
};
MonthDay EasterSunday(int year);

// Whether `state` is one of the 16 codes "DE-BW" … "DE-TH".
bool IsGermanState(std::string_view state);

}  // namespace callgate::booking
