#pragma once
// Understanding what a caller said about *when* ("morgen um halb drei", "nächste Woche Dienstag
// vormittags", "15.1.") in the branch's time zone. Pure functions: no I/O, no clock reads,
// thread-safe. The meanings below are decisions, recorded in docs/adr/0004-german-dates.md:
//
// Dates (never in the past):
//   "Dienstag", "am Dienstag", "kommenden Dienstag", "nächsten Dienstag"
//       → the first Dienstag strictly after today (said on a Dienstag: in 7 days).
//   "diesen Dienstag" → the first Dienstag on or after today (said on a Dienstag: today).
//   "übernächsten Dienstag" → 7 days after "nächsten Dienstag".
//   "Dienstag nächste Woche" / "nächste Woche Dienstag" → the Dienstag of the next calendar week
//       (Monday–Sunday); "diese Woche" / "übernächste Woche" likewise; a day of this week that is
//       already past is rejected.
//   "nächste Woche" alone → its Monday with span_days = 7; "diese Woche" → today until Sunday.
//   "in 3 Tagen", "in einer Woche", "in zwei Wochen" → today + n days; "in acht Tagen" is the
//       idiom for one week (+7). After a day they count from it: "morgen in einer Woche" =
//       tomorrow + 7, "heute in einer Woche" = + 7, "Dienstag in einer Woche" = the first
//       Dienstag on or after today + 7 (said on a Dienstag: in 7 days).
//   "Anfang / Mitte / Ende (der) (nächsten | dieser) Woche" → Mo–Di / Di–Do / Do–Sa of that
//       week as a date with span_days; without a modifier this week's, or next week's once this
//       week's days are over; "dieser" already over is refused as past.
//   "Anfang / Mitte / Ende Januar" (or "… des Monats", "… nächsten Monats", "Monatsende") →
//       1.–10. / 11.–20. / 21.–last of that month with span_days (up to 11). A month name
//       without a year that is over rolls to next year, unless it ended within the last 60
//       days (refused as past, like a year-less date); "des Monats" over → next month's.
//   "Wochenende", "am Wochenende", "dieses Wochenende" → Saturday–Sunday of this week (span 2;
//       said on a Sunday: today, span 1). "nächstes Wochenende" → the weekend of the first
//       Saturday strictly after today, like "nächsten Samstag" (said Mo–Fr: the coming one);
//       "übernächstes Wochenende" a week later.
//   "Jahresende", "zum Jahresende", "Ende des Jahres" ("Ende nächsten Jahres": next year's) →
//       27.–31.12. from its first working day (Mo–Fr) on, the Christmas holidays excluded.
//   Every span starts no earlier than today ("Ende des Monats" on 26.11. → 26.–30.11.).
//   Named days → their next occurrence that is not over: Heiligabend, Silvester, Neujahr,
//       (erster / zweiter) Weihnachtsfeiertag, Karfreitag, Ostersonntag, Ostermontag,
//       Pfingstsonntag, Pfingstmontag, Christi Himmelfahrt, Fronleichnam, Tag der Arbeit, Tag
//       der Deutschen Einheit, Reformationstag, Allerheiligen, Heilige Drei Könige, Buß- und
//       Bettag; "Weihnachten" = 24.–26.12. (span 3), "Ostern" / "Pfingsten" = Sunday and
//       Monday (span 2), "Weihnachtsfeiertage" = 25.–26.12. With a year ("Weihnachten 2027")
//       that year's, refused as past when over.
//   A year-less date ("1.12.", "15. Januar") is the next such date on or after today, rolled
//       into next year when it has passed ("15.1." on 26.11.2026 → 15.1.2027) — except when
//       it passed within the last 60 days: then the caller meant that one and it is refused as
//       past ("1.12." said on 2.12., "20.12." said on 5.1.). "am 15." alone → this month, or
//       the next month once the 15th has passed. A date with a year in the past is refused.
//       "heute" stays today even when the time has passed (booking checks the minimum
//       notice). Only a time ("um 14 Uhr") → today, or tomorrow once that time (or the whole
//       window) has passed.
//   "bald", "irgendwann", "so schnell wie möglich", "Dezember", "nächsten Monat" alone are
//       refused as too vague; next to a concrete day they are ignored ("morgen irgendwann").
// Times:
//   Clock hours 1–6 said without a part of day mean the afternoon (13–18 h), 7–12 are taken as
//   said; hours 0 and 13–23, or with a leading zero ("03:00"), are literal. "halb drei" = 14:30,
//   "viertel nach zehn" = 10:15, "viertel vor elf" = "drei viertel elf" = 10:45, "viertel elf"
//   = 10:15 (eastern usage), "zehn nach drei" = 15:10, "fünf vor halb drei" = 14:25; "Punkt
//   zehn" / "um Punkt 10 Uhr" = 10:00.
//   A part of day next to a clock time picks am/pm and must fit ("8 Uhr abends" = 20:00,
//   "14 Uhr abends" is rejected); the result is then exact, without a window.
// Windows [from, to) in local minutes after midnight:
//   früh / morgens 07:00–10:00, vormittags 08:00–12:00, mittags 11:30–14:00,
//   nachmittags 12:00–18:00, abends 17:00–20:00, "kurz nach zehn" 10:00–10:15,
//   "kurz vor zehn" 09:45–10:00, "ab 14 Uhr" 14:00–24:00, "bis 12" 00:00–12:00,
//   "zwischen 14 und 16 Uhr" / "14-16 Uhr" 14:00–16:00 (intersected with a part of day if said).
// Refusals are typed (WishRefusal: a reason code and the field to ask for again); this module
// has no German sentences, the agent words them.

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate::booking {

// Local minutes after midnight, half-open [from_minute, to_minute); to_minute may be 1440.
struct TimeWindow {
  int from_minute = 0;
  int to_minute = 0;
  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
};

// What the caller wants, as a local calendar date in the zone passed to ParseGermanDateTime.
// At most one of minute_of_day and window is set; neither when only a date was said.
struct DateTimeWish {
  int year = 0;
  int month = 0;                     // 1..12
  int day = 0;                       // 1..31
  std::optional<int> minute_of_day;  // exact time ("14 Uhr" → 840)
  std::optional<TimeWindow> window;  // "vormittags" → 480–720
  int span_days = 1;                 // the wish covers [date, date + span_days): 7 for a week
  bool date_was_said = false;        // false: only a time was said, the date is implied
  bool rolled_forward = false;       // moved to a later year/month/day because it had passed
  friend bool operator==(const DateTimeWish&, const DateTimeWish&) = default;
};

// Why a phrase gave no wish. Codes, not sentences: the agent words them and asks for `field`.
enum class WishRefusalReason {
  kPast,             // "gestern", "letzten Freitag", "1.12." on 2.12., a dated day already over
  kNoSuchDate,       // "30. Februar", "32.1.", "13.13."
  kWeekdayMismatch,  // "Montag, den 15." when the 15th is a Dienstag (see date_weekday)
  kTooVague,         // "bald", "irgendwann", "so schnell wie möglich", "Dezember"
  kBadTime,          // "um 25 Uhr", "14:75", "14 Uhr abends", "zwischen 16 und 14 Uhr"
  kNotUnderstood,    // unknown words ("Dienstag oder Mittwoch", "Quatsch")
  kNothingSaid,      // empty, or filler words only
  kConflicting,      // two different dates, weekdays or times ("morgen übermorgen")
  kTooFarAhead,      // more than 10 years ahead, "in 400 Tagen"
  kTooLong,          // more than 200 bytes
  kUnknownZone,      // not an IANA zone: configuration, not the caller
};

// Which part of the wish the agent should ask for again.
enum class WishField { kDate, kTime };

// A local calendar date.
struct WishDate {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  friend bool operator==(const WishDate&, const WishDate&) = default;
};

struct WishRefusal {
  WishRefusalReason reason = WishRefusalReason::kNotUnderstood;
  WishField field = WishField::kDate;  // kBadTime always asks for the time
  std::optional<WishDate> date;        // the date understood, when there was one (kPast,
                                       // kWeekdayMismatch: "der 15. ist ein Dienstag")
  std::optional<int> date_weekday;     // the real weekday of `date`: 0 = Sonntag .. 6 = Samstag
  std::string_view detail;             // fixed English text for logs; never the caller's words
};

// Stable snake_case code of a reason for JSON ("past", "no_such_date", "weekday_mismatch",
// "too_vague", "bad_time", "not_understood", "nothing_said", "conflicting", "too_far_ahead",
// "too_long", "unknown_zone").
std::string_view WishRefusalCode(WishRefusalReason reason);

// The wish, or why there is none.
using DetailedWish = tl::expected<DateTimeWish, WishRefusal>;

// As ParseGermanDateTime, with a typed refusal instead of an error text.
DetailedWish ParseGermanDateTimeDetailed(std::string_view date_text, std::string_view time_text,
                                         SystemTimePoint now, std::string_view zone);

// Parses German date and/or time phrases relative to `now` in the IANA `zone`. Either argument
// may be empty or hold the whole phrase ("morgen um 14 Uhr"); they are read together. A bare
// number means an hour in `time_text` and a day of the month in `date_text`, unless "um"/"am"
// says otherwise. Case-insensitive; accepts umlauts or ae/oe/ue/ss, filler words ("so gegen",
// "bitte", "ungefähr") and punctuation. kInvalidArgument, with a short English reason that does
// not echo the caller's words, for an unknown zone, a phrase longer than 200 bytes, unknown
// words, the past ("gestern", "letzten Montag"), impossible dates ("30.2.") or times ("25 Uhr"),
// contradictions ("Dienstag, 2.12." when that is a Mittwoch) and when nothing was said. Never
// guesses a default time. The message is the refusal's `detail`.
Result<DateTimeWish> ParseGermanDateTime(std::string_view date_text, std::string_view time_text,
                                         SystemTimePoint now, std::string_view zone);

// The UTC instant of a wish's date and exact time in `zone` (clock-change rules as FromLocal:
// a skipped wall time maps to the instant after the jump, a repeated one to the earlier).
// kInvalidArgument when the wish has no exact time, for an impossible date or an unknown zone.
Result<SystemTimePoint> WishToInstant(const DateTimeWish& wish, std::string_view zone);

}  // namespace callgate::booking
