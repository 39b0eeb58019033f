#include "agent/speech.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "booking/german_time.hpp"
#include "core/time_zone.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;
namespace av = booking::availability;

template <class... F>
struct Visitor : F... {
  using F::operator()...;
};
template <class... F>
Visitor(F...) -> Visitor<F...>;

// Said after a list of times the calendar has not confirmed (Cal.com unreachable).
std::string Caveat(booking::SlotSource source) {
  return source == booking::SlotSource::kFallback
             ? " (vorläufig, die Zeiten sind noch nicht bestätigt)"
             : "";
}

std::string JoinAll(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " und " : ", ";
    out += items[i];
  }
  return out;
}

// "Dienstag, 1. Dezember" (+ " 2027" when not this year).
std::string SpokenDay(const LocalDateTime& day, int current_year) {
  std::string out = std::string(GermanWeekdayName(day.weekday)) + ", " + std::to_string(day.day) +
                    ". " + std::string(GermanMonthName(day.month));
  if (day.year != current_year) out += " " + std::to_string(day.year);
  return out;
}

int YearOf(SystemTimePoint t, std::string_view zone) {
  auto l = ToLocal(t, zone);
  return l ? l->year : 0;
}

std::optional<LocalDateTime> NoonOf(const booking::CalendarDay& day, std::string_view zone) {
  auto noon = FromLocal(LocalDateTime{day.year, day.month, day.day, 12, 0, 0}, zone);
  if (!noon) return std::nullopt;
  auto local = ToLocal(*noon, zone);
  if (!local) return std::nullopt;
  return *local;
}

std::string DayDate(const booking::CalendarDay& day) {
  char iso[16];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", day.year, day.month, day.day);
  return iso;
}

json SlotJson(const booking::Slot& slot, std::string_view zone, SystemTimePoint now) {
  json j = {{"start", FormatIso8601Utc(slot.start)}, {"end", FormatIso8601Utc(slot.end)}};
  if (auto l = ToLocal(slot.start, zone)) {
    j["local_date"] = FormatGermanDate(*l);
    j["local_time"] = FormatClockTime(*l);
    j["local_iso"] = FormatLocalIsoMinute(*l);
  }
  j["spoken"] = SpokenDateTime(slot.start, zone, now);
  return j;
}

// "Freitag, 27. November, um 10:30 oder 11 Uhr oder Montag, 30. November, um 10 Uhr": in time
// order, each day named once.
std::string SpokenSlots(const std::vector<booking::Slot>& slots, std::string_view zone,
                        SystemTimePoint now) {
  const int year = YearOf(now, zone);
  std::vector<std::string> days;
  std::vector<std::string> times;
  std::optional<LocalDateTime> current;
  auto flush = [&] {
    if (!current) return;
    days.push_back(SpokenDay(*current, year) + ", um " + JoinChoices(times) + " Uhr");
    times.clear();
  };
  for (const auto& slot : slots) {
    auto l = ToLocal(slot.start, zone);
    if (!l) continue;
    if (!current || current->year != l->year || current->month != l->month ||
        current->day != l->day) {
      flush();
      current = *l;
    }
    times.push_back(SpokenClock(l->hour * 60 + l->minute));
  }
  flush();
  return JoinChoices(days);
}

std::vector<booking::Slot> SlotsOf(const std::vector<booking::Alternative>& alternatives) {
  std::vector<booking::Slot> slots;
  for (const auto& a : alternatives) slots.push_back(a.slot);
  return slots;
}

json AlternativesJson(const std::vector<booking::Alternative>& alternatives, std::string_view zone,
                      SystemTimePoint now) {
  json list = json::array();
  for (const auto& alt : alternatives) {
    json j = SlotJson(alt.slot, zone, now);
    j["kind"] = std::string(booking::AlternativeKindName(alt.kind));
    list.push_back(std::move(j));
  }
  return list;
}

// "Ich kann Ihnen anbieten: …" or, with nothing to offer, `none`.
std::string Offer(const std::vector<booking::Alternative>& alternatives, std::string_view zone,
                  SystemTimePoint now, booking::SlotSource source, std::string_view none) {
  if (alternatives.empty()) return std::string(none);
  return "Ich kann Ihnen anbieten: " + SpokenSlots(SlotsOf(alternatives), zone, now) +
         Caveat(source) + ".";
}

// " zwischen 8 und 12 Uhr", " ab 14 Uhr", " bis 12 Uhr"; empty without a window.
std::string WindowPhrase(const std::optional<booking::TimeWindow>& window) {
  if (!window) return "";
  if (window->to_minute >= 24 * 60) return " ab " + SpokenClock(window->from_minute) + " Uhr";
  if (window->from_minute == 0) return " bis " + SpokenClock(window->to_minute) + " Uhr";
  return " zwischen " + SpokenClock(window->from_minute) + " und " +
         SpokenClock(window->to_minute) + " Uhr";
}

// The parts every outcome shares: the service and, once the calendar was asked, its source.
ToolAnswer Base(const std::optional<tenancy::Service>& service) {
  ToolAnswer a;
  if (service) a.data["service"] = {{"id", service->id.value}, {"name", service->name}};
  return a;
}

ToolAnswer Speak(const std::optional<tenancy::Service>& service, const av::ServiceUnknown& u) {
  ToolAnswer a = Base(service);
  a.success = false;
  a.message = u.wanted.empty()
                  ? "Für welche Leistung möchten Sie einen Termin? Wir bieten " +
                        JoinAll(u.offered) + " an."
                  : "Die Leistung \"" + u.wanted + "\" bieten wir hier nicht an. Wir bieten " +
                        JoinAll(u.offered) + " an.";
  a.data["services"] = u.offered;
  if (u.wanted.empty()) a.data["missing"] = json::array({"service"});
  return a;
}

