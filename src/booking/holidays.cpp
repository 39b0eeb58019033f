#include "booking/holidays.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <tuple>

namespace callgate::booking {
namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 16> kStates = {
    "DE-BW", "DE-BY", "DE-BE", "DE-BB", "DE-HB", "DE-HH", "DE-HE", "DE-MV",
    "DE-NI", "DE-NW", "DE-RP", "DE-SL", "DE-SN", "DE-ST", "DE-SH", "DE-TH"};

enum class Rule { kFixed, kEaster, kRepentance };

// Who has the day off in a year: nationwide, or a list of states (the two-letter suffixes).
using Scope = bool (*)(int year, std::string_view state);

struct NamedDay {
  std::string_view key;
  std::string_view name;
  Rule rule;
  int month_or_offset;  // kFixed: month; kEaster: days after Easter Sunday
  int day;              // kFixed only
  Scope scope;          // nullptr: never a public holiday (Heiligabend, Silvester)
};

bool In(std::string_view state, std::initializer_list<std::string_view> suffixes) {
  if (state.size() != 5 || state.substr(0, 3) != "DE-") return false;
  const std::string_view suffix = state.substr(3);
  return std::find(suffixes.begin(), suffixes.end(), suffix) != suffixes.end();
}

bool Nationwide(int, std::string_view) { return true; }

constexpr NamedDay kDays[] = {
    {"neujahr", "Neujahr", Rule::kFixed, 1, 1, &Nationwide},
    {"heilige_drei_koenige", "Heilige Drei Könige", Rule::kFixed, 1, 6,
     [](int, std::string_view s) {
       return In(s, {"BW", "BY", "ST"});
     }},
    {"frauentag", "Internationaler Frauentag", Rule::kFixed, 3, 8,
     [](int y, std::string_view s) {
       return (y >= 2019 && In(s, {"BE"})) || (y >= 2023 && In(s, {"MV"}));
     }},
    {"karfreitag", "Karfreitag", Rule::kEaster, -2, 0, &Nationwide},
    {"ostersonntag", "Ostersonntag", Rule::kEaster, 0, 0,
     [](int, std::string_view s) {
       return In(s, {"BB", "HE"});
     }},
    {"ostermontag", "Ostermontag", Rule::kEaster, 1, 0, &Nationwide},
    {"tag_der_arbeit", "Tag der Arbeit", Rule::kFixed, 5, 1, &Nationwide},
    {"tag_der_befreiung", "Tag der Befreiung", Rule::kFixed, 5, 8,
     [](int y, std::string_view s) { return (y == 2020 || y == 2025) && In(s, {"BE"}); }},
    {"christi_himmelfahrt", "Christi Himmelfahrt", Rule::kEaster, 39, 0, &Nationwide},
    {"pfingstsonntag", "Pfingstsonntag", Rule::kEaster, 49, 0,
     [](int, std::string_view s) {
       return In(s, {"BB", "HE"});
     }},
    {"pfingstmontag", "Pfingstmontag", Rule::kEaster, 50, 0, &Nationwide},
    {"fronleichnam", "Fronleichnam", Rule::kEaster, 60, 0,
     [](int, std::string_view s) {
       return In(s, {"BW", "BY", "HE", "NW", "RP", "SL"});
     }},
    {"mariae_himmelfahrt", "Mariä Himmelfahrt", Rule::kFixed, 8, 15,
     [](int, std::string_view s) { return In(s, {"SL"}); }},
    {"weltkindertag", "Weltkindertag", Rule::kFixed, 9, 20,
     [](int y, std::string_view s) { return y >= 2019 && In(s, {"TH"}); }},
    {"tag_der_deutschen_einheit", "Tag der Deutschen Einheit", Rule::kFixed, 10, 3, &Nationwide},
    {"reformationstag", "Reformationstag", Rule::kFixed, 10, 31,
     [](int y, std::string_view s) {
       return y == 2017 || In(s, {"BB", "MV", "SN", "ST", "TH"}) ||
              (y >= 2018 && In(s, {"HB", "HH", "NI", "SH"}));
     }},
    {"allerheiligen", "Allerheiligen", Rule::kFixed, 11, 1,
     [](int, std::string_view s) {
       return In(s, {"BW", "BY", "NW", "RP", "SL"});
     }},
    {"buss_und_bettag", "Buß- und Bettag", Rule::kRepentance, 0, 0,
     [](int y, std::string_view s) { return y < 1995 || In(s, {"SN"}); }},
    {"heiligabend", "Heiligabend", Rule::kFixed, 12, 24, nullptr},
    {"erster_weihnachtstag", "1. Weihnachtsfeiertag", Rule::kFixed, 12, 25, &Nationwide},
    {"zweiter_weihnachtstag", "2. Weihnachtsfeiertag", Rule::kFixed, 12, 26, &Nationwide},
    {"silvester", "Silvester", Rule::kFixed, 12, 31, nullptr},
};

chr::year_month_day DateOf(const NamedDay& d, int year) {
  const chr::year y{year};
  switch (d.rule) {
    case Rule::kFixed:
      return {y, chr::month{static_cast<unsigned>(d.month_or_offset)},
              chr::day{static_cast<unsigned>(d.day)}};
    case Rule::kEaster: {
      const MonthDay easter = EasterSunday(year);
      const chr::sys_days sunday{
          chr::year_month_day{y, chr::month{static_cast<unsigned>(easter.month)},
                              chr::day{static_cast<unsigned>(easter.day)}}};
      return chr::year_month_day{sunday + chr::days{d.month_or_offset}};
    }
    case Rule::kRepentance: {  // the last Wednesday before 23 November
      const chr::sys_days nov23{y / chr::November / 23};
      const int back = (chr::weekday{nov23}.c_encoding() + 7 - 3) % 7;
      return chr::year_month_day{nov23 - chr::days{back == 0 ? 7 : back}};
    }
  }
  return {};
}

HolidayDate ToHolidayDate(const NamedDay& d, int year) {
  const chr::year_month_day ymd = DateOf(d, year);
  return HolidayDate{static_cast<int>(ymd.year()),
                     static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day())), d.key, d.name};
}

bool IsPublic(const NamedDay& d, int year, std::string_view state) {
  return d.scope != nullptr && d.scope(year, state);
}

}  // namespace

MonthDay EasterSunday(int year) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return {month, day};
}

bool IsGermanState(std::string_view state) {
  return std::find(kStates.begin(), kStates.end(), state) != kStates.end();
}

std::optional<std::string_view> PublicHoliday(int year, int month, int day,
                                              std::string_view state) {
  for (const NamedDay& d : kDays) {
    if (!IsPublic(d, year, state)) continue;
    const HolidayDate date = ToHolidayDate(d, year);
    if (date.month == month && date.day == day) return d.key;
  }
  return std::nullopt;
}

std::vector<HolidayDate> PublicHolidays(int year, std::string_view state) {
  std::vector<HolidayDate> out;
  for (const NamedDay& d : kDays) {
    if (IsPublic(d, year, state)) out.push_back(ToHolidayDate(d, year));
  }
  std::stable_sort(out.begin(), out.end(), [](const HolidayDate& a, const HolidayDate& b) {
    return std::tie(a.month, a.day) < std::tie(b.month, b.day);
  });
  return out;
}

std::optional<HolidayDate> NamedDayInYear(std::string_view key, int year) {
  for (const NamedDay& d : kDays) {
    if (d.key == key) return ToHolidayDate(d, year);
  }
  return std::nullopt;
}

}  // namespace callgate::booking
