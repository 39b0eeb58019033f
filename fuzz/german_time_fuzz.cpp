// Fuzz target: German date/time phrases (booking/german_time.hpp).
//
// Input: the date text, a newline, then the time text ("nächsten Dienstag\nhalb drei"); without
// a newline everything is the date text. Each input is parsed against fixed reference instants
// and zones (no clock reads: runs are deterministic): Thursday 26.11.2026 10:00 in Berlin (the
// unit tests' "now"), New Year's Eve 15:00, the night of the spring clock change, and 29.2.2028
// in Vienna.
//
// Invariants beyond "no crash":
//   - Success: a real calendar date, never before today and at most kMaxYearsAhead (10) years
//     ahead; minute of day in [0, 1440); a window with 0 <= from < to <= 1440; never both; a
//     span of 1..11 days (a week, or a third of a month: "Ende Januar" = 21.–31.); an implied
//     date ("only a time was said") is today or tomorrow.
//   - An exact time converts to an instant (WishToInstant) on the same local date.
//   - Failure: kInvalidArgument with one of the parser's fixed reasons (so it never echoes the
//     caller's words).
//   - The detailed parse (ParseGermanDateTimeDetailed) agrees: the same wish, or a refusal whose
//     detail is the error text; a bad time always asks for the time, a past or mismatched date
//     carries that date (past: before today) and its real weekday (mismatch).
//   - Case-insensitive, and umlauts/ß equal ae/oe/ue/ss: the upper-cased (ASCII) phrase and the
//     phrase with umlauts spelled out parse to the same result.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>

#include "agent/speech.hpp"
#include "booking/german_time.hpp"
#include "core/time_zone.hpp"

namespace {

namespace chr = std::chrono;
using callgate::SystemTimePoint;
using callgate::booking::DateTimeWish;
using callgate::booking::ParseGermanDateTime;
using callgate::booking::WishField;
using callgate::booking::WishRefusal;
using callgate::booking::WishRefusalReason;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Violation(what);
}

struct Reference {
  long long now_ms;
  std::string_view zone;
};

constexpr Reference kReferences[] = {
    {1795683600000LL, "Europe/Berlin"},  // 2026-11-26T09:00:00Z, Thursday 10:00 local
    {1798725600000LL, "Europe/Berlin"},  // 2026-12-31T14:00:00Z, Thursday 15:00 local
    {1774747800000LL, "Europe/Berlin"},  // 2026-03-29T01:30:00Z, 03:30 CEST after the jump
    {1835427600000LL, "Europe/Vienna"},  // 2028-02-29T09:00:00Z, Tuesday 10:00 local
};