// The service is offered at the company's other branches, not at the one called: say where,
// and offer a callback (a call is bound to its branch, so it cannot be booked there from here).
// Keeps the HTTP status 403 of the refusal (ToolAnswer::refusal).
ToolAnswer Speak(const av::OtherBranch& o) {
  ToolAnswer a;
  a.success = false;
  a.refusal = ErrorCode::kPermissionDenied;
  a.data["reason"] = "other_branch";
  a.data["service"] = {{"name", o.service}};
  a.data["branches"] = o.branches;
  a.data["error"] = {{"code", "permission_denied"}, {"message", "not available at your branch"}};
  std::string where;
  for (std::size_t i = 0; i < o.branches.size(); ++i) {
    if (i > 0) where += (i + 1 == o.branches.size()) ? " und " : ", ";
    where += o.branches[i];
  }
  if (o.branches.empty()) {
    a.message = o.service +
                " bieten wir hier leider nicht an. Möchten Sie, dass wir Sie zurückrufen, oder "
                "kann ich Ihnen mit etwas anderem helfen?";
  } else {
    a.message = o.service + " bieten wir in " +
                (o.branches.size() == 1 ? "unserer Filiale " : "unseren Filialen ") + where +
                " an, nicht hier. Soll ich einen Rückruf notieren, damit Sie dort einen Termin "
                "bekommen, oder kann ich Ihnen hier mit etwas anderem helfen?";
  }
  return a;
}

std::string_view ProblemCode(av::Problem p) {
  switch (p) {
    case av::Problem::kNotSaid:
      return "not_said";
    case av::Problem::kNotUnderstood:
      return "not_understood";
    case av::Problem::kPast:
      return "past";
    case av::Problem::kNoSuchDate:
      return "no_such_date";
    case av::Problem::kWeekdayMismatch:
      return "weekday_mismatch";
    case av::Problem::kTooVague:
      return "too_vague";
    case av::Problem::kBadTime:
      return "bad_time";
    case av::Problem::kTooFarAhead:
      return "too_far_ahead";
  }
  return "not_understood";
}

// "15. Dezember" (+ " 2027" when not this year).
std::string DayOfMonth(const booking::CalendarDay& day, int current_year) {
  std::string out = std::to_string(day.day) + ". " + std::string(GermanMonthName(day.month));
  if (day.year != current_year) out += " " + std::to_string(day.year);
  return out;
}

ToolAnswer Speak(const std::optional<tenancy::Service>& service, const av::NeedsInput& n,
                 SystemTimePoint now, std::string_view zone) {
  ToolAnswer a = Base(service);
  a.success = false;
  a.data["reason"] = std::string(ProblemCode(n.problem));
  const int year = YearOf(now, zone);
  switch (n.field) {
    case av::Field::kDate:
      a.data["missing"] = json::array({"date"});
      switch (n.problem) {
        case av::Problem::kNotSaid:
          a.message = "Für welchen Tag soll ich nachsehen?";
          break;
        case av::Problem::kPast:
          a.message = (n.date ? "Der " + DayOfMonth(*n.date, year) : std::string("Dieser Tag")) +
                      " ist leider schon vorbei. Welcher Tag ab heute passt Ihnen?";
          break;
        case av::Problem::kNoSuchDate:
          a.message = "Dieses Datum gibt es nicht. Welchen Tag meinen Sie?";
          break;
        case av::Problem::kWeekdayMismatch:
          if (n.date && n.weekday) {
            const std::string weekday(GermanWeekdayName(*n.weekday));
            a.message = "Der " + DayOfMonth(*n.date, year) + " ist ein " + weekday +
                        ". Meinen Sie " + weekday + ", den " + DayOfMonth(*n.date, year) +
                        ", oder einen anderen Tag?";
          } else {
            a.message = "Wochentag und Datum passen nicht zusammen. Welchen Tag meinen Sie?";
          }
          break;
        case av::Problem::kTooVague:
          a.message =
              "Können Sie den Tag etwas genauer sagen, zum Beispiel morgen oder nächsten "
              "Dienstag?";
          break;
        case av::Problem::kTooFarAhead:
          a.message =
              "So weit im Voraus kann ich leider nicht nachsehen. Welcher frühere Tag "
              "passt Ihnen?";
          break;
        case av::Problem::kBadTime:
        case av::Problem::kNotUnderstood:
          a.message =
              "Das Datum habe ich leider nicht verstanden. Können Sie den Tag bitte noch "
              "einmal nennen?";
          break;
      }
      break;
    case av::Field::kTime:
      a.data["missing"] = json::array({"time"});
      a.message = n.problem == av::Problem::kNotSaid ? "Um wie viel Uhr möchten Sie kommen?"
                  : n.problem == av::Problem::kBadTime
                      ? "Diese Uhrzeit gibt es nicht. Um wie viel Uhr möchten Sie kommen?"
                      : "Die Uhrzeit habe ich leider nicht verstanden. Um wie viel Uhr möchten "
                        "Sie kommen?";
      break;
    case av::Field::kName:
      a.data["missing"] = json::array({"name"});
      a.message = "Auf welchen Namen darf ich den Termin eintragen?";
      break;
  }
  return a;
}

std::string_view NotFreeCode(av::NotFree why) {
  switch (why) {
    case av::NotFree::kBooked:
      return "booked";
    case av::NotFree::kPast:
      return "past";
    case av::NotFree::kTooSoon:
      return "too_soon";
    case av::NotFree::kClosedDay:
      return "closed";
    case av::NotFree::kHoliday:
      return "holiday";
    case av::NotFree::kOutsideHours:
      return "outside_hours";
    case av::NotFree::kOffGrid:
      return "off_grid";
    case av::NotFree::kClosing:
      return "closing_day";
  }
  return "booked";
}

// "Am Donnerstag, 24. Dezember, haben wir geschlossen (Betriebsferien)." for one day (`day` as
// spoken), "Vom 24. Dezember bis 1. Januar 2027 haben wir geschlossen." for several.
std::string ClosedFor(const std::optional<av::ClosingSpan>& closing, const std::string& day,
                      int year) {
  std::string out = "Am " + day + ", haben wir geschlossen";
  if (closing && closing->from != closing->to && closing->from.year > 0) {
    out = "Vom " + DayOfMonth(closing->from, year) + " bis " + DayOfMonth(closing->to, year) +
          " haben wir geschlossen";
  }
  if (closing && !closing->name.empty()) out += " (" + closing->name + ")";
  return out + ".";
}

