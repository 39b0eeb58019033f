#include "booking/booking_service.hpp"

#include <algorithm>
#include <cctype>

#include "booking/answer_helpers.hpp"
#include "booking/german_time.hpp"
#include "booking/service_matcher.hpp"
#include "core/digest.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::booking {
namespace {

using internal::Euros;
using internal::Missing;
using nlohmann::json;

// [local midnight, next local midnight) of a calendar date in `zone`.
std::pair<SystemTimePoint, SystemTimePoint> LocalDay(int y, int m, int d, const std::string& zone) {
  auto from = FromLocal(LocalDateTime{y, m, d, 0, 0, 0}, zone);
  auto noon = FromLocal(LocalDateTime{y, m, d, 12, 0, 0}, zone);
  if (!from || !noon) return {};
  auto next = ToLocal(*noon + std::chrono::hours(24), zone);
  auto to = next ? FromLocal(LocalDateTime{next->year, next->month, next->day, 0, 0, 0}, zone)
                 : Result<SystemTimePoint>(*from + std::chrono::hours(24));
  return {*from, to ? *to : *from + std::chrono::hours(24)};
}

std::pair<SystemTimePoint, SystemTimePoint> LocalDayOf(SystemTimePoint t, const std::string& zone) {
  auto l = ToLocal(t, zone);
  if (!l) return {t, t + std::chrono::hours(24)};
  return LocalDay(l->year, l->month, l->day, zone);
}

std::string JoinGerman(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " und " : ", ";
    out += items[i];
  }
  return out;
}

std::string_view SourceName(SlotSource s) {
  switch (s) {
    case SlotSource::kLive:
      return "live";
    case SlotSource::kCache:
      return "cache";
    case SlotSource::kFallback:
      return "fallback";
  }
  return "live";
}

}  // namespace

PolicyDecision CheckChangePolicy(const tenancy::ChangePolicy& policy, SystemTimePoint start,
                                 SystemTimePoint now, int changes_this_month) {
  PolicyDecision d;
  if (start <= now) {
    d.allowed = false;
    d.reason = "Dieser Termin hat bereits begonnen oder liegt in der Vergangenheit.";
    return d;
  }
  if (policy.monthly_limit && changes_this_month >= *policy.monthly_limit) {
    d.allowed = false;
    d.reason = "Das monatliche Limit für Änderungen ist erreicht.";
    return d;
  }
  const double hours_left = std::chrono::duration<double, std::ratio<3600>>(start - now).count();
  const tenancy::FeeTier* tier = nullptr;
  for (const auto& t : policy.fee_tiers) {
    if (hours_left < t.within_hours && (tier == nullptr || t.within_hours < tier->within_hours)) {
      tier = &t;
    }
  }
  if (tier != nullptr) d.fee_cents = tier->fee_cents;
  if (hours_left < policy.notice_hours && tier == nullptr) {
    d.allowed = false;
    d.reason = "Änderungen sind nur bis " + std::to_string(policy.notice_hours) +
               " Stunden vor dem Termin möglich.";
  }
  return d;
}

CalendarAccount BookingService::AccountFor(const tenancy::Company& company) const {
  CalendarAccount account;
  account.api_key =
      company.calcom_api_key.empty() ? settings_.platform_calcom_key : company.calcom_api_key;
  account.base_url = settings_.calcom_base_url;
  return account;
}

void BookingService::Count(std::string_view tool, std::string_view outcome) {
  metrics_.Increment("callgate_booking_tool_total",
                     {{"tool", std::string(tool)}, {"outcome", std::string(outcome)}});
}

tenancy::WeeklyHours BookingService::Hours(const CallContext& ctx) const {
  return ctx.branch ? ctx.branch->business_hours : tenancy::WeeklyHours{};
}

std::string BookingService::Speak(SystemTimePoint t, const std::string& zone) const {
  return SpeakGermanDateTime(t, zone, clock_.Now());
}

json BookingService::SlotJson(const Slot& slot, const std::string& zone) const {
  json j = {{"start", FormatIso8601Utc(slot.start)}, {"end", FormatIso8601Utc(slot.end)}};
  if (auto l = ToLocal(slot.start, zone)) {
    j["local_date"] = FormatGermanDate(*l);
    j["local_time"] = FormatClockTime(*l);
    char iso[24];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d", l->year, l->month, l->day, l->hour,
                  l->minute);
    j["local_iso"] = iso;
  }
  j["spoken"] = Speak(slot.start, zone);
  return j;
}

