#include "booking/booking_service.hpp"

#include <algorithm>
#include <cctype>

#include "booking/german_time.hpp"
#include "booking/service_matcher.hpp"
#include "core/digest.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::booking {

CalendarAccount CalendarAccountFor(const CallContext& ctx, const BookingSettings& settings) {
  CalendarAccount account = CalendarAccountFor(ctx.company, settings);
  account.channel = ctx.channel;
  return account;
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

std::optional<tenancy::ServiceId> BookingService::ServiceFor(const CallContext& ctx,
                                                             const ServiceChoice& choice) {
  auto service = availability_.ResolveService(ctx, choice, nullptr);
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

Result<ContactOutcome> BookingService::CollectCustomerInfo(const CallContext& ctx,
                                                           const ContactDetails& said) {
  using contact::Field;
  if (!said.email.empty() &&
      (said.email.find('@') == std::string::npos || said.email.size() > 254)) {
    return ContactOutcome{contact::NeedsInput{Field::kEmail, true}};
  }
  // Who the caller is comes only from the number the network delivered (SPEC §4): a spoken
  // number is a contact number and never reveals, adopts or changes an existing customer.
  std::string number;
  if (!said.phone.empty()) {
    auto normalized = NormalizeE164(said.phone, settings_.phone_region);
    if (!normalized) return ContactOutcome{contact::NeedsInput{Field::kPhone, true}};
    number = *normalized;
  }
  if (ctx.CallerWithheld() && number.empty()) {
    return ContactOutcome{contact::NeedsInput{Field::kPhone, false}};
  }
  if (said.name.empty() && said.email.empty() && said.phone.empty()) {
    return ContactOutcome{contact::NeedsInput{Field::kName, false}};
  }
  contact::Noted noted{std::nullopt, said.name, said.email, number};
  if (ctx.CallerWithheld()) {
    // Nothing is looked up or stored under a number the caller only said: the details are
    // echoed for the agent and travel with the booking or callback request.
    Count("collect-customer-info", "contact_only");
    return ContactOutcome{std::move(noted)};
  }
  tenancy::CustomerDetails details;
  details.phone_e164 = ctx.caller_e164;
  if (!said.name.empty()) details.name = said.name;
  if (!said.email.empty()) details.email = said.email;
  auto customer = customers_.Upsert(ctx.company.id, details);
  if (!customer) return tl::unexpected(customer.error());
  noted.customer = *customer;
  noted.name = customer->name;
  noted.email = customer->email.value_or("");
  if (noted.contact_phone == ctx.caller_e164) noted.contact_phone.clear();
  Count("collect-customer-info", "ok");
  return ContactOutcome{std::move(noted)};
}

}  // namespace callgate::booking
