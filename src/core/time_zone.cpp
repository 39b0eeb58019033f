#include "core/time_zone.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

namespace callgate {
namespace {

const date::time_zone* FindZone(std::string_view zone) {
  if (zone.empty()) return nullptr;
  // Each thread remembers the zone it looked up last: a request converts many times in its
  // branch's one zone, and locate_zone searches every zone by name. The zone objects live as
  // long as the process (the time zone database is loaded once and never reloaded).
  thread_local std::string last_name;
  thread_local const date::time_zone* last_zone = nullptr;
  if (last_zone != nullptr && zone == last_name) return last_zone;
  try {
    const date::time_zone* found = date::locate_zone(std::string(zone));
    last_name.assign(zone);
    last_zone = found;
    return found;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// A period of constant UTC offset of one zone. Each thread remembers the last one it met in
// each direction (ToLocal, FromLocal): a request converts many instants of its branch's zone,
// mostly in one period, and get_info searches the zone's transitions and copies its
// abbreviation into a new string every time.
struct OffsetPeriod {
  const date::time_zone* zone = nullptr;
  date::sys_seconds begin;
  date::sys_seconds end;
  std::chrono::seconds offset{0};

  OffsetPeriod() = default;
  OffsetPeriod(const date::time_zone* z, const date::sys_info& info)
      : zone(z), begin(info.begin), end(info.end), offset(info.offset) {}
  // Whether `t` of zone `z` lies in this period, at least `margin` from both of its ends.
  template <typename Duration>
  bool Holds(const date::time_zone* z, std::chrono::sys_time<Duration> t,
             std::chrono::seconds margin = std::chrono::seconds(0)) const {
    return zone == z && t >= begin + margin && t < end - margin;
  }
};

// The zone's UTC offset at `utc`.
std::chrono::seconds OffsetAt(const date::time_zone* tz, SystemTimePoint utc) {
  thread_local OffsetPeriod last;
  if (last.Holds(tz, utc)) return last.offset;
  const auto info = tz->get_info(utc);
  last = OffsetPeriod(tz, info);
  return info.offset;
}

// Writes `value` as exactly `width` decimal digits (zero-padded, the lowest digits kept).
char* Digits(char* out, int value, int width) {
  unsigned v = value < 0 ? 0u : static_cast<unsigned>(value);
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

}  // namespace

bool IsValidTimeZone(std::string_view zone) { return FindZone(zone) != nullptr; }

Result<LocalDateTime> ToLocal(SystemTimePoint utc, std::string_view zone) {
  const date::time_zone* tz = FindZone(zone);
  if (tz == nullptr) return Fail(ErrorCode::kInvalidArgument, "unknown time zone");
  const auto offset = OffsetAt(tz, utc);
  const auto local = utc + offset;  // sys time shifted by the offset: the wall reading
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss hms{local - day};
  LocalDateTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(hms.hours().count());
  out.minute = static_cast<int>(hms.minutes().count());
  out.second = static_cast<int>(hms.seconds().count());
  out.weekday = static_cast<int>(date::weekday{day}.c_encoding());
  out.utc_offset_minutes =
      static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(offset).count());
  return out;
}

Result<SystemTimePoint> FromLocal(const LocalDateTime& local, std::string_view zone) {
  const date::time_zone* tz = FindZone(zone);
  if (tz == nullptr) return Fail(ErrorCode::kInvalidArgument, "unknown time zone");
  const date::year_month_day ymd{date::year{local.year},
                                 date::month{static_cast<unsigned>(local.month)},
                                 date::day{static_cast<unsigned>(local.day)}};
  if (!ymd.ok() || local.hour < 0 || local.hour > 23 || local.minute < 0 || local.minute > 59 ||
      local.second < 0 || local.second > 59) {
    return Fail(ErrorCode::kInvalidArgument, "impossible date or time");
  }
  const date::local_seconds wall = date::local_days{ymd} + std::chrono::hours{local.hour} +
                                   std::chrono::minutes{local.minute} +
                                   std::chrono::seconds{local.second};
  // The last period a wall time fell into: one more than a day inside it reads only one way
  // (a transition moves clocks by hours, not a day).
  thread_local OffsetPeriod last;
  if (last.zone == tz) {
    const date::sys_seconds utc{wall.time_since_epoch() - last.offset};
    if (last.Holds(tz, utc, std::chrono::hours(24))) {
      return std::chrono::time_point_cast<std::chrono::milliseconds>(utc);
    }
  }
  const auto info = tz->get_info(wall);
  if (info.result == date::local_info::unique) last = OffsetPeriod(tz, info.first);
  std::chrono::sys_seconds utc;
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // the earlier of the two instants
      utc = std::chrono::sys_seconds{wall.time_since_epoch() - info.first.offset};
      break;
    case date::local_info::nonexistent:
      // The clocks jump over this wall time; use the first instant after the jump.
      utc = std::chrono::time_point_cast<std::chrono::seconds>(info.second.begin);
      break;
  }
  return std::chrono::time_point_cast<std::chrono::milliseconds>(utc);
}

std::string FormatIso8601Utc(SystemTimePoint t) {
  // Written out by hand: every slot of every availability answer passes through here, and
  // date::format (iostreams and locales) was a measurable share of a cached answer's CPU.
  // Years 0000..9999, the ones the format has digits for; a stored time outside (any instant
  // fits the milliseconds) is shown at the nearest end rather than overflowing the day count.
  constexpr SystemTimePoint kFirst{std::chrono::milliseconds(-62'167'219'200'000)};
  constexpr SystemTimePoint kLast{std::chrono::milliseconds(253'402'300'799'999)};
  t = std::clamp(t, kFirst, kLast);
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  const auto in_day = (t - day).count();  // milliseconds since midnight
  // "YYYY-MM-DDTHH:MM:SS.mmmZ", digit by digit (snprintf was most of this function's cost).
  std::array<char, 24> out{};
  char* p = Digits(out.data(), year, 4);
  *p++ = '-';
  p = Digits(p, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  *p++ = '-';
  p = Digits(p, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  *p++ = 'T';
  p = Digits(p, static_cast<int>(in_day / 3600000), 2);
  *p++ = ':';
  p = Digits(p, static_cast<int>(in_day / 60000 % 60), 2);
  *p++ = ':';
  p = Digits(p, static_cast<int>(in_day / 1000 % 60), 2);
  *p++ = '.';
  p = Digits(p, static_cast<int>(in_day % 1000), 3);
  *p++ = 'Z';
  return std::string(out.data(), p);
}

Result<SystemTimePoint> ParseIso8601(std::string_view text) {
  // Accepted: YYYY-MM-DDTHH:MM[:SS[.fff...]](Z|±HH:MM|±HHMM)
  int y, mo, d, h, mi, consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &consumed) != 5 ||
      consumed != 16) {
    return Fail(ErrorCode::kInvalidArgument, "not an ISO 8601 date-time");
  }
  size_t pos = 16;
  int sec = 0;
  long long millis = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (pos + 3 > s.size() || !std::isdigit(static_cast<unsigned char>(s[pos + 1])) ||
        !std::isdigit(static_cast<unsigned char>(s[pos + 2]))) {
      return Fail(ErrorCode::kInvalidArgument, "bad seconds");
    }
    sec = (s[pos + 1] - '0') * 10 + (s[pos + 2] - '0');
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (digits < 3) millis = millis * 10 + (s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return Fail(ErrorCode::kInvalidArgument, "bad fraction");
      for (int i = digits; i < 3; ++i) millis *= 10;
    }
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    std::string rest = s.substr(pos + 1);
    if (rest.size() == 5 && rest[2] == ':' && std::sscanf(rest.c_str(), "%2d:%2d", &oh, &om) == 2) {
      pos += 6;
    } else if (rest.size() == 4 && std::sscanf(rest.c_str(), "%2d%2d", &oh, &om) == 2) {
      pos += 5;
    } else {
      return Fail(ErrorCode::kInvalidArgument, "bad UTC offset");
    }
    if (oh > 18 || om > 59) return Fail(ErrorCode::kInvalidArgument, "bad UTC offset");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return Fail(ErrorCode::kInvalidArgument, "missing UTC offset");
  }
  if (pos != s.size()) return Fail(ErrorCode::kInvalidArgument, "trailing characters");
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) {
    return Fail(ErrorCode::kInvalidArgument, "impossible date or time");
  }
  const auto t = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                 std::chrono::seconds{sec} + std::chrono::milliseconds{millis} -
                 std::chrono::minutes{offset_minutes};
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

std::string_view GermanWeekdayName(int weekday) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"};
  return kNames.at(static_cast<size_t>(((weekday % 7) + 7) % 7));
}