Result<std::vector<tenancy::Service>> BookingService::ServicesHere(const CallContext& ctx) {
  auto all = ctx.branch ? services_.ListForBranch(ctx.company.id, ctx.branch->id)
                        : services_.ListForCompany(ctx.company.id);
  if (!all) return all;
  std::vector<tenancy::Service> active;
  for (auto& s : *all) {
    if (s.is_active) active.push_back(std::move(s));
  }
  return active;
}

Result<tenancy::Service> BookingService::ResolveService(const CallContext& ctx,
                                                        const ServiceChoice& choice,
                                                        ToolAnswer* not_found) {
  auto here = ServicesHere(ctx);
  if (!here) return tl::unexpected(here.error());
  const std::string& id_text = choice.id;
  if (!id_text.empty()) {
    long long id = 0;
    try {
      id = std::stoll(id_text);
    } catch (...) {
      id = -1;
    }
    auto service = services_.FindById(ctx.company.id, tenancy::ServiceId(id));
    if (!service) {
      if (service.error().code != ErrorCode::kNotFound) return tl::unexpected(service.error());
      // Unknown here: it may be another company's; never say which.
      return Fail(ErrorCode::kPermissionDenied, "service not available");
    }
    const bool offered = std::any_of(
        here->begin(), here->end(), [&](const tenancy::Service& s) { return s.id == service->id; });
    if (!offered) return Fail(ErrorCode::kPermissionDenied, "not available at your branch");
    return service;
  }
  const std::string& wanted = choice.name;
  auto match = MatchService(*here, wanted);
  if (match) return match;
  // Offered by the company, but at another branch?
  if (!wanted.empty() && ctx.branch) {
    auto all = services_.ListForCompany(ctx.company.id);
    if (all && MatchService(*all, wanted)) {
      return Fail(ErrorCode::kPermissionDenied, "not available at your branch");
    }
  }
  if (not_found != nullptr) {
    std::vector<std::string> names;
    for (const auto& s : *here) names.push_back(s.name);
    not_found->success = false;
    not_found->message = wanted.empty()
                             ? "Für welche Leistung möchten Sie einen Termin? Wir bieten " +
                                   JoinGerman(names) + " an."
                             : "Die Leistung \"" + wanted +
                                   "\" bieten wir hier nicht an. Wir "
                                   "bieten " +
                                   JoinGerman(names) + " an.";
    not_found->data["services"] = names;
    if (wanted.empty()) not_found->data["missing"] = json::array({"service"});
  }
  return Fail(ErrorCode::kNotFound, "no such service");
}

std::optional<tenancy::ServiceId> BookingService::ServiceFor(const CallContext& ctx,
                                                             const ServiceChoice& choice) {
  auto service = ResolveService(ctx, choice, nullptr);
  if (!service) return std::nullopt;
  return service->id;
}

Result<SlotAnswer> BookingService::DaySlots(const CallContext& ctx, const tenancy::Service& service,
                                            SystemTimePoint any_time_that_day) {
  if (!service.calcom_event_type_id) {
    return Fail(ErrorCode::kInvalidArgument, "the service has no calendar");
  }
  const auto [from, to] = LocalDayOf(any_time_that_day, ctx.timezone);
  SlotQuery q;
  q.account = AccountFor(ctx.company);
  q.event_type_id = *service.calcom_event_type_id;
  q.from = from;
  q.to = to;
  q.time_zone = ctx.timezone;
  q.duration_minutes = service.duration_minutes;
  auto answer = calendar_.GetSlots(q);
  if (!answer) return answer;
  // Only what the caller can actually take: inside opening hours and the minimum notice.
  const auto earliest = clock_.Now() + std::chrono::minutes(service.minimum_notice_minutes);
  std::vector<Slot> usable;
  for (const auto& s : answer->slots) {
    if (s.start >= earliest && s.start >= from && s.start < to &&
        WithinBusinessHours(s.start, std::chrono::minutes(service.duration_minutes), Hours(ctx),
                            ctx.timezone)) {
      usable.push_back(s);
    }
  }
  answer->slots = std::move(usable);
  return answer;
}