// Why `requested` cannot be had, as said first ("… ist leider schon vergeben.").
std::string WhyNotFree(const av::Taken& t, std::string_view zone, SystemTimePoint now) {
  const std::string when = SpokenDateTime(t.requested, zone, now);
  auto local = ToLocal(t.requested, zone);
  const std::string day = local ? SpokenDay(*local, YearOf(now, zone)) : std::string("diesem Tag");
  const std::string clock =
      local ? SpokenClock(local->hour * 60 + local->minute) + " Uhr" : std::string("dieser Zeit");
  switch (t.why) {
    case av::NotFree::kBooked:
      return when + " ist leider schon vergeben.";
    case av::NotFree::kPast:
      return when + " ist schon vorbei.";
    case av::NotFree::kTooSoon:
      return when + " ist leider zu kurzfristig.";
    case av::NotFree::kClosedDay:
      return "Am " + day + ", haben wir geschlossen.";
    case av::NotFree::kHoliday:
      return "Am " + day + ", ist Feiertag (" + std::string(t.holiday) +
             "), da haben wir geschlossen.";
    case av::NotFree::kOutsideHours:
      if (t.hours) {
        return "Um " + clock + " haben wir nicht geöffnet; am " + day + ", sind wir von " +
               SpokenClock(t.hours->open_minute) + " bis " + SpokenClock(t.hours->close_minute) +
               " Uhr da.";
      }
      return "Um " + clock + " haben wir nicht geöffnet.";
    case av::NotFree::kOffGrid:
      return "Um " + clock + " beginnt leider kein Termin.";
    case av::NotFree::kClosing:
      return ClosedFor(t.closing, day, YearOf(now, zone));
  }
  return when + " ist leider nicht frei.";
}

ToolAnswer Speak(const std::optional<tenancy::Service>& service, const av::NotBookableOnline&) {
  ToolAnswer a = Base(service);
  a.success = false;
  a.message = "Für " + (service ? service->name : std::string("diese Leistung")) +
              " kann ich leider keine Termine online vergeben.";
  return a;
}

ToolAnswer Speak(const std::optional<tenancy::Service>& service, const av::CalendarUnavailable& u) {
  ToolAnswer a = Base(service);
  a.success = false;
  a.message =
      "Ich kann den Kalender gerade nicht erreichen. Darf ich Ihren Wunsch notieren, damit wir "
      "Sie zurückrufen?";
  a.data["error"] = std::string(ErrorCodeName(u.code));
  return a;
}

}  // namespace

std::string SpokenDateTime(SystemTimePoint t, std::string_view zone, SystemTimePoint now) {
  // Without a usable zone, speak UTC: wrong by an hour beats no answer on a live call.
  const auto local = [&](SystemTimePoint p) {
    if (auto l = ToLocal(p, zone)) return *l;
    namespace chr = std::chrono;
    const auto day = chr::floor<chr::days>(p);
    const chr::year_month_day ymd{day};
    const chr::hh_mm_ss hms{chr::floor<chr::minutes>(p - day)};
    LocalDateTime utc;
    utc.year = static_cast<int>(ymd.year());
    utc.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    utc.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    utc.hour = static_cast<int>(hms.hours().count());
    utc.minute = static_cast<int>(hms.minutes().count());
    utc.weekday = static_cast<int>(chr::weekday{day}.c_encoding());
    return utc;
  };
  const LocalDateTime when = local(t);
  std::string out = std::string(GermanWeekdayName(when.weekday)) + ", " + std::to_string(when.day) +
                    ". " + std::string(GermanMonthName(when.month));
  if (when.year != local(now).year) out += " " + std::to_string(when.year);
  return out + ", um " + SpokenClock(when.hour * 60 + when.minute) + " Uhr";
}

std::string SpokenClock(int minute_of_day) {
  const int hour = minute_of_day / 60;
  const int minute = minute_of_day % 60;
  if (minute == 0) return std::to_string(hour);
  return std::to_string(hour) + (minute < 10 ? ":0" : ":") + std::to_string(minute);
}

std::string JoinChoices(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " oder " : ", ";
    out += items[i];
  }
  return out;
}

std::vector<std::size_t> SpreadIndices(std::size_t n, std::size_t count) {
  std::vector<std::size_t> out;
  if (n == 0 || count == 0) return out;
  if (n <= count) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  if (count == 1) return {0};
  for (std::size_t k = 0; k < count; ++k) {
    // Rounded k * (n - 1) / (count - 1): first and last included, evenly between.
    const std::size_t i = (k * (n - 1) * 2 + (count - 1)) / ((count - 1) * 2);
    if (out.empty() || out.back() != i) out.push_back(i);
  }
  return out;
}