std::string_view GermanMonthName(int month) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "Januar", "Februar", "März",      "April",   "Mai",      "Juni",
      "Juli",   "August",  "September", "Oktober", "November", "Dezember"};
  if (month < 1 || month > 12) return "";
  return kNames[static_cast<size_t>(month - 1)];
}

std::string FormatGermanDate(const LocalDateTime& local) {
  std::string out(GermanWeekdayName(local.weekday));
  out.append(", ").append(std::to_string(local.day)).append(". ");
  out.append(GermanMonthName(local.month)).append(" ").append(std::to_string(local.year));
  return out;
}

std::string FormatLocalIsoMinute(const LocalDateTime& local) {
  char buf[16];
  char* p = Digits(buf, local.year, 4);
  *p++ = '-';
  p = Digits(p, local.month, 2);
  *p++ = '-';
  p = Digits(p, local.day, 2);
  *p++ = 'T';
  p = Digits(p, local.hour, 2);
  *p++ = ':';
  p = Digits(p, local.minute, 2);
  return std::string(buf, p);
}

std::string FormatClockTime(const LocalDateTime& local) {
  char buf[5];
  Digits(buf, local.hour % 100, 2);
  buf[2] = ':';
  Digits(buf + 3, local.minute % 100, 2);
  return std::string(buf, sizeof buf);
}

}  // namespace callgate