std::vector<Alternative> BookingService::FindAlternatives(const CallContext& ctx,
                                                          const tenancy::Service& service,
                                                          SystemTimePoint wish, int count,
                                                          SlotSource* source) {
  if (!service.calcom_event_type_id) return {};
  const auto [day_from, day_to] = LocalDayOf(wish, ctx.timezone);
  const auto next_workday = NextWorkdaySameTime(wish, Hours(ctx), ctx.timezone);
  const auto next_week = LocalDayOf(wish + std::chrono::hours(24 * 7), ctx.timezone);
  auto make = [&](SystemTimePoint from, SystemTimePoint to) {
    SlotQuery q;
    q.account = AccountFor(ctx.company);
    q.event_type_id = *service.calcom_event_type_id;
    q.from = from;
    q.to = to;
    q.time_zone = ctx.timezone;
    q.duration_minutes = service.duration_minutes;
    return q;
  };
  const auto nw = LocalDayOf(next_workday, ctx.timezone);
  // Independent questions, asked at once: the wish's day, the next workday, the same weekday
  // next week, and the two weeks after the wish for the first free day.
  std::vector<SlotQuery> queries = {make(day_from, day_to), make(nw.first, nw.second),
                                    make(next_week.first, next_week.second),
                                    make(day_to, day_to + std::chrono::hours(24 * 14))};
  auto answers = calendar_.GetSlotsMany(queries);
  std::vector<Slot> all;
  SlotSource worst = SlotSource::kLive;
  for (auto& a : answers) {
    if (!a) continue;
    if (a->source == SlotSource::kFallback) worst = SlotSource::kFallback;
    if (a->source == SlotSource::kCache && worst == SlotSource::kLive) worst = SlotSource::kCache;
    all.insert(all.end(), a->slots.begin(), a->slots.end());
  }
  std::sort(all.begin(), all.end(), [](const Slot& a, const Slot& b) { return a.start < b.start; });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (source != nullptr) *source = worst;
  AlternativeRules rules;
  rules.max_results = std::clamp(count, 1, 10);
  return RankAlternatives(
      wish, all, Hours(ctx), ctx.timezone, std::chrono::minutes(service.duration_minutes),
      std::chrono::minutes(service.minimum_notice_minutes), clock_.Now(), rules);
}

Result<ToolAnswer> BookingService::ListServices(const CallContext& ctx) {
  auto here = ServicesHere(ctx);
  if (!here) return tl::unexpected(here.error());
  ToolAnswer a;
  a.data["services"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& s : *here) {
    a.data["services"].push_back({{"id", s.id.value},
                                  {"name", s.name},
                                  {"duration_minutes", s.duration_minutes},
                                  {"price_cents", s.price_cents},
                                  {"price", Euros(s.price_cents)},
                                  {"is_default", s.is_default}});
    spoken.push_back(s.name + " (" + std::to_string(s.duration_minutes) + " Minuten, " +
                     Euros(s.price_cents) + ")");
  }
  a.message = spoken.empty() ? "Hier können derzeit keine Termine gebucht werden."
                             : "Wir bieten an: " + JoinGerman(spoken) + ".";
  a.success = !spoken.empty();
  Count("list-services", "ok");
  return a;
}

Result<ToolAnswer> BookingService::GetBranches(const CallContext& ctx) {
  auto branches = branches_.ListForCompany(ctx.company.id);
  if (!branches) return tl::unexpected(branches.error());
  static constexpr const char* kDays[7] = {"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"};
  ToolAnswer a;
  a.data["branches"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& b : *branches) {
    if (!b.is_active) continue;
    json hours = json::object();
    std::vector<std::string> hours_text;
    for (int d : {1, 2, 3, 4, 5, 6, 0}) {
      const auto& h = b.business_hours[static_cast<size_t>(d)];
      if (!h) continue;
      const std::string range = tenancy::FormatClockMinutes(h->open_minute) + "–" +
                                tenancy::FormatClockMinutes(h->close_minute);
      hours[kDays[d]] = range;
      hours_text.push_back(std::string(kDays[d]) + " " + range);
    }
    a.data["branches"].push_back({{"id", b.id.value},
                                  {"name", b.name},
                                  {"address", b.address},
                                  {"opening_hours", hours},
                                  {"is_callers_branch", ctx.branch && ctx.branch->id == b.id}});
    spoken.push_back(b.name + (b.address.empty() ? "" : ", " + b.address) +
                     (hours_text.empty() ? "" : " (geöffnet " + JoinGerman(hours_text) + ")"));
  }
  a.message = "Unsere Standorte: " + JoinGerman(spoken) + ".";
  Count("get-branches", "ok");
  return a;
}