ToolAnswer SpeakAvailability(const booking::AvailabilityOutcome& outcome, std::string_view zone,
                             const SpeechSettings& settings) {
  const auto& service = outcome.service;
  const std::string service_name = service ? service->name : std::string();
  const auto now = outcome.as_of;
  auto asked = [&] {
    ToolAnswer a = Base(service);
    a.data["source"] = std::string(booking::SlotSourceName(outcome.source));
    return a;
  };
  return std::visit(
      Visitor{
          [&](const av::ServiceUnknown& u) { return Speak(service, u); },
          [&](const av::OtherBranch& o) { return Speak(o); },
          [&](const av::NeedsInput& n) { return Speak(service, n, outcome.as_of, zone); },
          [&](const av::NotBookableOnline& n) { return Speak(service, n); },
          [&](const av::CalendarUnavailable& u) { return Speak(service, u); },
          [&](const av::Free& f) {
            ToolAnswer a = asked();
            a.data["available"] = true;
            a.data["requested"] = FormatIso8601Utc(f.slot.start);
            a.data["slots"] = json::array({SlotJson(f.slot, zone, now)});
            a.message = SpokenDateTime(f.slot.start, zone, now) + " ist für " + service_name +
                        " frei" + Caveat(outcome.source) + ". Soll ich den Termin buchen?";
            return a;
          },
          [&](const av::Taken& t) {
            ToolAnswer a = asked();
            a.success = false;
            a.data["available"] = false;
            a.data["requested"] = FormatIso8601Utc(t.requested);
            a.data["reason"] = std::string(NotFreeCode(t.why));
            a.data["alternatives"] = AlternativesJson(t.alternatives, zone, now);
            a.message = WhyNotFree(t, zone, now) + " " +
                        Offer(t.alternatives, zone, now, outcome.source,
                              "In den nächsten zwei Wochen habe ich leider keinen passenden "
                              "Termin gefunden.");
            return a;
          },
          [&](const av::DayList& d) {
            ToolAnswer a = asked();
            a.data["available"] = true;
            a.data["date"] = DayDate(d.day);
            a.data["slots"] = json::array();
            for (const auto& s : d.slots) a.data["slots"].push_back(SlotJson(s, zone, now));
            const auto noon = NoonOf(d.day, zone);
            const std::string day =
                noon ? SpokenDay(*noon, YearOf(now, zone)) : std::string("gewünschten Tag");
            std::vector<std::string> times;
            for (auto i : SpreadIndices(d.slots.size(),
                                        static_cast<std::size_t>(settings.max_listed_slots))) {
              if (auto l = ToLocal(d.slots[i].start, zone)) {
                times.push_back(SpokenClock(l->hour * 60 + l->minute));
              }
            }
            const bool more = times.size() < d.slots.size();
            if (d.slots.size() == 1) {
              a.message = "Am " + day + "," + WindowPhrase(d.window) + " ist nur um " +
                          JoinChoices(times) + " Uhr frei" + Caveat(outcome.source) +
                          ". Passt Ihnen das?";
            } else {
              a.message = "Am " + day + "," + WindowPhrase(d.window) + " sind " +
                          (more ? "unter anderem " : "") + "um " + JoinChoices(times) +
                          " Uhr Termine frei" + Caveat(outcome.source) +
                          ". Welche Uhrzeit passt Ihnen?";
            }
            return a;
          },
          [&](const av::DayFull& d) {
            ToolAnswer a = asked();
            a.success = false;
            a.data["available"] = false;
            a.data["date"] = DayDate(d.day);
            a.data["alternatives"] = AlternativesJson(d.alternatives, zone, now);
            const auto noon = NoonOf(d.day, zone);
            const std::string day =
                noon ? SpokenDay(*noon, YearOf(now, zone)) : std::string("diesem Tag");
            a.data["reason"] = std::string(NotFreeCode(d.why));
            const std::string why =
                d.why == av::NotFree::kHoliday
                    ? "Am " + day + ", ist Feiertag (" + std::string(d.holiday) +
                          "), da haben wir geschlossen. "
                : d.why == av::NotFree::kClosing
                    ? ClosedFor(d.closing, day, YearOf(now, zone)) + " "
                : d.why == av::NotFree::kClosedDay
                    ? "Am " + day + ", haben wir geschlossen. "
                    : "Am " + day + "," + WindowPhrase(d.window) + " ist leider nichts frei. ";
            a.message = why + Offer(d.alternatives, zone, now, outcome.source,
                                    "Auch in den zwei Wochen danach habe ich nichts gefunden.");
            return a;
          },
      },
      outcome.result);
}

ToolAnswer SpeakAlternatives(const booking::AlternativesOutcome& outcome, std::string_view zone) {
  const auto& service = outcome.service;
  return std::visit(
      Visitor{
          [&](const av::ServiceUnknown& u) { return Speak(service, u); },
          [&](const av::OtherBranch& o) { return Speak(o); },
          [&](const av::NeedsInput& n) { return Speak(service, n, outcome.as_of, zone); },
          [&](const av::NotBookableOnline& n) { return Speak(service, n); },
          [&](const av::CalendarUnavailable& u) { return Speak(service, u); },
          [&](const av::Offer& o) {
            ToolAnswer a = Base(service);
            a.data["source"] = std::string(booking::SlotSourceName(outcome.source));
            a.data["alternatives"] = AlternativesJson(o.alternatives, zone, outcome.as_of);
            a.success = !o.alternatives.empty();
            a.message =
                Offer(o.alternatives, zone, outcome.as_of, outcome.source,
                      "In den nächsten zwei Wochen habe ich leider keinen freien Termin gefunden.");
            return a;
          },
      },
      outcome.result);
}

ToolAnswer SpeakDraft(const booking::BookingDraft& draft, std::string_view zone,
                      const SpeechSettings& settings) {
  const auto* free = std::get_if<av::Free>(&draft.availability.result);
  if (free == nullptr) return SpeakAvailability(draft.availability, zone, settings);
  ToolAnswer a = SpeakAvailability(draft.availability, zone, settings);
  if (draft.name.empty()) {
    ToolAnswer ask = Speak(draft.availability.service, av::NeedsInput{av::Field::kName},
                           draft.availability.as_of, zone);
    ask.data.erase("reason");
    ask.data["available"] = true;
    return ask;
  }
  a.message = "Ich fasse zusammen: " +
              (draft.availability.service ? draft.availability.service->name : std::string()) +
              " am " + SpokenDateTime(free->slot.start, zone, draft.availability.as_of) +
              " auf den Namen " + draft.name + ". Soll ich das so buchen?";
  a.data["needs_confirmation"] = true;
  return a;
}

