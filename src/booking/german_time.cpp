#include "booking/german_time.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "booking/holidays.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

namespace chr = std::chrono;

constexpr std::size_t kMaxPhraseBytes = 200;
constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMaxYearsAhead = 10;
constexpr int kMaxDaysAhead = 366;
// A year-less date whose latest occurrence is at most this many days ago is refused as past
// instead of being moved to next year ("1.12." said on 2.12.).
constexpr int kRecentPastDays = 60;

using enum WishRefusalReason;
using enum WishField;

template <typename T>
using Parsed = tl::expected<T, WishRefusal>;

Parsed<void> Done() { return {}; }

chr::year_month_day Ymd(int y, int m, int d) {
  return chr::year_month_day{chr::year{y}, chr::month{static_cast<unsigned>(m)},
                             chr::day{static_cast<unsigned>(d)}};
}

WishDate ToWishDate(chr::sys_days day) {
  const chr::year_month_day ymd{day};
  return WishDate{static_cast<int>(ymd.year()),
                  static_cast<int>(static_cast<unsigned>(ymd.month())),
                  static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// The one way a refusal is made. `detail` must be a string literal (fuzz/CMakeLists.txt
// collects them for the fuzz target's "never echoes the caller" invariant).
tl::unexpected<WishRefusal> Refuse(WishRefusalReason reason, WishField field,
                                   std::string_view detail,
                                   std::optional<chr::sys_days> day = std::nullopt) {
  WishRefusal refusal{reason, field, std::nullopt, std::nullopt, detail};
  if (day) {
    refusal.date = ToWishDate(*day);
    refusal.date_weekday = static_cast<int>(chr::weekday{*day}.c_encoding());
  }
  return tl::unexpected<WishRefusal>(refusal);
}

// ---------------------------------------------------------------------------------------------
// Words. Everything is compared after Normalize(): lower case, umlauts as ae/oe/ue, ß as ss.

enum class DayPart { kEarly, kForenoon, kNoon, kAfternoon, kEvening };

struct DayPartRule {
  TimeWindow window;  // what the part of day alone means
  TimeWindow fits;    // where a clock time qualified by it may lie ("8 Uhr abends")
};

DayPartRule RuleFor(DayPart part) {
  switch (part) {
    case DayPart::kEarly:
      return {{7 * 60, 10 * 60}, {4 * 60, 12 * 60}};
    case DayPart::kForenoon:
      return {{8 * 60, 12 * 60}, {6 * 60, 13 * 60}};
    case DayPart::kNoon:
      return {{11 * 60 + 30, 14 * 60}, {11 * 60, 15 * 60}};
    case DayPart::kAfternoon:
      return {{12 * 60, 18 * 60}, {12 * 60, 19 * 60}};
    case DayPart::kEvening:
      return {{17 * 60, 20 * 60}, {17 * 60, kMinutesPerDay}};
  }
  return {};
}

template <typename V>
using WordMap = std::unordered_map<std::string, V>;

template <typename V>
std::optional<V> Lookup(const WordMap<V>& map, std::string_view word) {
  const auto it = map.find(std::string(word));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

// Cardinal number words 0..59 ("zwoelf", "einundzwanzig", "dreissig").
const WordMap<int>& CardinalWords() {
  static const auto* const kMap = [] {
    auto* map = new WordMap<int>;
    const std::array<const char*, 20> units = {
        "null",     "eins",      "zwei",     "drei",     "vier",     "fuenf",   "sechs",
        "sieben",   "acht",      "neun",     "zehn",     "elf",      "zwoelf",  "dreizehn",
        "vierzehn", "fuenfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"};
    for (int n = 0; n < 20; ++n) (*map)[units[static_cast<std::size_t>(n)]] = n;
    (*map)["ein"] = 1;  // "ein Uhr"; the inflected forms only count things, see CountToken
    (*map)["zwo"] = 2;
    const std::array<const char*, 6> tens = {"", "", "zwanzig", "dreissig", "vierzig", "fuenfzig"};
    const std::array<const char*, 10> stems = {"",      "ein",   "zwei",   "drei", "vier",
                                               "fuenf", "sechs", "sieben", "acht", "neun"};
    for (int t = 2; t <= 5; ++t) {
      (*map)[tens[static_cast<std::size_t>(t)]] = 10 * t;
      for (int u = 1; u <= 9; ++u) {
        (*map)[std::string(stems[static_cast<std::size_t>(u)]) + "und" +
               tens[static_cast<std::size_t>(t)]] = 10 * t + u;
      }
    }
    return map;
  }();
  return *kMap;
}

// Ordinal words 1..31 in every ending ("ersten", "dritter", "einundzwanzigste").
const WordMap<int>& OrdinalWords() {
  static const auto* const kMap = [] {
    auto* map = new WordMap<int>;
    std::vector<std::pair<std::string, int>> bases = {
        {"erste", 1}, {"dritte", 3}, {"siebte", 7}, {"achte", 8}};
    for (const auto& [word, n] : CardinalWords()) {
      if (n < 2 || n > 31 || n == 3 || n == 8 || word == "zwo") continue;
      bases.emplace_back(word + (n < 20 ? "te" : "ste"), n);  // "zweite", "zwanzigste"
    }
    for (const auto& [base, n] : bases) {
      for (const char* ending : {"", "n", "r", "s", "m"}) (*map)[base + ending] = n;
    }
    return map;
  }();
  return *kMap;
}

const WordMap<int>& MonthWords() {
  static const auto* const kMap = new WordMap<int>{
      {"januar", 1},    {"jaenner", 1},  {"jan", 1},  {"februar", 2},   {"feber", 2},
      {"feb", 2},       {"maerz", 3},    {"marz", 3}, {"mrz", 3},       {"april", 4},
      {"apr", 4},       {"mai", 5},      {"juni", 6}, {"jun", 6},       {"juli", 7},
      {"jul", 7},       {"august", 8},   {"aug", 8},  {"september", 9}, {"sept", 9},
      {"sep", 9},       {"oktober", 10}, {"okt", 10}, {"november", 11}, {"nov", 11},
      {"dezember", 12}, {"dez", 12}};
  return *kMap;
}

// Weekday names → 0 = Sunday .. 6 = Saturday (like LocalDateTime::weekday).
const WordMap<int>& WeekdayWords() {
  static const auto* const kMap = [] {
    auto* map = new WordMap<int>;
    const std::array<std::pair<const char*, int>, 8> names = {{{"sonntag", 0},
                                                               {"montag", 1},
                                                               {"dienstag", 2},
                                                               {"mittwoch", 3},
                                                               {"donnerstag", 4},
                                                               {"freitag", 5},
                                                               {"samstag", 6},
                                                               {"sonnabend", 6}}};
    for (const auto& [name, wd] : names) {
      (*map)[name] = wd;
      (*map)[std::string(name) + "s"] = wd;  // "montags"
    }
    return map;
  }();
  return *kMap;
}

const WordMap<DayPart>& DayPartWords() {
  static const auto* const kMap = new WordMap<DayPart>{
      {"frueh", DayPart::kEarly},          {"morgens", DayPart::kEarly},
      {"fruehmorgens", DayPart::kEarly},   {"vormittag", DayPart::kForenoon},
      {"vormittags", DayPart::kForenoon},  {"mittag", DayPart::kNoon},
      {"mittags", DayPart::kNoon},         {"mittagszeit", DayPart::kNoon},
      {"nachmittag", DayPart::kAfternoon}, {"nachmittags", DayPart::kAfternoon},
      {"abend", DayPart::kEvening},        {"abends", DayPart::kEvening}};
  return *kMap;
}

// "diese/nächste/übernächste Woche" → weeks from the current calendar week.
const WordMap<int>& WeekModifierWords() {
  static const auto* const kMap = [] {
    auto* map = new WordMap<int>;
    const std::array<std::pair<const char*, int>, 4> stems = {
        {{"diese", 0}, {"naechste", 1}, {"kommende", 1}, {"uebernaechste", 2}}};
    for (const auto& [stem, offset] : stems) {
      for (const char* ending : {"", "n", "r", "s", "m"})
        (*map)[std::string(stem) + ending] = offset;
    }
    return map;
  }();
  return *kMap;
}

bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (word == option) return true;
  }
  return false;
}

bool IsPastWord(std::string_view word) {
  static const auto* const kWords = new std::unordered_set<std::string>{
      "gestern",     "vorgestern",  "letzte", "letzten", "letzter", "letztes", "vergangene",
      "vergangenen", "vergangener", "vorige", "vorigen", "voriger", "vorhin",  "neulich"};
  return kWords->count(std::string(word)) > 0;
}

// Words that carry nothing for the date or time; "um"/"am" are markers, see TryMarker.
bool IsFiller(std::string_view word) {
  static const auto* const kWords = new std::unordered_set<std::string>{
      "bitte",  "so",    "gerne", "gern", "also", "ja",       "dann", "mal",  "vielleicht",
      "rum",    "herum", "wenn",  "es",   "geht", "moeglich", "noch", "fuer", "lieber",
      "besten", "uhr",   "aeh",   "aehm", "ehm",  "hm",       "hmm",  "okay", "ok"};
  return kWords->count(std::string(word)) > 0;
}

// ---------------------------------------------------------------------------------------------
// Tokens.

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAsciiDigit(c)) return false;
  }
  return true;
}

