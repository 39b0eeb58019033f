#include "tenancy/model.hpp"

namespace callgate::tenancy {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayKeys = {"sun", "mon", "tue", "wed",
                                                          "thu", "fri", "sat"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Cal.com's CreateBookingAttendee.language enum (tests/reference/calcom-openapi-subset.json).
constexpr std::string_view kCalendarLanguages[] = {
    "ar", "ca", "de", "es", "eu",    "he",    "id",     "ja", "lv",    "pl", "ro",
    "sr", "th", "vi", "az", "cs",    "el",    "es-419", "fi", "hr",    "it", "km",
    "nl", "pt", "ru", "sv", "tr",    "zh-CN", "bg",     "da", "en",    "et", "fr",
    "hu", "iw", "ko", "no", "pt-BR", "sk",    "ta",     "uk", "zh-TW", "bn"};

bool Listed(std::string_view code) {
  for (auto listed : kCalendarLanguages) {
    if (listed == code) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> CalendarLanguage(std::string_view locale) {
  // Subtags: language lower-case, the rest as written ("zh-Hant-TW"); "_" separates too.
  std::vector<std::string> tags(1);
  for (char c : locale) {
    if (c == '-' || c == '_') {
      tags.emplace_back();
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) {
      tags.back().push_back(c);
    } else {
      return std::nullopt;
    }
  }
  for (const auto& tag : tags) {
    if (tag.empty() || tag.size() > 8) return std::nullopt;
  }
  auto lower = [](std::string t) {
    for (char& c : t) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return t;
  };
  auto upper = [](std::string t) {
    for (char& c : t) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return t;
  };
  const std::string language = lower(tags[0]);
  if (language.size() < 2 || language.size() > 3) return std::nullopt;
  std::string script, region;
  for (std::size_t i = 1; i < tags.size(); ++i) {
    if (tags[i].size() == 4 && script.empty() && region.empty()) {
      script = lower(tags[i]);
    } else if (region.empty() && (tags[i].size() == 2 || tags[i].size() == 3)) {
      region = upper(tags[i]);
    }
  }
  if (language == "zh") {
    const bool traditional = script == "hant" || region == "TW" || region == "HK" || region == "MO";
    return std::string(traditional ? "zh-TW" : "zh-CN");
  }
  if (language == "es" && !region.empty() && region != "ES") {
    // 419 (Latin America) and the Spanish-speaking countries of the Americas.
    constexpr std::array<std::string_view, 20> kAmericas = {
        "419", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU",
        "BO",  "DO", "HN", "PY", "SV", "NI", "CR", "PA", "UY", "PR"};
    for (auto r : kAmericas) {
      if (r == region) return std::string("es-419");
    }
  }
  if (language == "pt" && region == "BR") return std::string("pt-BR");
  if (language == "nb" || language == "nn") return std::string("no");
  if (Listed(language)) return language;
  return std::nullopt;
}

bool IsBranchRegion(std::string_view code) {
  if (code.empty()) return true;
  if (code.size() != 2) return false;
  for (std::size_t at = 0; at + 2 <= kBranchRegionCodes.size(); at += 4) {
    if (kBranchRegionCodes.substr(at, 2) == code) return true;
  }
  return false;
}

bool IsIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(text[i])) return false;
  }
  auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (year < 2000 || year > 2199 || month < 1 || month > 12 || day < 1) return false;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
}

std::optional<ClosingDaysProblem> CheckClosingDays(const ClosingDays& days) {
  constexpr std::string_view kDate = "must be a date YYYY-MM-DD (e.g. 2026-12-24)";
  if (!IsIsoDate(days.from)) return ClosingDaysProblem{"from", std::string(kDate)};
  if (!IsIsoDate(days.to)) return ClosingDaysProblem{"to", std::string(kDate)};
  // ISO dates compare like the days they name.
  if (days.to < days.from) return ClosingDaysProblem{"to", "must not be before from"};
  if (days.name.size() > kMaxClosingNameLength) {
    return ClosingDaysProblem{
        "name", "must be at most " + std::to_string(kMaxClosingNameLength) + " characters"};
  }
  return std::nullopt;
}

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