ToolAnswer SpeakCallback(const booking::CallbackOutcome& outcome, std::string_view zone) {
  namespace cb = booking::callback;
  return std::visit(
      Visitor{
          [&](const cb::Noted& n) {
            ToolAnswer a;
            a.data["callback_request_id"] = n.id.value;
            a.data["due"] = FormatIso8601Utc(n.due_at);
            a.data["repeated"] = n.repeated;
            const std::string number = n.calling_number ? "unter der Nummer, von der Sie anrufen"
                                                        : "unter der Nummer, die Sie genannt haben";
            a.message = "Ich habe Ihren Rückrufwunsch notiert. Wir melden uns " + number +
                        ", spätestens " + SpokenDateTime(n.due_at, zone, outcome.as_of) + ".";
            return a;
          },
          [&](const cb::NeedsPhone& n) {
            ToolAnswer a;
            a.success = false;
            a.data["missing"] = json::array({"phone"});
            a.message = n.unreadable
                            ? "Die Telefonnummer habe ich nicht verstanden. Bitte nennen Sie sie "
                              "noch einmal."
                            : "Ihre Nummer ist unterdrückt. Unter welcher Telefonnummer können "
                              "wir Sie zurückrufen?";
            return a;
          },
          [&](const cb::AlreadyNoted& n) {
            ToolAnswer a;
            a.success = false;
            a.data["reason"] = "already_noted";
            a.data["callback_request_id"] = n.id.value;
            a.data["due"] = FormatIso8601Utc(n.due_at);
            a.message = "Ein Rückruf ist für Sie bereits notiert. Wir melden uns spätestens " +
                        SpokenDateTime(n.due_at, zone, outcome.as_of) +
                        ". Ihre weiteren Anliegen können Sie beim Rückruf gleich mit "
                        "besprechen.";
            return a;
          },
      },
      outcome.result);
}

std::string Euros(std::int64_t cents) {
  std::string s = std::to_string(cents / 100);
  if (cents % 100 != 0) {
    const auto r = cents % 100;
    s += "," + std::string(r < 10 ? "0" : "") + std::to_string(r);
  }
  return s + " Euro";
}

std::string SpokenOpeningHours(const tenancy::WeeklyHours& hours) {
  // Monday first; runs of consecutive days with the same hours are said once.
  static constexpr int kWeek[7] = {1, 2, 3, 4, 5, 6, 0};
  std::vector<std::string> parts;
  for (int i = 0; i < 7;) {
    const auto& h = hours[static_cast<std::size_t>(kWeek[i])];
    if (!h) {
      ++i;
      continue;
    }
    int last = i;
    while (last + 1 < 7) {
      const auto& next = hours[static_cast<std::size_t>(kWeek[last + 1])];
      if (!next || next->open_minute != h->open_minute || next->close_minute != h->close_minute) {
        break;
      }
      ++last;
    }
    std::string days(GermanWeekdayName(kWeek[i]));
    if (last == i + 1) {
      days += " und " + std::string(GermanWeekdayName(kWeek[last]));
    } else if (last > i + 1) {
      days += " bis " + std::string(GermanWeekdayName(kWeek[last]));
    }
    parts.push_back(days + " von " + SpokenClock(h->open_minute) + " bis " +
                    SpokenClock(h->close_minute) + " Uhr");
    i = last + 1;
  }
  return JoinAll(parts);
}

ToolAnswer SpeakServices(const std::vector<tenancy::Service>& services) {
  ToolAnswer a;
  a.data["services"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& s : services) {
    a.data["services"].push_back({{"id", s.id.value},
                                  {"name", s.name},
                                  {"duration_minutes", s.duration_minutes},
                                  {"price_cents", s.price_cents},
                                  {"price", Euros(s.price_cents)},
                                  {"is_default", s.is_default}});
    spoken.push_back(s.name + " (" + std::to_string(s.duration_minutes) + " Minuten, " +
                     Euros(s.price_cents) + ")");
  }
  a.success = !spoken.empty();
  a.message = spoken.empty() ? "Hier können derzeit keine Termine gebucht werden."
                             : "Wir bieten an: " + JoinAll(spoken) + ".";
  return a;
}

ToolAnswer SpeakBranches(const booking::BranchesOutcome& outcome) {
  static constexpr const char* kShort[7] = {"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"};
  ToolAnswer a;
  a.data["branches"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& b : outcome.branches) {
    json hours = json::object();
    for (int d : {1, 2, 3, 4, 5, 6, 0}) {
      const auto& h = b.business_hours[static_cast<std::size_t>(d)];
      if (!h) continue;
      hours[kShort[d]] = tenancy::FormatClockMinutes(h->open_minute) + "–" +
                         tenancy::FormatClockMinutes(h->close_minute);
    }
    a.data["branches"].push_back({{"id", b.id.value},
                                  {"name", b.name},
                                  {"address", b.address},
                                  {"opening_hours", hours},
                                  {"is_callers_branch", outcome.callers == b.id}});
    const std::string open = SpokenOpeningHours(b.business_hours);
    spoken.push_back(b.name + (b.address.empty() ? "" : ", " + b.address) +
                     (open.empty() ? "." : ", hat " + open + " geöffnet."));
  }
  if (spoken.empty()) {
    a.success = false;
    a.message = "Derzeit ist kein Standort eingetragen.";
    return a;
  }
  std::string text = spoken.size() == 1 ? "Unser Standort: " : "Unsere Standorte: ";
  for (std::size_t i = 0; i < spoken.size(); ++i) text += (i == 0 ? "" : " ") + spoken[i];
  a.message = std::move(text);
  return a;
}