Result<ToolAnswer> BookingService::CheckAvailability(const CallContext& ctx,
                                                     const SlotWish& request) {
  ToolAnswer answer;
  auto service = ResolveService(ctx, request.service, &answer);
  if (!service) {
    if (service.error().code == ErrorCode::kNotFound) return answer;
    return tl::unexpected(service.error());
  }
  const std::string& date = request.date;
  const std::string& time = request.time;
  if (date.empty() && time.empty()) {
    return Missing({"date"}, "Für welchen Tag soll ich nachsehen?");
  }
  auto wish = ParseGermanDateTime(date, time, clock_.Now(), ctx.timezone);
  if (!wish) {
    return Missing({"date"},
                   "Das Datum habe ich leider nicht verstanden. Können Sie den Tag "
                   "bitte noch einmal nennen?");
  }
  auto day_start =
      FromLocal(LocalDateTime{wish->year, wish->month, wish->day, 12, 0, 0}, ctx.timezone);
  if (!day_start) return Missing({"date"}, "Dieses Datum gibt es nicht.");
  auto slots = DaySlots(ctx, *service, *day_start);
  if (!slots) {
    if (slots.error().code == ErrorCode::kInvalidArgument) {
      ToolAnswer a;
      a.success = false;
      a.message = "Für " + service->name + " kann ich leider keine Termine online vergeben.";
      return a;
    }
    Count("check-availability", "calendar_error");
    ToolAnswer a;
    a.success = false;
    a.message =
        "Ich kann den Kalender gerade nicht erreichen. Darf ich Ihren Wunsch notieren, "
        "damit wir Sie zurückrufen?";
    a.data["error"] = std::string(ErrorCodeName(slots.error().code));
    return a;
  }
  const bool unconfirmed = slots->source == SlotSource::kFallback;
  answer = ToolAnswer{};
  answer.data["service"] = {{"id", service->id.value}, {"name", service->name}};
  answer.data["source"] = std::string(SourceName(slots->source));
  answer.data["slots"] = json::array();
  for (size_t i = 0; i < slots->slots.size() && i < 20; ++i) {
    answer.data["slots"].push_back(SlotJson(slots->slots[i], ctx.timezone));
  }
  const std::string caveat =
      unconfirmed ? " (vorläufig, die Zeiten sind noch nicht bestätigt)" : "";

  std::optional<SystemTimePoint> exact;
  if (wish->minute_of_day) {
    exact = WishToInstant(*wish, ctx.timezone).value_or(SystemTimePoint{});
  }
  if (exact) {
    const bool free = std::any_of(slots->slots.begin(), slots->slots.end(),
                                  [&](const Slot& s) { return s.start == *exact; });
    answer.data["requested"] = FormatIso8601Utc(*exact);
    answer.data["available"] = free;
    if (free) {
      answer.message = Speak(*exact, ctx.timezone) + " ist für " + service->name + " frei" +
                       caveat + ". Soll ich den Termin buchen?";
      Count("check-availability", "free");
      return answer;
    }
    SlotSource alt_source = SlotSource::kLive;
    auto alts = FindAlternatives(ctx, *service, *exact, settings_.max_alternatives, &alt_source);
    answer.success = false;
    answer.data["alternatives"] = json::array();
    std::vector<std::string> spoken;
    for (const auto& alt : alts) {
      json j = SlotJson(alt.slot, ctx.timezone);
      j["kind"] = std::string(AlternativeKindName(alt.kind));
      answer.data["alternatives"].push_back(j);
      spoken.push_back(Speak(alt.slot.start, ctx.timezone));
    }
    answer.message =
        Speak(*exact, ctx.timezone) + " ist leider nicht frei. " +
        (spoken.empty() ? std::string("In den nächsten zwei Wochen habe ich leider "
                                      "keinen passenden Termin gefunden.")
                        : "Ich kann Ihnen anbieten: " + JoinGerman(spoken) + caveat + ".");
    Count("check-availability", "taken");
    return answer;
  }
  // A day (maybe with a window): list what is free.
  std::vector<Slot> in_window;
  for (const auto& s : slots->slots) {
    if (wish->window) {
      auto l = ToLocal(s.start, ctx.timezone);
      const int m = l ? l->hour * 60 + l->minute : -1;
      if (m < wish->window->from_minute || m >= wish->window->to_minute) continue;
    }
    in_window.push_back(s);
  }
  answer.data["available"] = !in_window.empty();
  if (in_window.empty()) {
    SlotSource alt_source = SlotSource::kLive;
    auto alts =
        FindAlternatives(ctx, *service, *day_start, settings_.max_alternatives, &alt_source);
    std::vector<std::string> spoken;
    answer.data["alternatives"] = json::array();
    for (const auto& alt : alts) {
      answer.data["alternatives"].push_back(SlotJson(alt.slot, ctx.timezone));
      spoken.push_back(Speak(alt.slot.start, ctx.timezone));
    }
    answer.success = false;
    answer.message =
        "An diesem Tag ist leider nichts frei. " +
        (spoken.empty() ? std::string("Auch in den Tagen danach habe ich nichts "
                                      "gefunden.")
                        : "Ich kann Ihnen anbieten: " + JoinGerman(spoken) + caveat + ".");
    Count("check-availability", "day_full");
    return answer;
  }
  std::vector<std::string> times;
  for (size_t i = 0; i < in_window.size() && static_cast<int>(i) < settings_.max_listed_slots;
       ++i) {
    if (auto l = ToLocal(in_window[i].start, ctx.timezone)) times.push_back(FormatClockTime(*l));
  }
  auto day_local = ToLocal(in_window.front().start, ctx.timezone);
  answer.message = "Am " +
                   (day_local ? FormatGermanDate(*day_local) : std::string("gewünschten Tag")) +
                   " ist frei um " + JoinGerman(times) + " Uhr" + caveat +
                   ". Welche Uhrzeit passt "
                   "Ihnen?";
  Count("check-availability", "listed");
  return answer;
}