int DigitsValue(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

constexpr std::string_view kSeparators = " \t\n\r,;!?\"'()/";

// Lower case, umlauts and ß folded to ASCII, separators to spaces. Unknown bytes stay and
// make the word unrecognizable (rejected later) instead of being silently dropped.
std::string Normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  const auto at = [&](std::size_t k) -> unsigned char {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0;
  };
  for (std::size_t k = 0; k < text.size(); ++k) {
    const unsigned char c = at(k);
    if (c < 0x80) {
      const char ascii = static_cast<char>(c);
      if (kSeparators.find(ascii) != std::string_view::npos) {
        out += ' ';
      } else {
        out += ascii >= 'A' && ascii <= 'Z' ? static_cast<char>(ascii - 'A' + 'a') : ascii;
      }
      continue;
    }
    if (c == 0xC3) {
      const unsigned char d = at(k + 1);
      const char* folded = nullptr;
      if (d == 0x84 || d == 0xA4) folded = "ae";
      if (d == 0x96 || d == 0xB6) folded = "oe";
      if (d == 0x9C || d == 0xBC) folded = "ue";
      if (d == 0x9F) folded = "ss";
      if (folded != nullptr) {
        out += folded;
        ++k;
        continue;
      }
    }
    if (c == 0xC2 && at(k + 1) == 0xA0) {  // no-break space
      out += ' ';
      ++k;
      continue;
    }
    if (c == 0xE1 && at(k + 1) == 0xBA && at(k + 2) == 0x9E) {  // capital ß
      out += "ss";
      k += 2;
      continue;
    }
    if (c == 0xE2 && at(k + 1) == 0x80) {
      const unsigned char d = at(k + 2);
      if (d == 0x93 || d == 0x94) {  // en/em dash as in "14–16 Uhr"
        out += '-';
        k += 2;
        continue;
      }
      if (d >= 0x98 && d <= 0x9E) {  // typographic quotes
        out += ' ';
        k += 2;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

// Splits glued forms the recognizer handles as separate words: "14uhr"/"14h", ISO "…t14:30",
// "dienstagnachmittag", "dreiviertel", and "14-16" (→ "zwischen 14 und 16").
void AppendRefined(std::string token, std::vector<std::string>& out) {
  while (!token.empty() && (token.back() == ':' || token.back() == '-')) token.pop_back();
  while (!token.empty() && token.front() == '-') token.erase(token.begin());
  if (!token.empty() && IsAsciiLetter(token.front())) {
    while (!token.empty() && token.back() == '.') token.pop_back();
  }
  if (token.find_first_not_of(".:-") == std::string::npos) return;  // punctuation only

  if (IsAsciiDigit(token.front())) {
    const std::size_t tail = token.find_first_not_of("0123456789.:-");
    if (tail != std::string::npos && tail > 0) {
      const std::string head = token.substr(0, tail);
      const std::string rest = token.substr(tail);
      if (rest == "uhr" || rest == "h") {
        out.push_back(head);
        out.push_back("uhr");
        return;
      }
      if (rest.size() > 1 && rest[0] == 't' && head.size() == 10 && head[4] == '-') {
        out.push_back(head);
        out.push_back(rest.substr(1));
        return;
      }
    }
    const std::size_t dash = token.find('-');
    if (dash != std::string::npos && dash <= 2 && token.size() - dash - 1 <= 2 &&
        AllDigits(token.substr(0, dash)) && AllDigits(token.substr(dash + 1))) {
      out.insert(out.end(), {"zwischen", token.substr(0, dash), "und", token.substr(dash + 1)});
      return;
    }
  }
  if (token == "dreiviertel") {
    out.insert(out.end(), {"drei", "viertel"});
    return;
  }
  for (const auto& [name, wd] : WeekdayWords()) {
    if (token.size() <= name.size() || token.compare(0, name.size(), name) != 0) continue;
    std::string rest = token.substr(name.size());
    if (rest == "morgen") rest = "morgens";  // "Montagmorgen"
    if (DayPartWords().count(rest) > 0) {
      out.push_back(name);
      out.push_back(rest);
      return;
    }
  }
  out.push_back(std::move(token));
}

std::vector<std::string> Tokenize(std::string_view text) {
  const std::string normalized = Normalize(text);
  std::vector<std::string> tokens;
  std::size_t k = 0;
  while (k < normalized.size()) {
    const std::size_t start = normalized.find_first_not_of(' ', k);
    if (start == std::string::npos) break;
    const std::size_t end = std::min(normalized.find(' ', start), normalized.size());
    AppendRefined(normalized.substr(start, end - start), tokens);
    k = end;
  }
  return tokens;
}

// A number as said: digits (with a leading-zero flag) or a cardinal word.
struct Number {
  int value = 0;
  bool leading_zero = false;
};

std::optional<Number> NumberToken(std::string_view token, std::size_t max_digits = 2) {
  if (AllDigits(token)) {
    if (token.size() > max_digits) return std::nullopt;
    return Number{DigitsValue(token), token.size() > 1 && token[0] == '0'};
  }
  if (auto n = Lookup(CardinalWords(), token)) return Number{*n, false};
  return std::nullopt;
}

// How many days/weeks: NumberToken plus "eine/einer/einem/einen" ("in einer Woche").
std::optional<int> CountToken(std::string_view token) {
  if (IsOneOf(token, {"eine", "einer", "einem", "einen"})) return 1;
  if (auto n = NumberToken(token, 3)) return n->value;
  return std::nullopt;
}

// "15.1.", "15.01.2027", "14.30", "9." → the digit groups and whether a dot ends the token.
struct Dotted {
  std::vector<std::string> parts;
  bool trailing_dot = false;
};

std::optional<Dotted> SplitDotted(std::string_view token) {
  if (token.empty() || !IsAsciiDigit(token.front()) || token.find('.') == std::string::npos) {
    return std::nullopt;
  }
  Dotted dotted;
  dotted.trailing_dot = token.back() == '.';
  if (dotted.trailing_dot) token.remove_suffix(1);
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = token.find('.', start);
    const std::string_view part = token.substr(start, dot - start);
    if (!AllDigits(part) || part.size() > 4) return std::nullopt;
    dotted.parts.emplace_back(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return dotted;
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers (std::chrono calendar types; zones stay in core/time_zone).

int WeekdayOf(chr::sys_days day) { return static_cast<int>(chr::weekday{day}.c_encoding()); }

// Days since this week's Monday (0 = Monday .. 6 = Sunday).
int DaysSinceMonday(chr::sys_days day) { return (WeekdayOf(day) + 6) % 7; }

int MaxDaysIn(int month) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[static_cast<std::size_t>(month - 1)];
}

// ---------------------------------------------------------------------------------------------
// What one or both phrases said, before it is combined into a DateTimeWish.

// A clock time as said. `twelve_hour`: the hour was said as 1..12 without a leading zero, so
// whether it is am or pm is still open.
struct SpokenTime {
  int hour = 0;
  int minute = 0;
  bool twelve_hour = false;
};

struct SpokenRange {
  std::optional<SpokenTime> from;  // empty: from midnight ("bis 12")
  std::optional<SpokenTime> to;    // empty: until midnight ("ab 14 Uhr")
  int from_shift = 0;              // minutes ("kurz vor zehn" = [10:00 - 15, 10:00))
  int to_shift = 0;
};

struct DatePiece {
  chr::sys_days day;
  bool rolled = false;
  bool day_word = false;  // "heute", "morgen", "übermorgen": may anchor "in einer Woche"
};

// A stretch of days: "Ende nächster Woche", "Anfang Januar", "Weihnachten".
struct Period {
  chr::sys_days first;
  int span_days = 1;
  bool rolled = false;
};

enum class WeekdayMode { kAfterToday, kTodayOrLater, kWeekAfterNext };

struct Findings {
  std::vector<DatePiece> dates;
  std::optional<std::pair<int, WeekdayMode>> weekday;
  std::optional<int> week_offset;
  std::vector<SpokenTime> times;
  std::vector<DayPart> parts;
  std::vector<SpokenRange> ranges;
  std::optional<int> shift_days;  // "in einer Woche": days after the anchor day (or today)
  std::optional<Period> period;
  bool vague = false;  // "bald", "irgendwann": refused only when nothing concrete was said

  bool Empty() const {
    return dates.empty() && !weekday && !week_offset && times.empty() && parts.empty() &&
           ranges.empty() && !shift_days && !period;
  }
};

// `said` is the hour word; `back` is 1 when the phrase counts towards it ("halb drei" = 2:30).
Parsed<SpokenTime> TimeFromHour(Number said, int back, int minute) {
  if (said.value > 24 || (back == 0 && said.value > 23)) {
    return Refuse(kBadTime, kTime, "hour out of range");
  }
  if (minute < 0 || minute > 59) return Refuse(kBadTime, kTime, "minute out of range");
  int hour = said.value - back;
  if (hour < 0) return Refuse(kBadTime, kTime, "hour out of range");
  const bool twelve_hour = !said.leading_zero && said.value >= 1 && said.value <= 12;
  if (twelve_hour && hour == 0) hour = 12;  // "halb eins" = 12:30
  return SpokenTime{hour, minute, twelve_hour};
}

// Minutes after midnight, choosing am/pm for a twelve-hour reading (see the header).
Parsed<int> ResolveTime(const SpokenTime& t, std::optional<DayPart> part) {
  int hour = t.hour;
  if (t.twelve_hour) {
    if (!part) {
      if (hour <= 6) hour += 12;
    } else if (*part == DayPart::kNoon) {
      if (hour <= 5) hour += 12;
    } else if (*part == DayPart::kAfternoon || *part == DayPart::kEvening) {
      if (hour < 12) hour += 12;
    }
  }
  const int minute = hour * 60 + t.minute;
  if (part) {
    const TimeWindow fits = RuleFor(*part).fits;
    if (minute < fits.from_minute || minute >= fits.to_minute) {
      return Refuse(kBadTime, kTime, "the time does not fit the part of day");
    }
  }
  return minute;
}

// ---------------------------------------------------------------------------------------------
// The recognizer: one pass over the tokens of one argument; every token must be understood.

class PhraseParser {
 public:
  PhraseParser(std::vector<std::string> tokens, bool time_field, chr::sys_days today,
               Findings& found)
      : tokens_(std::move(tokens)), time_field_(time_field), today_(today), found_(found) {}

  Parsed<void> Run() {
    using Step = Parsed<bool> (PhraseParser::*)();
    static constexpr std::array<Step, 14> kSteps = {
        &PhraseParser::TryPast,    &PhraseParser::TryNamedDay, &PhraseParser::TryPeriod,
        &PhraseParser::TryVague,   &PhraseParser::TryMarker,   &PhraseParser::TryIn,
        &PhraseParser::TryDayWord, &PhraseParser::TryWeek,     &PhraseParser::TryWeekday,
        &PhraseParser::TryDayPart, &PhraseParser::TryRange,    &PhraseParser::TryTime,
        &PhraseParser::TryDate,    &PhraseParser::TryFiller};
    while (pos_ < tokens_.size()) {
      bool matched = false;
      for (Step step : kSteps) {
        Parsed<bool> r = (this->*step)();
        if (!r) return tl::unexpected(std::move(r.error()));
        if (*r) {
          matched = true;
          break;
        }
      }
      if (!matched) {
        return Refuse(kNotUnderstood, time_field_ || marker_ == Marker::kTime ? kTime : kDate,
                      "unrecognized words");
      }
    }
    return Done();
  }

 private:
  enum class Marker { kNone, kTime, kDay };

  struct TimeMatch {
    SpokenTime time;
    std::size_t next = 0;
  };

  std::string_view Tok(std::size_t k) const {
    return k < tokens_.size() ? std::string_view(tokens_[k]) : std::string_view();
  }

  // After a construct: markers are used up; remember whether it was a date ("Dienstag morgen").
  void Consumed(std::size_t next, bool was_date) {
    pos_ = next;
    marker_ = Marker::kNone;
    after_date_ = was_date;
  }

  bool BareNumbersAreHours() const {
    return marker_ == Marker::kTime || (time_field_ && marker_ != Marker::kDay);
  }

  // "gestern" and "vorgestern" carry their date; "letzten Freitag" and the like do not.
  Parsed<bool> TryPast() {
    const std::string_view t = Tok(pos_);
    if (!IsPastWord(t)) return false;
    std::optional<chr::sys_days> day;
    if (t == "gestern") day = today_ - chr::days{1};
    if (t == "vorgestern") day = today_ - chr::days{2};
    return Refuse(kPast, kDate, "dates in the past cannot be booked", day);
  }

  // "um 9" / "gegen 9": the next number is an hour. "am 15" / "den 15.": a day.
  Parsed<bool> TryMarker() {
    const std::string_view t = Tok(pos_);
    if (t == "am" && Tok(pos_ + 1) == "morgen") {  // "am Morgen" = in the morning
      found_.parts.push_back(DayPart::kEarly);
      Consumed(pos_ + 2, false);
      return true;
    }
    if (IsOneOf(t, {"um", "gegen", "ca", "circa", "zirka", "etwa", "ungefaehr", "punkt"})) {
      marker_ = Marker::kTime;
    } else if (IsOneOf(t, {"am", "an", "den", "dem", "der", "zum"}) ||
               (t == "im" && MonthWords().count(std::string(Tok(pos_ + 1))) > 0)) {
      marker_ = Marker::kDay;
    } else {
      return false;
    }
    ++pos_;
    return true;
  }

  // "in der Früh", "in der nächsten Woche", "in 3 Tagen", "in einer Woche".
  Parsed<bool> TryIn() {
    if (Tok(pos_) != "in") return false;
    if (Tok(pos_ + 1) == "der" && Tok(pos_ + 2) == "frueh") {
      found_.parts.push_back(DayPart::kEarly);
      Consumed(pos_ + 3, false);
      return true;
    }
    std::size_t k = pos_ + 1;
    if (Tok(k) == "der") ++k;
    if (auto offset = Lookup(WeekModifierWords(), Tok(k)); offset && Tok(k + 1) == "woche") {
      if (Parsed<void> s = SetWeek(*offset); !s) return tl::unexpected(s.error());
      Consumed(k + 2, true);
      return true;
    }
    const auto count = CountToken(Tok(pos_ + 1));
    const std::string_view unit = Tok(pos_ + 2);
    if (!count) return false;
    int days = 0;
    if (IsOneOf(unit, {"tag", "tage", "tagen"})) {
      days = *count == 8 ? 7 : *count;  // "in acht Tagen" means in a week
    } else if (IsOneOf(unit, {"woche", "wochen"})) {
      days = 7 * *count;
    } else {
      return false;
    }
    if (days < 1) return Refuse(kNotUnderstood, kDate, "a relative date must lie in the future");
    if (days > kMaxDaysAhead) {
      return Refuse(kTooFarAhead, kDate, "the date is too far in the future");
    }
    if (found_.shift_days && *found_.shift_days != days) {
      return Refuse(kConflicting, kDate, "conflicting dates");
    }
    found_.shift_days = days;
    Consumed(pos_ + 3, true);
    return true;
  }

  Parsed<bool> TryDayWord() {
    const std::string_view t = Tok(pos_);
    if (t == "heute") {
      found_.dates.push_back({today_, false, true});
    } else if (t == "morgen" && after_date_) {  // "heute morgen", "Dienstag morgen"
      found_.parts.push_back(DayPart::kEarly);
      Consumed(pos_ + 1, false);
      return true;
    } else if (t == "morgen") {
      found_.dates.push_back({today_ + chr::days{1}, false, true});
    } else if (t == "uebermorgen") {
      found_.dates.push_back({today_ + chr::days{2}, false, true});
    } else {
      return false;
    }
    Consumed(pos_ + 1, true);
    return true;
  }

  // "nächste Woche", "diese Woche", "nächsten Dienstag", "diesen Freitag", "kommenden Montag".
  Parsed<bool> TryWeek() {
    const auto offset = Lookup(WeekModifierWords(), Tok(pos_));
    if (!offset) return false;
    if (Tok(pos_ + 1) == "woche") {
      if (Parsed<void> s = SetWeek(*offset); !s) return tl::unexpected(s.error());
      Consumed(pos_ + 2, true);
      return true;
    }
    if (auto wd = Lookup(WeekdayWords(), Tok(pos_ + 1))) {
      const WeekdayMode mode = *offset == 0   ? WeekdayMode::kTodayOrLater
                               : *offset == 1 ? WeekdayMode::kAfterToday
                                              : WeekdayMode::kWeekAfterNext;
      if (Parsed<void> s = SetWeekday(*wd, mode); !s) return tl::unexpected(s.error());
      Consumed(pos_ + 2, true);
      return true;
    }
    return false;
  }

  Parsed<bool> TryWeekday() {
    const auto wd = Lookup(WeekdayWords(), Tok(pos_));
    if (!wd) return false;
    if (Parsed<void> s = SetWeekday(*wd, WeekdayMode::kAfterToday); !s) {
      return tl::unexpected(s.error());
    }
    Consumed(pos_ + 1, true);
    return true;
  }

  Parsed<bool> TryDayPart() {
    const auto part = Lookup(DayPartWords(), Tok(pos_));
    if (!part) return false;
    found_.parts.push_back(*part);
    Consumed(pos_ + 1, false);
    return true;
  }

  // "kurz nach zehn", "ab 14 Uhr", "bis 12", "nach 15 Uhr", "vor 9", "zwischen 14 und 16 Uhr",
  // "von 9 bis 11".
  Parsed<bool> TryRange() {
    const std::string_view t = Tok(pos_);
    SpokenRange range;
    std::size_t next = 0;
    if (t == "kurz" && IsOneOf(Tok(pos_ + 1), {"nach", "vor"})) {
      auto m = ParseTime(pos_ + 2, true);
      if (!m) return tl::unexpected(std::move(m.error()));
      if (!*m) return Refuse(kBadTime, kTime, "expected a clock time");
      range.from = range.to = (*m)->time;
      if (Tok(pos_ + 1) == "nach") {
        range.to_shift = 15;
      } else {
        range.from_shift = -15;
      }
      next = (*m)->next;
    } else if (IsOneOf(t, {"ab", "nach", "vor", "bis"})) {
      auto m = ParseTime(pos_ + 1, true);
      if (!m) return tl::unexpected(std::move(m.error()));
      if (!*m) {
        if (t != "ab") return false;
        ++pos_;  // "ab morgen": from that day on, which is that day
        return true;
      }
      (t == "ab" || t == "nach" ? range.from : range.to) = (*m)->time;
      next = (*m)->next;
    } else if (IsOneOf(t, {"zwischen", "von"})) {
      auto first = ParseTime(pos_ + 1, true);
      if (!first) return tl::unexpected(std::move(first.error()));
      if (!*first && t == "von") return false;
      if (!*first) return Refuse(kBadTime, kTime, "expected a clock time");
      const std::size_t joint = (*first)->next;
      if (Tok(joint) != (t == "zwischen" ? "und" : "bis")) {
        return Refuse(kBadTime, kTime, "incomplete time range");
      }
      auto second = ParseTime(joint + 1, true);
      if (!second) return tl::unexpected(std::move(second.error()));
      if (!*second) return Refuse(kBadTime, kTime, "incomplete time range");
      range.from = (*first)->time;
      range.to = (*second)->time;
      next = (*second)->next;
    } else {
      return false;
    }
    found_.ranges.push_back(range);
    Consumed(next, false);
    return true;
  }

  Parsed<bool> TryTime() {
    auto m = ParseTime(pos_, BareNumbersAreHours());
    if (!m) return tl::unexpected(std::move(m.error()));
    if (!*m) return false;
    found_.times.push_back((*m)->time);
    Consumed((*m)->next, false);
    return true;
  }

  // A clock time starting at token k, or nullopt. `bare`: a lone number ("um 9") is an hour.
  Parsed<std::optional<TimeMatch>> ParseTime(std::size_t k, bool bare) const {
    const auto skip_uhr = [&](std::size_t j) { return Tok(j) == "uhr" ? j + 1 : j; };
    const auto hour_at = [&](std::size_t j) -> Parsed<Number> {
      auto n = NumberToken(Tok(j));
      if (!n) return Refuse(kBadTime, kTime, "expected an hour");
      return *n;
    };
    const auto match = [&](Number said, int back, int minute,
                           std::size_t next) -> Parsed<std::optional<TimeMatch>> {
      auto t = TimeFromHour(said, back, minute);
      if (!t) return tl::unexpected(std::move(t.error()));
      return TimeMatch{*t, skip_uhr(next)};
    };
    const std::string_view t = Tok(k);

    if (t == "halb") {
      auto h = hour_at(k + 1);
      if (!h) return tl::unexpected(std::move(h.error()));
      return match(*h, 1, 30, k + 2);
    }
    if (t == "viertel" || (t == "drei" && Tok(k + 1) == "viertel")) {
      const bool three = t == "drei";
      const std::size_t j = three ? k + 2 : k + 1;
      if (!three && (Tok(j) == "nach" || Tok(j) == "vor")) {
        auto h = hour_at(j + 1);
        if (!h) return tl::unexpected(std::move(h.error()));
        return Tok(j) == "nach" ? match(*h, 0, 15, j + 2) : match(*h, 1, 45, j + 2);
      }
      auto h = hour_at(j);
      if (!h) return tl::unexpected(std::move(h.error()));
      return match(*h, 1, three ? 45 : 15, j + 1);  // "drei viertel elf", "viertel elf"
    }
    if (auto n = NumberToken(t)) {
      // "zehn nach drei", "fünf vor halb drei"
      if (IsOneOf(Tok(k + 1), {"nach", "vor"})) {
        std::size_t j = k + 2;
        const bool half = Tok(j) == "halb";
        if (half) ++j;
        auto h = NumberToken(Tok(j));
        if (h && n->value >= 1 && n->value <= (half ? 14 : 29)) {
          const bool after = Tok(k + 1) == "nach";
          if (half) return match(*h, 1, after ? 30 + n->value : 30 - n->value, j + 1);
          return after ? match(*h, 0, n->value, j + 1) : match(*h, 1, 60 - n->value, j + 1);
        }
      }
      // "14 Uhr", "vierzehn Uhr dreißig"
      if (Tok(k + 1) == "uhr") {
        std::size_t next = k + 2;
        int minute = 0;
        if (auto m = NumberToken(Tok(next)); m && !MonthWords().count(std::string(Tok(next + 1)))) {
          minute = m->value;
          ++next;
        }
        return match(*n, 0, minute, next);
      }
      if (bare && !MonthWords().count(std::string(Tok(k + 1)))) return match(*n, 0, 0, k + 1);
      return std::optional<TimeMatch>();
    }
    if (t.find(':') != std::string_view::npos && !t.empty() && IsAsciiDigit(t.front())) {
      return ParseColonTime(t, skip_uhr(k + 1));
    }
    if (auto dotted = SplitDotted(t)) {
      const auto& p = dotted->parts;
      // "14.30 Uhr", "um 14.30", "14.30" (no month 30); "1.12" stays a date.
      if (p.size() == 2 && !dotted->trailing_dot && p[0].size() <= 2 && p[1].size() == 2) {
        const int a = DigitsValue(p[0]);
        const int b = DigitsValue(p[1]);
        const bool forced = Tok(k + 1) == "uhr";
        if (forced || bare || (b > 12 && b <= 59 && a <= 23)) {
          return match(Number{a, p[0].size() > 1 && p[0][0] == '0'}, 0, b, k + 1);
        }
      }
      // "um 9." at the end of a sentence
      if (p.size() == 1 && dotted->trailing_dot && bare && p[0].size() <= 2 &&
          !MonthWords().count(std::string(Tok(k + 1)))) {
        return match(Number{DigitsValue(p[0]), p[0].size() > 1 && p[0][0] == '0'}, 0, 0, k + 1);
      }
    }
    return std::optional<TimeMatch>();
  }

  static Parsed<std::optional<TimeMatch>> ParseColonTime(std::string_view t, std::size_t next) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
      const std::size_t colon = t.find(':', start);
      parts.push_back(t.substr(start, colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (parts.size() > 3 || !AllDigits(parts[0]) || parts[0].size() > 2 || !AllDigits(parts[1]) ||
        parts[1].size() != 2 || (parts.size() == 3 && (parts[2] != "00"))) {
      return Refuse(kBadTime, kTime, "not a clock time");
    }
    auto time =
        TimeFromHour(Number{DigitsValue(parts[0]), parts[0].size() > 1 && parts[0][0] == '0'}, 0,
                     DigitsValue(parts[1]));
    if (!time) return tl::unexpected(std::move(time.error()));
    return TimeMatch{*time, next};
  }

  // "2026-12-01", "15.1.", "15.01.2027", "15.1.27", "1.12", "15. Januar", "3 März 2027",
  // "am ersten Dezember", "am 15.".
  Parsed<bool> TryDate() {
    const std::string_view t = Tok(pos_);
    if (t.size() >= 8 && t.size() <= 10 && t[4] == '-') {
      const std::size_t dash = t.find('-', 5);
      const std::string_view y = t.substr(0, 4);
      const std::string_view m = t.substr(5, dash - 5);
      const std::string_view d = dash == std::string_view::npos ? "" : t.substr(dash + 1);
      if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d) || m.size() > 2 || d.size() > 2) {
        return Refuse(kNotUnderstood, kDate, "not a date");
      }
      return AddExplicitDate(DigitsValue(y), DigitsValue(m), DigitsValue(d), pos_ + 1);
    }
    std::optional<int> day;
    if (auto dotted = SplitDotted(t)) {
      const auto& p = dotted->parts;
      if (p[0].size() > 2) return Refuse(kNotUnderstood, kDate, "not a date");
      if (p.size() == 3) {
        if (p[1].size() > 2 || (p[2].size() != 2 && p[2].size() != 4)) {
          return Refuse(kNotUnderstood, kDate, "not a date");
        }
        const int year = DigitsValue(p[2]) + (p[2].size() == 2 ? 2000 : 0);
        return AddExplicitDate(year, DigitsValue(p[1]), DigitsValue(p[0]), pos_ + 1);
      }
      if (p.size() == 2) {
        if (p[1].size() > 2) return Refuse(kNotUnderstood, kDate, "not a date");
        return AddYearlessDate(DigitsValue(p[0]), DigitsValue(p[1]), pos_ + 1);
      }
      if (p.size() > 3) return Refuse(kNotUnderstood, kDate, "not a date");
      day = DigitsValue(p[0]);
    } else if (auto ordinal = Lookup(OrdinalWords(), t)) {
      day = *ordinal;
    } else if (auto n = NumberToken(t)) {
      day = n->value;
    } else if (MonthWords().count(std::string(t)) > 0) {
      return Refuse(kTooVague, kDate, "a month alone is too vague, a day is needed");
    } else {
      return false;
    }
    if (auto month = Lookup(MonthWords(), Tok(pos_ + 1))) {
      const std::string_view year = Tok(pos_ + 2);
      if (AllDigits(year) && year.size() == 4) {
        return AddExplicitDate(DigitsValue(year), *month, *day, pos_ + 3);
      }
      return AddYearlessDate(*day, *month, pos_ + 2);
    }
    return AddDayOfMonth(*day, pos_ + 1);
  }

  Parsed<bool> TryFiller() {
    if (!IsFiller(Tok(pos_))) return false;
    ++pos_;
    return true;
  }

  static Parsed<void> CheckDayMonth(int day, int month) {
    if (month < 1 || month > 12) return Refuse(kNoSuchDate, kDate, "no such month");
    if (day < 1 || day > MaxDaysIn(month)) {
      return Refuse(kNoSuchDate, kDate, "no such day in that month");
    }
    return Done();
  }

  Parsed<bool> AddExplicitDate(int y, int m, int d, std::size_t next) {
    if (Parsed<void> s = CheckDayMonth(d, m); !s) return tl::unexpected(s.error());
    const auto ymd = Ymd(y, m, d);
    if (!ymd.ok()) return Refuse(kNoSuchDate, kDate, "no such date");
    const chr::sys_days day{ymd};
    if (day < today_) return Refuse(kPast, kDate, "the date is in the past", day);
    if (y > static_cast<int>(chr::year_month_day{today_}.year()) + kMaxYearsAhead) {
      return Refuse(kTooFarAhead, kDate, "the date is too far in the future");
    }
    found_.dates.push_back({day, false, false});
    Consumed(next, true);
    return true;
  }

  // The first such date on or after today (29.2. waits for a leap year), unless its latest
  // occurrence lies at most kRecentPastDays ago: then that one was meant, and it is over.
  Parsed<bool> AddYearlessDate(int d, int m, std::size_t next) {
    if (Parsed<void> s = CheckDayMonth(d, m); !s) return tl::unexpected(s.error());
    const int this_year = static_cast<int>(chr::year_month_day{today_}.year());
    for (int y = this_year; y >= this_year - 8; --y) {
      const auto ymd = Ymd(y, m, d);
      if (!ymd.ok() || chr::sys_days{ymd} >= today_) continue;
      if (today_ - chr::sys_days{ymd} <= chr::days{kRecentPastDays}) {
        return Refuse(kPast, kDate, "the date has just passed", chr::sys_days{ymd});
      }
      break;
    }
    for (int y = this_year; y <= this_year + 8; ++y) {
      const auto ymd = Ymd(y, m, d);
      if (ymd.ok() && chr::sys_days{ymd} >= today_) {
        found_.dates.push_back({chr::sys_days{ymd}, y != this_year, false});
        Consumed(next, true);
        return true;
      }
    }
    return Refuse(kNoSuchDate, kDate, "no such date");
  }

  // "am 15.": this month if still ahead, else the next month that has that day.
  Parsed<bool> AddDayOfMonth(int d, std::size_t next) {
    if (d < 1 || d > 31) return Refuse(kNoSuchDate, kDate, "no such day in that month");
    const chr::year_month_day now{today_};
    for (int ahead = 0; ahead <= 12; ++ahead) {
      const chr::year_month ym = chr::year_month{now.year(), now.month()} + chr::months{ahead};
      const chr::year_month_day ymd{ym.year(), ym.month(), chr::day{static_cast<unsigned>(d)}};
      if (ymd.ok() && chr::sys_days{ymd} >= today_) {
        found_.dates.push_back({chr::sys_days{ymd}, ahead > 0, false});
        Consumed(next, true);
        return true;
      }
    }
    return Refuse(kNoSuchDate, kDate, "no such day in that month");
  }

  // [first, first + span) as the wish's days ("Ende nächster Woche", "Weihnachten").
  Parsed<bool> AddPeriod(Period period, std::size_t next) {
    if (found_.period &&
        (found_.period->first != period.first || found_.period->span_days != period.span_days)) {
      return Refuse(kConflicting, kDate, "conflicting dates");
    }
    found_.period = period;
    Consumed(next, true);
    return true;
  }

  // part 0/1/2 = Anfang (Mo–Di), Mitte (Di–Do), Ende (Do–Sa) of the week `offset` weeks ahead;
  // without a modifier this week's, or next week's once this week's are over.
  Parsed<bool> AddWeekPart(int part, std::optional<int> offset, std::size_t next) {
    static constexpr std::array<std::pair<int, int>, 3> kDays = {{{0, 2}, {1, 4}, {3, 6}}};
    const auto [from, to] = kDays[static_cast<std::size_t>(part)];
    const chr::sys_days monday =
        today_ - chr::days{DaysSinceMonday(today_)} + chr::days{7 * offset.value_or(0)};
    chr::sys_days first = monday + chr::days{from};
    chr::sys_days end = monday + chr::days{to};
    if (end <= today_) {
      if (offset) return Refuse(kPast, kDate, "that part of the week is over", first);
      first += chr::days{7};
      end += chr::days{7};
    }
    first = std::max(first, today_);
    return AddPeriod({first, static_cast<int>((end - first).count()), false}, next);
  }

  // part 0/1/2 = Anfang (1.–10.), Mitte (11.–20.), Ende (21.–last) of a month. `roll`: once
  // over, the next occurrence is meant (a month name said without a year, or "des Monats"),
  // except when it ended at most kRecentPastDays ago ("Anfang November" on 26.11.).
  Parsed<bool> AddMonthPart(int part, chr::year_month ym, bool roll, bool by_name,
                            std::size_t next) {
    const auto window = [part](chr::year_month m) {
      const unsigned first_day = part == 0 ? 1 : part == 1 ? 11 : 21;
      const chr::sys_days first{m / chr::day{first_day}};
      const chr::sys_days last = part == 2 ? chr::sys_days{m / chr::last} : first + chr::days{9};
      return std::pair{first, last + chr::days{1}};
    };
    auto [first, end] = window(ym);
    bool rolled = false;
    if (end <= today_) {
      if (!roll || (by_name && today_ - end < chr::days{kRecentPastDays})) {
        return Refuse(kPast, kDate, "that part of the month is over", first);
      }
      std::tie(first, end) = window(ym + (by_name ? chr::months{12} : chr::months{1}));
      rolled = true;
    }
    if (chr::year_month_day{first}.year() >
        chr::year_month_day{today_}.year() + chr::years{kMaxYearsAhead}) {
      return Refuse(kTooFarAhead, kDate, "the date is too far in the future");
    }
    first = std::max(first, today_);
    return AddPeriod({first, static_cast<int>((end - first).count()), rolled}, next);
  }

  // "Wochenende", "dieses Wochenende": Saturday and Sunday of this week, from today on (said
  // on a Sunday: today). "nächstes Wochenende": the weekend whose Saturday is the first one
  // strictly after today, like "nächsten Samstag"; "übernächstes" a week later.
  Parsed<bool> TryWeekend() {
    std::size_t k = pos_;
    const auto offset = Lookup(WeekModifierWords(), Tok(k));
    if (offset) ++k;
    if (Tok(k) != "wochenende") return false;
    chr::sys_days saturday = today_ - chr::days{DaysSinceMonday(today_)} + chr::days{5};
    if (offset.value_or(0) > 0) {
      if (saturday <= today_) saturday += chr::days{7};
      saturday += chr::days{7 * (*offset - 1)};
    }
    const chr::sys_days first = std::max(saturday, today_);
    const chr::sys_days end = saturday + chr::days{2};
    return AddPeriod({first, static_cast<int>((end - first).count()), false}, k + 1);
  }

  // "Jahresende", "Ende des Jahres", "Ende nächsten Jahres": the working days (Monday to
  // Friday) from 27. to 31. December of that year, after the Christmas holidays, from today on.
  // Never past: on 31.12. this year's is today.
  Parsed<bool> AddYearEnd(int offset, std::size_t next) {
    const chr::year year = chr::year_month_day{today_}.year() + chr::years{offset};
    const chr::sys_days end = chr::sys_days{year / chr::December / 31} + chr::days{1};
    chr::sys_days first = std::max(chr::sys_days{year / chr::December / 27}, today_);
    chr::sys_days workday = first;
    while (workday < end && DaysSinceMonday(workday) >= 5) workday += chr::days{1};
    if (workday < end) first = workday;
    return AddPeriod({first, static_cast<int>((end - first).count()), false}, next);
  }

  // "Anfang/Mitte/Ende (der) (nächsten) Woche", "Ende des Monats", "Ende Monat", "Mitte
  // nächsten Monats", "Monatsende", "Anfang Januar (2027)", "Wochenende", "Jahresende".
  Parsed<bool> TryPeriod() {
    if (Parsed<bool> weekend = TryWeekend(); !weekend || *weekend) return weekend;
    const std::string_view t = Tok(pos_);
    if (t == "jahresende") return AddYearEnd(0, pos_ + 1);
    int part = 0;
    std::size_t k = pos_ + 1;
    std::string_view unit;
    if (IsOneOf(t, {"anfang", "mitte", "ende"})) {
      part = t == "anfang" ? 0 : t == "mitte" ? 1 : 2;
    } else if (IsOneOf(t, {"monatsanfang", "monatsmitte", "monatsende"})) {
      part = t == "monatsanfang" ? 0 : t == "monatsmitte" ? 1 : 2;
      unit = "monat";
    } else {
      return false;
    }
    std::optional<int> offset;
    if (unit.empty()) {
      if (IsOneOf(Tok(k), {"der", "des"})) ++k;
      offset = Lookup(WeekModifierWords(), Tok(k));
      if (offset) ++k;
      if (Tok(k) == "woche") return AddWeekPart(part, offset, k + 1);
      if (part == 2 && IsOneOf(Tok(k), {"jahr", "jahres"})) {
        return AddYearEnd(offset.value_or(0), k + 1);
      }
      if (IsOneOf(Tok(k), {"monat", "monats"})) {
        unit = "monat";
        ++k;
      }
    }
    const chr::year_month_day now{today_};
    const chr::year_month this_month{now.year(), now.month()};
    if (unit == "monat") {
      return AddMonthPart(part, this_month + chr::months{offset.value_or(0)}, !offset, false, k);
    }
    if (offset) return false;
    const auto month = Lookup(MonthWords(), Tok(k));
    if (!month) return false;
    const chr::month m{static_cast<unsigned>(*month)};
    const std::string_view year = Tok(k + 1);
    if (AllDigits(year) && year.size() == 4) {
      return AddMonthPart(part, chr::year{DigitsValue(year)} / m, false, true, k + 2);
    }
    return AddMonthPart(part, now.year() / m, true, true, k + 1);
  }

  // Named days: "Heiligabend", "Silvester", "Ostern", "am ersten Weihnachtsfeiertag", "Tag der
  // Arbeit" … (optionally with a year): the next occurrence that is not over.
  Parsed<bool> TryNamedDay() {
    struct Name {
      std::vector<std::string_view> words;
      std::string_view key;
      int span_days;
    };
    static const auto* const kNames = new std::vector<Name>{
        {{"heiligabend"}, "heiligabend", 1},
        {{"heiligen", "abend"}, "heiligabend", 1},
        {{"heiliger", "abend"}, "heiligabend", 1},
        {{"silvester"}, "silvester", 1},
        {{"silvesterabend"}, "silvester", 1},
        {{"neujahr"}, "neujahr", 1},
        {{"neujahrstag"}, "neujahr", 1},
        {{"weihnachten"}, "heiligabend", 3},
        {{"weihnachtsfeiertage"}, "erster_weihnachtstag", 2},
        {{"weihnachtsfeiertagen"}, "erster_weihnachtstag", 2},
        {{"ostern"}, "ostersonntag", 2},
        {{"ostersonntag"}, "ostersonntag", 1},
        {{"ostermontag"}, "ostermontag", 1},
        {{"karfreitag"}, "karfreitag", 1},
        {{"pfingsten"}, "pfingstsonntag", 2},
        {{"pfingstsonntag"}, "pfingstsonntag", 1},
        {{"pfingstmontag"}, "pfingstmontag", 1},
        {{"christi", "himmelfahrt"}, "christi_himmelfahrt", 1},
        {{"himmelfahrt"}, "christi_himmelfahrt", 1},
        {{"mariae", "himmelfahrt"}, "mariae_himmelfahrt", 1},
        {{"tag", "der", "arbeit"}, "tag_der_arbeit", 1},
        {{"tag", "der", "deutschen", "einheit"}, "tag_der_deutschen_einheit", 1},
        {{"fronleichnam"}, "fronleichnam", 1},
        {{"allerheiligen"}, "allerheiligen", 1},
        {{"reformationstag"}, "reformationstag", 1},
        {{"heilige", "drei", "koenige"}, "heilige_drei_koenige", 1},
        {{"heiligen", "drei", "koenige"}, "heilige_drei_koenige", 1},
        {{"dreikoenigstag"}, "heilige_drei_koenige", 1},
        {{"buss", "und", "bettag"}, "buss_und_bettag", 1},
    };
    std::string_view key;
    int span = 1;
    std::size_t next = pos_;
    // "erster/zweiter Weihnachtsfeiertag", "am 2. Weihnachtstag"
    if (IsOneOf(Tok(pos_ + 1), {"weihnachtsfeiertag", "weihnachtstag"})) {
      const auto ordinal = Lookup(OrdinalWords(), Tok(pos_));
      const std::string_view t = Tok(pos_);
      if (ordinal == 1 || t == "1.") key = "erster_weihnachtstag";
      if (ordinal == 2 || t == "2.") key = "zweiter_weihnachtstag";
      next = pos_ + 2;
    }
    for (const Name& name : *kNames) {
      if (!key.empty()) break;
      bool match = true;
      for (std::size_t i = 0; i < name.words.size() && match; ++i) {
        match = Tok(pos_ + i) == name.words[i];
      }
      if (match) {
        key = name.key;
        span = name.span_days;
        next = pos_ + name.words.size();
      }
    }
    if (key.empty()) return false;
    const int this_year = static_cast<int>(chr::year_month_day{today_}.year());
    std::optional<int> said_year;
    if (AllDigits(Tok(next)) && Tok(next).size() == 4) said_year = DigitsValue(Tok(next++));
    if (said_year && *said_year > this_year + kMaxYearsAhead) {
      return Refuse(kTooFarAhead, kDate, "the date is too far in the future");
    }
    const auto first_in = [&](int year) {
      const auto day = NamedDayInYear(key, year);
      return chr::sys_days{Ymd(day->year, day->month, day->day)};
    };
    int year = said_year.value_or(this_year);
    chr::sys_days first = first_in(year);
    if (first + chr::days{span} <= today_) {
      if (said_year) return Refuse(kPast, kDate, "the date is in the past", first);
      first = first_in(++year);
    }
    const chr::sys_days end = first + chr::days{span};
    first = std::max(first, today_);
    const bool rolled = !said_year && year != this_year;
    if (end - first == chr::days{1}) {
      found_.dates.push_back({first, rolled, false});
      Consumed(next, true);
      return true;
    }
    return AddPeriod({first, static_cast<int>((end - first).count()), rolled}, next);
  }

  // "bald", "irgendwann", "so schnell wie möglich", "möglichst bald", "nächsten Monat": vague,
  // refused as such unless something concrete was said too ("morgen irgendwann").
  Parsed<bool> TryVague() {
    const std::string_view t = Tok(pos_);
    std::size_t next = pos_ + 1;
    if (t == "schnell" && Tok(pos_ + 1) == "wie") {
      next = pos_ + 2;
    } else if (t == "moeglichst" && IsOneOf(Tok(pos_ + 1), {"bald", "schnell", "frueh"})) {
      next = pos_ + 2;
    } else if (Lookup(WeekModifierWords(), t) && IsOneOf(Tok(pos_ + 1), {"monat", "jahr"})) {
      return Refuse(kTooVague, kDate, "a month alone is too vague, a day is needed");
    } else if (!IsOneOf(t, {"bald", "demnaechst", "zeitnah", "baldmoeglichst", "schnellstmoeglich",
                            "schnellstens", "schnell", "asap", "sofort", "jetzt", "gleich",
                            "irgendwann", "jederzeit", "egal"})) {
      return false;
    }
    found_.vague = true;
    pos_ = next;
    return true;
  }

  Parsed<void> SetWeek(int offset) {
    if (found_.week_offset && *found_.week_offset != offset) {
      return Refuse(kConflicting, kDate, "conflicting weeks");
    }
    found_.week_offset = offset;
    return Done();
  }

  Parsed<void> SetWeekday(int weekday, WeekdayMode mode) {
    if (found_.weekday && *found_.weekday != std::make_pair(weekday, mode)) {
      if (found_.weekday->first != weekday) {
        return Refuse(kConflicting, kDate, "conflicting weekdays");
      }
      // "nächsten Dienstag" and "Dienstag": the more specific modifier wins.
      if (mode == WeekdayMode::kAfterToday) return Done();
    }
    found_.weekday = std::make_pair(weekday, mode);
    return Done();
  }

  std::vector<std::string> tokens_;
  bool time_field_;
  chr::sys_days today_;
  Findings& found_;
  std::size_t pos_ = 0;
  Marker marker_ = Marker::kNone;
  bool after_date_ = false;
};

// ---------------------------------------------------------------------------------------------
// Combining the findings.

struct ResolvedDate {
  chr::sys_days day;
  int span_days = 1;
  bool said = false;
  bool rolled = false;
};

Parsed<std::optional<ResolvedDate>> ResolveDate(const Findings& found, chr::sys_days today) {
  const auto& dates = found.dates;
  for (const DatePiece& piece : dates) {
    if (piece.day != dates.front().day) return Refuse(kConflicting, kDate, "conflicting dates");
  }
  const chr::sys_days monday = today - chr::days{DaysSinceMonday(today)};

  if (found.period) {  // "Ende nächster Woche", "Ostern"; a weekday picks one of its days
    const Period& period = *found.period;
    if (!dates.empty() || found.week_offset || found.shift_days) {
      return Refuse(kConflicting, kDate, "conflicting dates");
    }
    if (!found.weekday) return ResolvedDate{period.first, period.span_days, true, period.rolled};
    for (int i = 0; i < period.span_days; ++i) {
      const chr::sys_days day = period.first + chr::days{i};
      if (WeekdayOf(day) == found.weekday->first) return ResolvedDate{day, 1, true, period.rolled};
    }
    return Refuse(kConflicting, kDate, "the weekday is not among the named days");
  }
  if (found.shift_days) {  // "in einer Woche", "morgen in einer Woche", "Dienstag in einer Woche"
    if (found.week_offset) return Refuse(kConflicting, kDate, "conflicting dates");
    const chr::days shift{*found.shift_days};
    chr::sys_days base = today;
    if (!dates.empty()) {
      if (!dates.front().day_word) {  // "in einer Woche, am 3.12.": must be the same day
        if (dates.front().day != today + shift) {
          return Refuse(kConflicting, kDate, "conflicting dates");
        }
        base = today;
      } else {
        base = dates.front().day;
      }
      if (found.weekday && WeekdayOf(base + shift) != found.weekday->first &&
          WeekdayOf(base) != found.weekday->first) {
        return Refuse(kWeekdayMismatch, kDate, "the weekday does not match the date", base + shift);
      }
    } else if (found.weekday) {  // that weekday on or after today, then the shift
      const auto [weekday, mode] = *found.weekday;
      int ahead = (weekday - WeekdayOf(today) + 7) % 7;
      if (mode == WeekdayMode::kWeekAfterNext) ahead += 7;
      base = today + chr::days{ahead};
    }
    return ResolvedDate{base + shift, 1, true, false};
  }

  if (!dates.empty()) {
    const DatePiece& date = dates.front();
    if (found.weekday && WeekdayOf(date.day) != found.weekday->first) {
      return Refuse(kWeekdayMismatch, kDate, "the weekday does not match the date", date.day);
    }
    if (found.week_offset) {
      const chr::sys_days week_start = monday + chr::days{7 * *found.week_offset};
      if (date.day < week_start || date.day >= week_start + chr::days{7}) {
        return Refuse(kConflicting, kDate, "the date is not in the named week");
      }
    }
    return ResolvedDate{date.day, 1, true, date.rolled};
  }
  if (found.weekday) {
    const auto [weekday, mode] = *found.weekday;
    if (found.week_offset) {  // "Dienstag nächste Woche": in that calendar week
      const chr::sys_days day = monday + chr::days{7 * *found.week_offset + (weekday + 6) % 7};
      if (day < today) {
        return Refuse(kPast, kDate, "that day of this week has already passed", day);
      }
      return ResolvedDate{day, 1, true, false};
    }
    int ahead = (weekday - WeekdayOf(today) + 7) % 7;
    if (ahead == 0 && mode != WeekdayMode::kTodayOrLater) ahead = 7;
    if (mode == WeekdayMode::kWeekAfterNext) ahead += 7;
    return ResolvedDate{today + chr::days{ahead}, 1, true, false};
  }
  if (found.week_offset) {
    if (*found.week_offset == 0) {
      return ResolvedDate{today, 7 - DaysSinceMonday(today), true, false};
    }
    return ResolvedDate{monday + chr::days{7 * *found.week_offset}, 7, true, false};
  }
  return std::optional<ResolvedDate>();
}

struct ResolvedTime {
  std::optional<int> minute_of_day;
  std::optional<TimeWindow> window;
};

Parsed<ResolvedTime> ResolveTimeOfDay(const Findings& found) {
  std::optional<DayPart> part;
  for (DayPart p : found.parts) {
    if (part && *part != p) return Refuse(kConflicting, kTime, "conflicting parts of day");
    part = p;
  }
  ResolvedTime out;
  for (const SpokenTime& t : found.times) {
    auto minute = ResolveTime(t, part);
    if (!minute) return tl::unexpected(std::move(minute.error()));
    if (out.minute_of_day && *out.minute_of_day != *minute) {
      return Refuse(kConflicting, kTime, "conflicting times");
    }
    out.minute_of_day = *minute;
  }
  if (found.ranges.size() > 1) return Refuse(kConflicting, kTime, "conflicting time ranges");
  if (!found.ranges.empty()) {
    if (out.minute_of_day) {
      return Refuse(kConflicting, kTime, "both an exact time and a time range");
    }
    const SpokenRange& range = found.ranges.front();
    TimeWindow window{0, kMinutesPerDay};
    if (range.from) {
      auto m = ResolveTime(*range.from, part);
      if (!m) return tl::unexpected(std::move(m.error()));
      window.from_minute = *m + range.from_shift;
    }
    if (range.to) {
      auto m = ResolveTime(*range.to, part);
      if (!m) return tl::unexpected(std::move(m.error()));
      window.to_minute = *m + range.to_shift;
    }
    if (part) {
      const TimeWindow p = RuleFor(*part).window;
      window.from_minute = std::max(window.from_minute, p.from_minute);
      window.to_minute = std::min(window.to_minute, p.to_minute);
    }
    if (window.from_minute < 0 || window.to_minute > kMinutesPerDay ||
        window.from_minute >= window.to_minute) {
      return Refuse(kBadTime, kTime, "the time range is empty");
    }
    out.window = window;
  } else if (part && !out.minute_of_day) {
    out.window = RuleFor(*part).window;
  }
  return out;
}

}  // namespace

std::string_view WishRefusalCode(WishRefusalReason reason) {
  switch (reason) {
    case kPast:
      return "past";
    case kNoSuchDate:
      return "no_such_date";
    case kWeekdayMismatch:
      return "weekday_mismatch";
    case kTooVague:
      return "too_vague";
    case kBadTime:
      return "bad_time";
    case kNotUnderstood:
      return "not_understood";
    case kNothingSaid:
      return "nothing_said";
    case kConflicting:
      return "conflicting";
    case kTooFarAhead:
      return "too_far_ahead";
    case kTooLong:
      return "too_long";
    case kUnknownZone:
      return "unknown_zone";
  }
  return "not_understood";
}

DetailedWish ParseGermanDateTimeDetailed(std::string_view date_text, std::string_view time_text,
                                         SystemTimePoint now, std::string_view zone) {
  if (date_text.size() + time_text.size() > kMaxPhraseBytes) {
    return Refuse(kTooLong, kDate, "phrase too long");
  }
  const auto local_now = ToLocal(now, zone);
  if (!local_now) return Refuse(kUnknownZone, kDate, "unknown time zone");
  const chr::sys_days today{Ymd(local_now->year, local_now->month, local_now->day)};

  Findings found;
  for (const auto& [text, time_field] : {std::pair{date_text, false}, std::pair{time_text, true}}) {
    PhraseParser parser(Tokenize(text), time_field, today, found);
    if (auto s = parser.Run(); !s) return tl::unexpected(s.error());
  }
  if (found.Empty()) {
    if (found.vague) return Refuse(kTooVague, kDate, "too vague, a day is needed");
    return Refuse(kNothingSaid, kDate, "nothing about a date or time was said");
  }

  auto date = ResolveDate(found, today);
  if (!date) return tl::unexpected(std::move(date.error()));
  auto time = ResolveTimeOfDay(found);
  if (!time) return tl::unexpected(std::move(time.error()));

  ResolvedDate resolved;
  if (*date) {
    resolved = **date;
  } else {  // only a time: today, or tomorrow once it has passed
    const int now_minute = local_now->hour * 60 + local_now->minute;
    const bool passed = time->minute_of_day ? *time->minute_of_day <= now_minute
                                            : time->window->to_minute <= now_minute;
    resolved = ResolvedDate{today + chr::days{passed ? 1 : 0}, 1, false, passed};
  }

  const chr::year_month_day ymd{resolved.day};
  DateTimeWish wish;
  wish.year = static_cast<int>(ymd.year());
  wish.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  wish.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  wish.minute_of_day = time->minute_of_day;
  wish.window = time->window;
  wish.span_days = resolved.span_days;
  wish.date_was_said = resolved.said;
  wish.rolled_forward = resolved.rolled;
  return wish;
}

Result<DateTimeWish> ParseGermanDateTime(std::string_view date_text, std::string_view time_text,
                                         SystemTimePoint now, std::string_view zone) {
  auto wish = ParseGermanDateTimeDetailed(date_text, time_text, now, zone);
  if (!wish) return Fail(ErrorCode::kInvalidArgument, std::string(wish.error().detail));
  return *wish;
}

Result<SystemTimePoint> WishToInstant(const DateTimeWish& wish, std::string_view zone) {
  if (!wish.minute_of_day) return Fail(ErrorCode::kInvalidArgument, "the wish has no exact time");
  if (*wish.minute_of_day < 0 || *wish.minute_of_day >= kMinutesPerDay) {
    return Fail(ErrorCode::kInvalidArgument, "minute of day out of range");
  }
  LocalDateTime local;
  local.year = wish.year;
  local.month = wish.month;
  local.day = wish.day;
  local.hour = *wish.minute_of_day / 60;
  local.minute = *wish.minute_of_day % 60;
  return FromLocal(local, zone);
}

}  // namespace callgate::booking
