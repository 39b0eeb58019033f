#pragma once
// Time-zone conversion and formatting. Times are stored in UTC and spoken in the branch's
// zone. Uses the system tzdata through Howard Hinnant's date/tz (its headers stay in the .cpp).

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate {

// A wall-clock reading in some zone.
struct LocalDateTime {
  int year = 1970;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int weekday = 4;  // 0 = Sunday .. 6 = Saturday (filled by ToLocal; ignored by FromLocal)
  int utc_offset_minutes = 0;  // filled by ToLocal

  friend bool operator==(const LocalDateTime& a, const LocalDateTime& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
           a.minute == b.minute && a.second == b.second;
  }
};

// True when `zone` names an IANA zone known to the system tzdata. Thread-safe.
bool IsValidTimeZone(std::string_view zone);

// UTC instant → wall time in `zone`. kInvalidArgument for an unknown zone.
Result<LocalDateTime> ToLocal(SystemTimePoint utc, std::string_view zone);

// Wall time in `zone` → UTC instant. A time that does not exist (the hour skipped when clocks
// go forward) maps to the instant the clocks jump to; an ambiguous time (the hour repeated when
// clocks go back) maps to the earlier instant. kInvalidArgument for an unknown zone or an
// impossible date.
Result<SystemTimePoint> FromLocal(const LocalDateTime& local, std::string_view zone);

// "2026-11-26T09:00:00.000Z".
std::string FormatIso8601Utc(SystemTimePoint t);

// Parses ISO 8601 with "Z" or a ±hh:mm offset and optional fractional seconds
// ("2050-09-05T09:00:00.000+02:00"). kInvalidArgument otherwise.
Result<SystemTimePoint> ParseIso8601(std::string_view text);

// German names: weekday 0 = "Sonntag"; month 1 = "Januar".
std::string_view GermanWeekdayName(int weekday);
std::string_view GermanMonthName(int month);

// "Donnerstag, 26. November 2026".
std::string FormatGermanDate(const LocalDateTime& local);
// "14:30".
std::string FormatClockTime(const LocalDateTime& local);
// "2026-11-26T14:30" (the wall reading to the minute; years outside 0…9999 are not written
// correctly).
std::string FormatLocalIsoMinute(const LocalDateTime& local);

}  // namespace callgate