Result<ToolAnswer> BookingService::GetAlternatives(const CallContext& ctx,
                                                   const AlternativesRequest& request) {
  ToolAnswer answer;
  auto service = ResolveService(ctx, request.wish.service, &answer);
  if (!service) {
    if (service.error().code == ErrorCode::kNotFound) return answer;
    return tl::unexpected(service.error());
  }
  const std::string& date = request.wish.date;
  const std::string& time = request.wish.time;
  SystemTimePoint wish = clock_.Now();
  if (!date.empty() || !time.empty()) {
    auto parsed = ParseGermanDateTime(date, time, clock_.Now(), ctx.timezone);
    if (!parsed) return Missing({"date"}, "Das Datum habe ich leider nicht verstanden.");
    DateTimeWish w = *parsed;
    if (!w.minute_of_day) w.minute_of_day = w.window ? w.window->from_minute : 9 * 60;
    auto instant = WishToInstant(w, ctx.timezone);
    if (!instant) return Missing({"date"}, "Das Datum habe ich leider nicht verstanden.");
    wish = *instant;
  }
  const int count = request.count.value_or(settings_.max_alternatives);
  SlotSource source = SlotSource::kLive;
  auto alts = FindAlternatives(ctx, *service, wish, count, &source);
  answer = ToolAnswer{};
  answer.data["source"] = std::string(SourceName(source));
  answer.data["alternatives"] = json::array();
  std::vector<std::string> spoken;
  for (const auto& alt : alts) {
    json j = SlotJson(alt.slot, ctx.timezone);
    j["kind"] = std::string(AlternativeKindName(alt.kind));
    answer.data["alternatives"].push_back(j);
    spoken.push_back(Speak(alt.slot.start, ctx.timezone));
  }
  answer.success = !spoken.empty();
  answer.message =
      spoken.empty()
          ? "In den nächsten zwei Wochen habe ich leider keinen freien Termin gefunden."
          : "Ich kann Ihnen anbieten: " + JoinGerman(spoken) +
                (source == SlotSource::kFallback ? " (vorläufig, noch nicht bestätigt)" : "") + ".";
  Count("get-alternatives", answer.success ? "found" : "none");
  return answer;
}

