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

Result<std::vector<tenancy::Service>> BookingService::Services(const CallContext& ctx) {
  auto here = availability_.ServicesHere(ctx);
  if (here) Count("list-services", "ok");
  return here;
}

Result<BranchesOutcome> BookingService::Branches(const CallContext& ctx) {
  auto branches = branches_.ListForCompany(ctx.company.id);
  if (!branches) return tl::unexpected(branches.error());
  BranchesOutcome out;
  for (auto& b : *branches) {
    if (b.is_active) out.branches.push_back(std::move(b));
  }
  if (ctx.branch) out.callers = ctx.branch->id;
  Count("get-branches", "ok");
  return out;
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

}  // namespace callgate::booking
