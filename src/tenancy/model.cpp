#include "tenancy/model.hpp"

namespace callgate::tenancy {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayKeys = {"sun", "mon", "tue", "wed",
                                                          "thu", "fri", "sat"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<int> ParseClockMinutes(std::string_view text) {
  // Exactly "HH:MM": lenient forms ("9:00", "9") hide typos in tenant files.
  if (text.size() != 5 || text[2] != ':' || !IsDigit(text[0]) || !IsDigit(text[1]) ||
      !IsDigit(text[3]) || !IsDigit(text[4])) {
    return Fail(ErrorCode::kInvalidArgument,
                "clock time must be HH:MM, got \"" + std::string(text) + "\"");
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
    return Fail(ErrorCode::kInvalidArgument,
                "clock time out of range: \"" + std::string(text) + "\"");
  }
  return hours * 60 + minutes;
}

std::string FormatClockMinutes(int minutes) {
  const int hours = minutes / 60;
  const int rest = minutes % 60;
  return {static_cast<char>('0' + hours / 10), static_cast<char>('0' + hours % 10), ':',
          static_cast<char>('0' + rest / 10), static_cast<char>('0' + rest % 10)};
}

std::string_view WeekdayKey(int weekday) {
  return weekday >= 0 && weekday < 7 ? kWeekdayKeys[weekday] : std::string_view();
}

Result<int> ParseWeekdayKey(std::string_view key) {
  for (int i = 0; i < 7; ++i) {
    if (kWeekdayKeys[i] == key) return i;
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown weekday \"" + std::string(key) +
                                               "\" (expected mon, tue, wed, thu, fri, sat, sun)");
}

}  // namespace callgate::tenancy