Result<ToolAnswer> BookingService::CollectCustomerInfo(const CallContext& ctx,
                                                       const ContactDetails& details_said,
                                                       std::optional<tenancy::Customer>* updated) {
  const std::string& name = details_said.name;
  const std::string& email = details_said.email;
  const std::string& phone = details_said.phone;
  if (!email.empty() && (email.find('@') == std::string::npos || email.size() > 254)) {
    return Missing({"email"},
                   "Die E-Mail-Adresse scheint nicht zu stimmen. Können Sie sie "
                   "bitte buchstabieren?");
  }
  // Who the caller is comes only from the number the network delivered (SPEC §4): a spoken
  // number is a contact number and never reveals, adopts or changes an existing customer.
  std::string contact;
  if (!phone.empty()) {
    auto normalized = NormalizeE164(phone, settings_.phone_region);
    if (!normalized) {
      return Missing({"phone"},
                     "Die Telefonnummer habe ich nicht verstanden. Bitte nennen Sie "
                     "sie noch einmal.");
    }
    contact = *normalized;
  }
  if (ctx.CallerWithheld() && contact.empty()) {
    return Missing({"phone"}, "Unter welcher Telefonnummer können wir Sie erreichen?");
  }
  if (name.empty() && email.empty() && phone.empty()) {
    return Missing({"name"}, "Wie ist Ihr Name?");
  }
  ToolAnswer a;
  if (ctx.CallerWithheld()) {
    // Nothing is looked up or stored under a number the caller only said: the details are
    // echoed for the agent and travel with the booking or callback request.
    a.message = "Vielen Dank" + (name.empty() ? std::string() : ", " + name) +
                ". Ich habe Ihre Kontaktdaten notiert.";
    a.data["customer"] = {{"name", name}, {"email", email}};
    a.data["contact_phone"] = contact;
    Count("collect-customer-info", "contact_only");
    return a;
  }
  tenancy::CustomerDetails details;
  details.phone_e164 = ctx.caller_e164;
  if (!name.empty()) details.name = name;
  if (!email.empty()) details.email = email;
  auto customer = customers_.Upsert(ctx.company.id, details);
  if (!customer) return tl::unexpected(customer.error());
  if (updated != nullptr) *updated = *customer;
  a.message = "Vielen Dank" + (customer->name.empty() ? std::string() : ", " + customer->name) +
              ". Ich habe Ihre Daten notiert.";
  a.data["customer"] = {{"id", customer->id.value},
                        {"name", customer->name},
                        {"phone", customer->phone_e164},
                        {"email", customer->email.value_or("")}};
  if (!contact.empty() && contact != ctx.caller_e164) a.data["contact_phone"] = contact;
  Count("collect-customer-info", "ok");
  return a;
}

Result<ToolAnswer> BookingService::CollectAppointmentData(const CallContext& ctx,
                                                          const AppointmentRequest& request,
                                                          const std::string& idempotency_key) {
  if (request.confirm) return BookAppointment(ctx, request, idempotency_key);
  auto check = CheckAvailability(ctx, request.wish);
  if (!check || !check->success) return check;
  if (!check->data.value("available", false) || !check->data.contains("requested")) {
    return check;  // a list of times: the caller picks one first
  }
  std::string name = request.contact.name;
  if (name.empty() && ctx.customer) name = ctx.customer->name;
  if (name.empty()) {
    auto a = Missing({"name"}, "Auf welchen Namen darf ich den Termin eintragen?");
    a.data["available"] = true;
    return a;
  }
  ToolAnswer a = *check;
  const auto start = ParseIso8601(check->data["requested"].get<std::string>());
  a.message = "Ich fasse zusammen: " + check->data["service"]["name"].get<std::string>() + " am " +
              (start ? Speak(*start, ctx.timezone) : std::string()) + " auf den Namen " + name +
              ". Soll ich das so buchen?";
  a.data["needs_confirmation"] = true;
  Count("collect-appointment-data", "summarised");
  return a;
}