namespace {

namespace ch = booking::changes;

// "Erstberatung am Freitag, 27. November, um 10 Uhr" (the service when known).
std::string SpokenAppointment(const ch::Listed& l, SystemTimePoint now) {
  return (l.service.empty() ? std::string() : l.service + " am ") +
         SpokenDateTime(l.appointment.starts_at, l.appointment.timezone, now);
}

json AppointmentJson(const ch::Listed& l, SystemTimePoint now) {
  return {{"id", l.appointment.id.value},
          {"service", l.service},
          {"start", FormatIso8601Utc(l.appointment.starts_at)},
          {"spoken", SpokenDateTime(l.appointment.starts_at, l.appointment.timezone, now)},
          {"status", l.appointment.status}};
}

ToolAnswer Refusal(std::string message, std::string_view reason) {
  ToolAnswer a;
  a.success = false;
  a.message = std::move(message);
  a.data["reason"] = std::string(reason);
  return a;
}

// A booking awaiting the practice's confirmation (`what`: "am Dienstag, …" or "für …").
std::string RequestedSentence(const std::string& what) {
  return "Ihr Terminwunsch " + what + " ist angefragt; die Praxis bestätigt ihn noch.";
}

// Said where the caller cannot do it by phone: the team can, and a callback can be noted.
constexpr std::string_view kOfferCallback =
    " Ich kann aber gern einen Rückruf notieren, dann meldet sich das Team bei Ihnen.";

ToolAnswer Speak(const ch::NotFound& n, SystemTimePoint now, std::string_view zone) {
  switch (n.why) {
    case ch::Missing::kNotActive:
      return Refusal("Dieser Termin ist bereits storniert oder verschoben.", "not_active");
    case ch::Missing::kNoCustomer:
      return Refusal("Unter Ihrer Telefonnummer finde ich keinen Termin.", "unknown_caller");
    case ch::Missing::kNoneUpcoming:
      break;
  }
  if (n.day) {
    const auto noon = NoonOf(*n.day, zone);
    if (noon) {
      return Refusal("Am " + SpokenDay(*noon, YearOf(now, zone)) +
                         ", finde ich keinen Termin unter Ihrer Telefonnummer.",
                     "none_that_day");
    }
  }
  return Refusal("Ich finde keinen kommenden Termin unter Ihrer Telefonnummer.", "none_upcoming");
}

ToolAnswer Speak(const ch::Ambiguous& many, SystemTimePoint now) {
  ToolAnswer a;
  a.success = false;
  a.data["appointments"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& c : many.candidates) {
    a.data["appointments"].push_back(AppointmentJson(c, now));
    spoken.push_back(SpokenAppointment(c, now));
  }
  a.data["missing"] = json::array({"appointment_id"});
  a.message = "Sie haben mehrere Termine: " + JoinChoices(spoken) + ". Welchen meinen Sie?";
  return a;
}

ToolAnswer Speak(const ch::Refused& r) {
  std::string why;
  std::string_view code = "too_late";
  switch (r.decision.refusal) {
    case booking::PolicyRefusal::kStarted:
      why = "Dieser Termin hat bereits begonnen oder liegt in der Vergangenheit.";
      code = "started";
      break;
    case booking::PolicyRefusal::kMonthlyLimit:
      why = "Telefonisch sind in diesem Monat keine weiteren Änderungen möglich.";
      code = "monthly_limit";
      break;
    case booking::PolicyRefusal::kTooLate:
    case booking::PolicyRefusal::kNone:
      why = "Änderungen sind nur bis " + std::to_string(r.decision.notice_hours) +
            " Stunden vor dem Termin möglich.";
      break;
  }
  ToolAnswer a = Refusal(why + std::string(kOfferCallback), code);
  a.data["policy"] = "denied";
  return a;
}

std::string FeeSentence(std::int64_t fee_cents, std::string_view lead) {
  return fee_cents > 0 ? " " + std::string(lead) + " eine Gebühr von " + Euros(fee_cents) + " an."
                       : "";
}

// An availability answer about a new time, with the reschedule tool's argument names.
ToolAnswer AsNewTime(ToolAnswer a) {
  if (auto it = a.data.find("missing"); it != a.data.end()) {
    for (auto& name : *it) {
      if (name == "date") name = "new_date";
      if (name == "time") name = "new_time";
    }
  }
  return a;
}

}  // namespace

ToolAnswer SpeakBooking(const booking::BookOutcome& outcome, std::string_view zone) {
  namespace bk = booking::book;
  const auto now = outcome.as_of;
  const auto& service = outcome.service;
  return std::visit(
      Visitor{
          [&](const av::ServiceUnknown& u) { return Speak(service, u); },
          [&](const av::OtherBranch& o) { return Speak(o); },
          [&](const av::NotBookableOnline& n) { return Speak(service, n); },
          [&](const av::NeedsInput& n) {
            ToolAnswer a = Speak(service, n, now, zone);
            if (n.field == av::Field::kDate && n.problem == av::Problem::kNotSaid) {
              a.message = "An welchem Tag möchten Sie kommen?";
            }
            return a;
          },
          [&](const bk::NotFree& n) {
            ToolAnswer a = Base(service);
            a.success = false;
            a.data["available"] = false;
            a.data["requested"] = FormatIso8601Utc(n.taken.requested);
            a.data["alternatives"] = AlternativesJson(n.taken.alternatives, zone, now);
            const std::string when = SpokenDateTime(n.taken.requested, zone, now);
            std::string why;
            switch (n.calendar) {
              case bk::CalendarSaid::kJustTaken:
                why = when + " wurde gerade vergeben.";
                a.data["reason"] = "booked";
                break;
              case bk::CalendarSaid::kRefused:
                why = "Dieser Termin kann so nicht gebucht werden.";
                a.data["reason"] = "refused";
                break;
              case bk::CalendarSaid::kNothing:
                why = WhyNotFree(n.taken, zone, now);
                a.data["reason"] = std::string(NotFreeCode(n.taken.why));
                break;
            }
            a.message = why + " " +
                        Offer(n.taken.alternatives, zone, now, booking::SlotSource::kLive,
                              "Leider habe ich keine Alternative gefunden.");
            return a;
          },
          [&](const bk::Booked& b) {
            const auto& appt = b.appointment;
            ToolAnswer a = Base(service);
            a.data["appointment_id"] = appt.id.value;
            a.data["start"] = FormatIso8601Utc(appt.starts_at);
            a.data["status"] = appt.status;
            const std::string when = SpokenDateTime(appt.starts_at, appt.timezone, now);
            const bool held = appt.status == booking::kPendingSync;
            const bool requested = appt.status == booking::kRequested;
            if (b.replay) {
              a.data["idempotent_replay"] = true;
              if (requested) {
                a.message = RequestedSentence("am " + when);
                return a;
              }
              a.message = held ? "Ihr Terminwunsch " + when +
                                     " ist aufgenommen. Sie erhalten eine Bestätigung."
                               : "Ihr Termin am " + when + " ist gebucht.";
              return a;
            }
            if (held) {
              a.message = "Ich habe Ihren Terminwunsch für " + b.service + " am " + when +
                          " aufgenommen. Die Bestätigung erhalten Sie in Kürze.";
              return a;
            }
            a.data["booking_uid"] = appt.calcom_booking_uid.value_or("");
            const std::string what =
                b.service + " am " + when + (b.branch.empty() ? std::string() : " in " + b.branch);
            // Awaiting the practice's confirmation: a request, never "gebucht".
            a.message = requested ? RequestedSentence("für " + what)
                                  : "Ihr Termin ist gebucht: " + what + ".";
            return a;
          },
          [&](const bk::SeriesRefused&) {
            return Refusal("Für " + (service ? service->name : std::string("diese Leistung")) +
                               " kann ich telefonisch keine Serientermine vergeben." +
                               std::string(kOfferCallback),
                           "recurring_event_type");
          },
          [&](const bk::NotBooked& n) {
            ToolAnswer a =
                Refusal("Dieser Termin konnte leider nicht gebucht werden.", "not_booked");
            a.data["idempotent_replay"] = n.replay;
            return a;
          },
          [&](const bk::Failed& f) {
            ToolAnswer a = Refusal(
                "Die Buchung ist gerade leider nicht möglich. Ich habe einen Rückruf notiert; wir "
                "melden uns bei Ihnen, um den Termin zu vereinbaren.",
                "calendar_refused");
            a.data["callback_request_id"] = f.callback.value;
            return a;
          },
      },
      outcome.result);
}