std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// "ä" → "ae", "Ö" → "Oe", "ß" → "ss" (UTF-8).
std::string SpellOutUmlauts(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xC3 && i + 1 < s.size()) {
      const char* spelled = nullptr;
      switch (static_cast<unsigned char>(s[i + 1])) {
        case 0xA4:
          spelled = "ae";
          break;
        case 0x84:
          spelled = "Ae";
          break;
        case 0xB6:
          spelled = "oe";
          break;
        case 0x96:
          spelled = "Oe";
          break;
        case 0xBC:
          spelled = "ue";
          break;
        case 0x9C:
          spelled = "Ue";
          break;
        case 0x9F:
          spelled = "ss";
          break;
        default:
          break;
      }
      if (spelled != nullptr) {
        out += spelled;
        ++i;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Every reason the parser can give: the literals of Invalid("…") in german_time.cpp, extracted
// at configure time (fuzz/CMakeLists.txt).
constexpr std::string_view kReasons[] = {
#include "german_time_reasons.inc"
};

void CheckWish(const DateTimeWish& w, const Reference& ref) {
  const auto local_now = callgate::ToLocal(callgate::FromUnixMillis(ref.now_ms), ref.zone);
  Check(local_now.has_value(), "reference zone unknown");
  const chr::sys_days today{chr::year{local_now->year} / local_now->month / local_now->day};
  const chr::year_month_day ymd{chr::year{w.year}, chr::month{static_cast<unsigned>(w.month)},
                                chr::day{static_cast<unsigned>(w.day)}};
  Check(w.month >= 1 && w.month <= 12 && w.day >= 1 && w.day <= 31 && ymd.ok(),
        "not a calendar date");
  const chr::sys_days date{ymd};
  Check(date >= today, "a date in the past");
  Check(w.year <= local_now->year + 10, "more than 10 years ahead");
  Check(!(w.minute_of_day && w.window), "both an exact time and a window");
  if (w.minute_of_day) {
    Check(*w.minute_of_day >= 0 && *w.minute_of_day < 1440, "minute of day out of range");
  }
  if (w.window) {
    Check(w.window->from_minute >= 0 && w.window->from_minute < w.window->to_minute &&
              w.window->to_minute <= 1440,
          "window empty or outside the day");
  }
  Check(w.span_days >= 1 && w.span_days <= 11, "span outside 1..11 days");
  if (!w.date_was_said) {
    Check(date == today || date == today + chr::days{1}, "implied date not today or tomorrow");
    Check(w.minute_of_day || w.window, "neither date nor time");
  }
  if (w.minute_of_day) {
    auto instant = callgate::booking::WishToInstant(w, ref.zone);
    Check(instant.has_value(), "an exact wish has no instant");
    auto back = callgate::ToLocal(*instant, ref.zone);
    Check(back && back->year == w.year && back->month == w.month && back->day == w.day,
          "the instant is on another local date");
    (void)callgate::agent::SpokenDateTime(*instant, ref.zone, callgate::FromUnixMillis(ref.now_ms));
  }
}

void CheckRefusal(const WishRefusal& r, const Reference& ref) {
  Check(std::find(std::begin(kReasons), std::end(kReasons), r.detail) != std::end(kReasons),
        "refusal detail is not one of the parser's fixed reasons");
  if (r.reason == WishRefusalReason::kBadTime) {
    Check(r.field == WishField::kTime, "a bad time asks for the date");
  }
  Check(r.date.has_value() == r.date_weekday.has_value(), "a date without its weekday");
  if (r.reason == WishRefusalReason::kWeekdayMismatch) {
    Check(r.date.has_value(), "a weekday mismatch without the date");
  }
  if (r.date) {
    const chr::year_month_day ymd{chr::year{r.date->year},
                                  chr::month{static_cast<unsigned>(r.date->month)},
                                  chr::day{static_cast<unsigned>(r.date->day)}};
    Check(ymd.ok(), "the refused date is not a calendar date");
    Check(r.date_weekday == static_cast<int>(chr::weekday{chr::sys_days{ymd}}.c_encoding()),
          "the weekday is not the date's");
    if (r.reason == WishRefusalReason::kPast) {
      const auto local_now = callgate::ToLocal(callgate::FromUnixMillis(ref.now_ms), ref.zone);
      const chr::sys_days today{chr::year{local_now->year} / local_now->month / local_now->day};
      Check(chr::sys_days{ymd} < today, "a past date that is not before today");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view date_text = input.substr(0, newline);
  const std::string_view time_text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  for (const Reference& ref : kReferences) {
    const SystemTimePoint now = callgate::FromUnixMillis(ref.now_ms);
    auto wish = ParseGermanDateTime(date_text, time_text, now, ref.zone);
    if (wish) {
      CheckWish(*wish, ref);
    } else {
      const auto& e = wish.error();
      Check(e.code == callgate::ErrorCode::kInvalidArgument, "error is not kInvalidArgument");
      Check(std::find(std::begin(kReasons), std::end(kReasons), e.message) != std::end(kReasons),
            "error reason is not one of the parser's fixed reasons (echoes the caller?)");
    }

    auto detailed =
        callgate::booking::ParseGermanDateTimeDetailed(date_text, time_text, now, ref.zone);
    Check(detailed.has_value() == wish.has_value(), "the detailed parse disagrees");
    if (detailed) {
      Check(*detailed == *wish, "the detailed parse gives another wish");
    } else {
      CheckRefusal(detailed.error(), ref);
      Check(wish.error().message == detailed.error().detail, "the error text is not the detail");
    }

    const std::string upper_date = UpperAscii(date_text);
    const std::string upper_time = UpperAscii(time_text);
    auto upper = ParseGermanDateTime(upper_date, upper_time, now, ref.zone);
    Check(upper.has_value() == wish.has_value() && (!wish || *upper == *wish),
          "upper case changed the result");

    const std::string spelled_date = SpellOutUmlauts(date_text);
    const std::string spelled_time = SpellOutUmlauts(time_text);
    if (spelled_date.size() + spelled_time.size() <= 200) {
      auto spelled = ParseGermanDateTime(spelled_date, spelled_time, now, ref.zone);
      Check(spelled.has_value() == wish.has_value() && (!wish || *spelled == *wish),
            "spelling out umlauts changed the result");
    }
  }
  return 0;
}