Result<Appointment> BookingService::FindCallersAppointment(const CallContext& ctx,
                                                           const AppointmentChoice& choice,
                                                           ToolAnswer* answer) {
  const std::string& id_text = choice.id;
  if (!id_text.empty()) {
    long long id = -1;
    try {
      id = std::stoll(id_text);
    } catch (...) {
    }
    auto appt = appointments_.FindById(ctx.company.id, AppointmentId(id));
    if (!appt) {
      if (appt.error().code != ErrorCode::kNotFound) return tl::unexpected(appt.error());
      return Fail(ErrorCode::kPermissionDenied, "appointment not accessible");
    }
    if (!ctx.customer || appt->customer_id != ctx.customer->id) {
      return Fail(ErrorCode::kPermissionDenied, "appointment not accessible");
    }
    if (!appt->HoldsSlot()) {
      answer->success = false;
      answer->message = "Dieser Termin ist bereits storniert oder verschoben.";
      return Fail(ErrorCode::kNotFound, "not active");
    }
    return appt;
  }
  if (!ctx.customer) {
    answer->success = false;
    answer->message = "Unter Ihrer Telefonnummer finde ich keinen Termin.";
    return Fail(ErrorCode::kNotFound, "no customer");
  }
  auto upcoming =
      appointments_.ListUpcomingForCustomer(ctx.company.id, ctx.customer->id, clock_.Now());
  if (!upcoming) return tl::unexpected(upcoming.error());
  std::vector<Appointment> candidates = *upcoming;
  const std::string& date = choice.date;
  if (!date.empty() && candidates.size() > 1) {
    if (auto wish = ParseGermanDateTime(date, "", clock_.Now(), ctx.timezone)) {
      std::vector<Appointment> same_day;
      for (const auto& c : candidates) {
        auto l = ToLocal(c.starts_at, ctx.timezone);
        if (l && l->year == wish->year && l->month == wish->month && l->day == wish->day) {
          same_day.push_back(c);
        }
      }
      candidates = same_day;
    }
  }
  if (candidates.empty()) {
    answer->success = false;
    answer->message = "Ich finde keinen kommenden Termin unter Ihrer Telefonnummer.";
    return Fail(ErrorCode::kNotFound, "none");
  }
  if (candidates.size() > 1) {
    answer->success = false;
    std::vector<std::string> spoken;
    answer->data["appointments"] = json::array();
    for (const auto& c : candidates) {
      spoken.push_back(Speak(c.starts_at, c.timezone));
      answer->data["appointments"].push_back(
          {{"id", c.id.value}, {"start", FormatIso8601Utc(c.starts_at)}});
    }
    answer->message = "Sie haben mehrere Termine: " + JoinGerman(spoken) + ". Welchen meinen Sie?";
    answer->data["missing"] = json::array({"appointment_id"});
    return Fail(ErrorCode::kNotFound, "ambiguous");
  }
  return candidates.front();
}

Result<ToolAnswer> BookingService::QueryCustomerAppointments(const CallContext& ctx) {
  ToolAnswer a;
  a.data["appointments"] = json::array();
  if (!ctx.customer) {
    a.message = ctx.CallerWithheld()
                    ? "Ihre Nummer ist unterdrückt, daher kann ich Ihre Termine nicht finden."
                    : "Unter Ihrer Telefonnummer sind keine Termine eingetragen.";
    a.success = false;
    return a;
  }
  auto upcoming =
      appointments_.ListUpcomingForCustomer(ctx.company.id, ctx.customer->id, clock_.Now());
  if (!upcoming) return tl::unexpected(upcoming.error());
  auto services = services_.ListForCompany(ctx.company.id);
  std::vector<std::string> spoken;
  for (const auto& appt : *upcoming) {
    std::string service_name;
    if (services && appt.service_id) {
      for (const auto& s : *services) {
        if (s.id == *appt.service_id) service_name = s.name;
      }
    }
    a.data["appointments"].push_back({{"id", appt.id.value},
                                      {"service", service_name},
                                      {"start", FormatIso8601Utc(appt.starts_at)},
                                      {"spoken", Speak(appt.starts_at, appt.timezone)},
                                      {"status", appt.status}});
    spoken.push_back((service_name.empty() ? std::string() : service_name + " am ") +
                     Speak(appt.starts_at, appt.timezone) +
                     (appt.status == kPendingSync ? " (Bestätigung folgt)" : ""));
  }
  a.success = !spoken.empty();
  a.message = spoken.empty() ? "Sie haben derzeit keine kommenden Termine bei uns."
                             : "Ihre kommenden Termine: " + JoinGerman(spoken) + ".";
  Count("query-customer-appointments", "ok");
  return a;
}

}  // namespace callgate::booking