ToolAnswer SpeakContact(const booking::ContactOutcome& outcome) {
  namespace ct = booking::contact;
  return std::visit(
      Visitor{
          [&](const ct::NeedsInput& n) {
            ToolAnswer a;
            a.success = false;
            switch (n.field) {
              case ct::Field::kEmail:
                a.data["missing"] = json::array({"email"});
                a.message =
                    "Die E-Mail-Adresse scheint nicht zu stimmen. Können Sie sie bitte "
                    "buchstabieren?";
                break;
              case ct::Field::kPhone:
                a.data["missing"] = json::array({"phone"});
                a.message = n.unreadable
                                ? "Die Telefonnummer habe ich nicht verstanden. Bitte nennen Sie "
                                  "sie noch einmal."
                                : "Unter welcher Telefonnummer können wir Sie erreichen?";
                break;
              case ct::Field::kName:
                a.data["missing"] = json::array({"name"});
                a.message = "Wie ist Ihr Name?";
                break;
            }
            return a;
          },
          [&](const ct::Noted& n) {
            ToolAnswer a;
            const std::string thanks =
                "Vielen Dank" + (n.name.empty() ? std::string() : ", " + n.name) + ".";
            if (!n.customer) {
              a.message = thanks + " Ich habe Ihre Kontaktdaten notiert.";
              a.data["customer"] = {{"name", n.name}, {"email", n.email}};
              a.data["contact_phone"] = n.contact_phone;
              return a;
            }
            a.message = thanks + " Ich habe Ihre Daten notiert.";
            a.data["customer"] = {{"id", n.customer->id.value},
                                  {"name", n.customer->name},
                                  {"phone", n.customer->phone_e164},
                                  {"email", n.customer->email.value_or("")}};
            if (!n.contact_phone.empty()) a.data["contact_phone"] = n.contact_phone;
            return a;
          },
      },
      outcome.result);
}

ToolAnswer SpeakAppointments(const booking::AppointmentsOutcome& outcome) {
  ToolAnswer a;
  a.data["appointments"] = json::array();
  if (!outcome.known_caller) {
    a.success = false;
    a.message = outcome.withheld
                    ? "Ihre Nummer ist unterdrückt, daher kann ich Ihre Termine nicht finden."
                    : "Unter Ihrer Telefonnummer sind keine Termine eingetragen.";
    return a;
  }
  std::vector<std::string> spoken;
  for (const auto& l : outcome.appointments) {
    a.data["appointments"].push_back(AppointmentJson(l, outcome.as_of));
    spoken.push_back(SpokenAppointment(l, outcome.as_of) +
                     (l.appointment.status == booking::kPendingSync ? " (Bestätigung folgt)"
                      : l.appointment.status == booking::kRequested
                          ? " (angefragt, die Praxis bestätigt ihn noch)"
                          : ""));
  }
  a.success = !spoken.empty();
  a.message = spoken.empty() ? "Sie haben derzeit keine kommenden Termine bei uns."
                             : "Ihre kommenden Termine: " + JoinAll(spoken) + ".";
  // Requests the practice turned down since the call that made them.
  std::vector<std::string> turned_down;
  for (const auto& l : outcome.rejected) {
    a.data["appointments"].push_back(AppointmentJson(l, outcome.as_of));
    turned_down.push_back(
        SpokenDateTime(l.appointment.starts_at, l.appointment.timezone, outcome.as_of));
  }
  if (!turned_down.empty()) {
    a.message +=
        " Ihr Terminwunsch am " + JoinAll(turned_down) + " wurde von der Praxis leider abgelehnt.";
  }
  return a;
}

ToolAnswer SpeakCancel(const booking::CancelOutcome& outcome, std::string_view zone) {
  const auto now = outcome.as_of;
  return std::visit(
      Visitor{
          [&](const ch::NotFound& n) { return Speak(n, now, zone); },
          [&](const ch::Ambiguous& m) { return Speak(m, now); },
          [&](const ch::Refused& r) { return Speak(r); },
          [&](const ch::CalendarUnavailable&) {
            return Refusal(
                "Ich kann den Kalender gerade nicht erreichen. Bitte versuchen Sie es in ein paar "
                "Minuten noch einmal." +
                    std::string(kOfferCallback),
                "calendar_unavailable");
          },
          [&](const ch::CallbackNoted& n) {
            ToolAnswer a = Refusal(
                "Da Ihre Nummer unterdrückt ist, kann ich Ihren Termin nicht sicher zuordnen. Ich "
                "habe einen Rückruf für Sie notiert; wir melden uns, um die Stornierung zu "
                "erledigen.",
                "withheld");
            a.data["callback_request_id"] = n.id.value;
            return a;
          },
          [&](const ch::Cancelled& c) {
            ToolAnswer a;
            a.message = "Ihr Termin am " +
                        SpokenDateTime(c.appointment.starts_at, c.appointment.timezone, now) +
                        " ist storniert." +
                        FeeSentence(c.fee_cents, "Wegen der kurzfristigen Absage fällt");
            a.data["appointment_id"] = c.appointment.id.value;
            a.data["fee_cents"] = c.fee_cents;
            return a;
          },
      },
      outcome.result);
}

