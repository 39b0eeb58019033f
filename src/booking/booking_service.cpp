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

std::string JoinGerman(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " und " : ", ";
    out += items[i];
  }
  return out;
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
  return CalendarAccountFor(company, settings_);
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

Result<tenancy::Service> BookingService::ResolveService(const CallContext& ctx,
                                                        const ServiceChoice& choice,
                                                        ToolAnswer* not_found) {
  availability::ServiceUnknown unknown;
  auto service = availability_.ResolveService(ctx, choice, &unknown);
  if (!service && service.error().code == ErrorCode::kNotFound && not_found != nullptr) {
    not_found->success = false;
    not_found->message = unknown.wanted.empty()
                             ? "Für welche Leistung möchten Sie einen Termin? Wir bieten " +
                                   JoinGerman(unknown.offered) + " an."
                             : "Die Leistung \"" + unknown.wanted +
                                   "\" bieten wir hier nicht an. Wir bieten " +
                                   JoinGerman(unknown.offered) + " an.";
    not_found->data["services"] = unknown.offered;
    if (unknown.wanted.empty()) not_found->data["missing"] = json::array({"service"});
  }
  return service;
}

std::optional<tenancy::ServiceId> BookingService::ServiceFor(const CallContext& ctx,
                                                             const ServiceChoice& choice) {
  auto service = ResolveService(ctx, choice, nullptr);
  if (!service) return std::nullopt;
  return service->id;
}

Result<ToolAnswer> BookingService::ListServices(const CallContext& ctx) {
  auto here = availability_.ServicesHere(ctx);
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
                     (appt.status == kPendingSync ? " (Bestätigung folgt)"
                      : appt.status == kRequested ? " (angefragt, die Praxis bestätigt ihn noch)"
                                                  : ""));
  }
  // Requests the practice turned down since: the caller hears it here (there is no other
  // channel to tell them).
  auto rejected =
      appointments_.ListUpcomingRejectedForCustomer(ctx.company.id, ctx.customer->id, clock_.Now());
  if (!rejected) return tl::unexpected(rejected.error());
  std::vector<std::string> turned_down;
  for (const auto& appt : *rejected) {
    a.data["appointments"].push_back({{"id", appt.id.value},
                                      {"start", FormatIso8601Utc(appt.starts_at)},
                                      {"spoken", Speak(appt.starts_at, appt.timezone)},
                                      {"status", appt.status}});
    turned_down.push_back(Speak(appt.starts_at, appt.timezone));
  }
  a.success = !spoken.empty();
  a.message = spoken.empty() ? "Sie haben derzeit keine kommenden Termine bei uns."
                             : "Ihre kommenden Termine: " + JoinGerman(spoken) + ".";
  if (!turned_down.empty()) {
    a.message += " Ihr Terminwunsch am " + JoinGerman(turned_down) +
                 " wurde von der Praxis leider abgelehnt.";
  }
  Count("query-customer-appointments", "ok");
  return a;
}

}  // namespace callgate::booking