ToolAnswer SpeakReschedule(const booking::RescheduleOutcome& outcome, std::string_view zone,
                           const SpeechSettings& settings) {
  const auto now = outcome.as_of;
  return std::visit(
      Visitor{
          [&](const ch::NotFound& n) { return Speak(n, now, zone); },
          [&](const ch::Ambiguous& m) { return Speak(m, now); },
          [&](const ch::Refused& r) { return Speak(r); },
          [&](const ch::NotMovable&) {
            return Refusal("Diesen Termin kann ich telefonisch leider nicht verschieben." +
                               std::string(kOfferCallback),
                           "not_movable");
          },
          [&](const ch::NewTimeNotFree& n) {
            const auto* asked = std::get_if<av::NeedsInput>(&n.availability.result);
            if (asked != nullptr && asked->field == av::Field::kDate &&
                asked->problem == av::Problem::kNotSaid) {
              ToolAnswer a = Refusal("Auf welchen Tag möchten Sie den Termin legen?", "not_said");
              a.data["missing"] = json::array({"new_date"});
              return a;
            }
            ToolAnswer a = AsNewTime(SpeakAvailability(n.availability, zone, settings));
            if (std::holds_alternative<av::DayList>(n.availability.result)) {
              a.data["missing"] = json::array({"new_time"});
            }
            a.success = false;
            return a;
          },
          [&](const ch::Proposed& p) {
            ToolAnswer a;
            a.message =
                "Ich kann Ihren Termin am " +
                SpokenDateTime(p.from.appointment.starts_at, p.from.appointment.timezone, now) +
                " auf " + SpokenDateTime(p.to.start, zone, now) + " verschieben." +
                FeeSentence(p.fee_cents, "Dafür fällt") + " Soll ich das machen?";
            a.data["needs_confirmation"] = true;
            a.data["appointment_id"] = p.from.appointment.id.value;
            a.data["new_start"] = FormatIso8601Utc(p.to.start);
            a.data["fee_cents"] = p.fee_cents;
            return a;
          },
          [&](const ch::StillConfirming&) {
            return Refusal(
                "Dieser Termin wird gerade noch bestätigt; bitte verschieben Sie ihn später.",
                "still_confirming");
          },
          [&](const ch::JustTaken& t) {
            return Refusal(SpokenDateTime(t.requested, zone, now) +
                               " wurde gerade vergeben. Soll ich nach einer anderen Zeit sehen?",
                           "booked");
          },
          [&](const ch::CalendarUnavailable&) {
            return Refusal(
                "Ich kann den Kalender gerade nicht erreichen. Bitte versuchen Sie es gleich noch "
                "einmal." +
                    std::string(kOfferCallback),
                "calendar_unavailable");
          },
          [&](const ch::Moved& m) {
            ToolAnswer a;
            const std::string when = SpokenDateTime(m.to.starts_at, m.to.timezone, now);
            a.message = (m.to.status == booking::kRequested
                             ? RequestedSentence("am " + when)
                             : "Ihr Termin ist verschoben auf " + when + ".") +
                        FeeSentence(m.fee_cents, "Dafür fällt");
            a.data["status"] = m.to.status;
            a.data["appointment_id"] = m.to.id.value;
            a.data["booking_uid"] = m.to.calcom_booking_uid.value_or("");
            a.data["fee_cents"] = m.fee_cents;
            return a;
          },
      },
      outcome.result);
}

std::string SpeakQuickSlots(const booking::BookingService::QuickAvailability& quick,
                            std::string_view zone) {
  auto times = [&](const std::vector<booking::Slot>& slots) {
    std::vector<std::string> said;
    for (std::size_t i = 0; i < slots.size() && said.size() < 3; ++i) {
      if (auto l = ToLocal(slots[i].start, zone))
        said.push_back(SpokenClock(l->hour * 60 + l->minute));
    }
    std::string out;
    for (std::size_t i = 0; i < said.size(); ++i) {
      if (i > 0) out += i + 1 == said.size() ? " und " : ", ";
      out += said[i];
    }
    return out;
  };
  std::string text;
  if (!quick.today.empty()) text = "heute um " + times(quick.today) + " Uhr";
  if (!quick.tomorrow.empty()) {
    text += (text.empty() ? "" : ", ") + std::string("morgen um ") + times(quick.tomorrow) + " Uhr";
  }
  if (text.empty()) text = "heute und morgen keine freien Termine";
  return quick.service.name + ": " + text +
         (quick.source == booking::SlotSource::kFallback ? " (unverbindlich)" : "");
}

booking::RecordWording RecordWording() {
  booking::RecordWording w;
  w.unnamed_attendee = "Anrufer";
  w.series_refused = "Serientermine werden telefonisch nicht vergeben";
  w.cancelled_by_caller = "Vom Anrufer telefonisch storniert";
  w.released_while_booking = "Während der Buchung storniert";
  w.released_while_moving = "Während der Verschiebung storniert";
  w.moved_by_caller = "Vom Anrufer telefonisch verschoben";
  w.cancellation_wished = [](std::string_view reason) {
    return "Stornierung gewünscht: " + std::string(reason);
  };
  w.booking_failed = [](const booking::FailedBookingNote& note) {
    return "Terminwunsch " + (note.service.empty() ? "" : note.service + " ") +
           SpokenDateTime(note.start, note.time_zone, note.now) + " konnte nicht gebucht werden";
  };
  return w;
}

}  // namespace callgate::agent
