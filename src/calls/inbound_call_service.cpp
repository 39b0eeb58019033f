#include "calls/inbound_call_service.hpp"

#include <algorithm>

#include "core/phone.hpp"
#include "core/time_zone.hpp"

namespace callgate::calls {
namespace {

// The branch's transfer number while it is open by its opening hours (a branch without any
// hours counts as open) and it is no holiday or closing day there, else "": the agent offers a
// callback.
std::string TransferNumberNow(const tenancy::Company& company, const tenancy::Branch& branch,
                              const LocalDateTime& now, const HolidayCheck& holiday) {
  if (!branch.transfer_number) return "";
  if (holiday && holiday(company, branch, now)) return "";
  const auto& hours = branch.business_hours;
  const bool any = std::any_of(hours.begin(), hours.end(), [](const auto& h) { return h; });
  if (!any) return *branch.transfer_number;
  const auto& today = hours[static_cast<std::size_t>(now.weekday)];
  const int minute = now.hour * 60 + now.minute;
  if (today && today->open_minute <= minute && minute < today->close_minute) {
    return *branch.transfer_number;
  }
  return "";
}

}  // namespace

Result<InboundCallAnswer> InboundCallService::Answer(const InboundCallRequest& request) {
  auto count = [&](std::string_view outcome) {
    metrics_.Increment("callgate_" + request.platform + "_inbound_total",
                       {{"outcome", std::string(outcome)}});
  };
  // On a company's URL only its own numbers count (TenantDirectory).
  auto tenant = tenants_.FindByDialledNumber(request.to_number, request.url_company);
  if (!tenant) {
    count(tenant.error().code == ErrorCode::kNotFound ? "unknown_tenant" : "error");
    return tl::unexpected(tenant.error());
  }
  InboundCallAnswer answer;
  answer.company_id = tenant->company.id;
  if (tenant->number && tenant->number->retell_agent_id) {
    answer.agent_id = *tenant->number->retell_agent_id;
  }
  auto& vars = answer.dynamic_variables;
  vars["company_name"] = tenant->company.name;
  // Said first in every call (EU AI Act Art. 50; docs/retell.md shows the prompt).
  vars["ai_disclosure"] = tenancy::AiDisclosureOf(tenant->company);
  std::string zone = tenant->company.timezone;
  if (tenant->branch) {
    answer.branch_id = tenant->branch->id;
    vars["branch_name"] = tenant->branch->name;
    vars["branch_address"] = tenant->branch->address;
    if (!tenant->branch->timezone.empty()) zone = tenant->branch->timezone;
  } else {
    vars["branch_name"] = "";
    vars["branch_address"] = "";
  }
  vars["timezone"] = zone;
  vars["transfer_number"] = "";
  const auto now = clock_.Now();
  if (auto today = ToLocal(now, zone)) {
    if (tenant->branch)
      vars["transfer_number"] =
          TransferNumberNow(tenant->company, *tenant->branch, *today, holiday_);
    vars["heute_datum"] = FormatGermanDate(*today);
    vars["heute_wochentag"] = std::string(GermanWeekdayName(today->weekday));
    vars["uhrzeit"] = FormatClockTime(*today);
    // Tomorrow by the calendar, not +24 h (DST days have 23 or 25 hours).
    LocalDateTime noon = *today;
    noon.hour = 12;
    noon.minute = noon.second = 0;
    if (auto noon_utc = FromLocal(noon, zone)) {
      if (auto tomorrow = ToLocal(*noon_utc + std::chrono::hours(24), zone)) {
        vars["morgen_datum"] = FormatGermanDate(*tomorrow);
        vars["morgen_wochentag"] = std::string(GermanWeekdayName(tomorrow->weekday));
      }
    }
  }
  vars["caller_known"] = "false";
  vars["caller_number"] = "";
  if (!IsWithheldNumber(request.from_number)) {
    if (auto e164 = NormalizeE164(request.from_number, phone_region_)) {
      vars["caller_number"] = *e164;
      if (auto customer = customers_.FindByPhone(tenant->company.id, *e164);
          customer && !customer->name.empty()) {
        vars["caller_known"] = "true";
        vars["caller_name"] = customer->name;
      }
    }
  }
  if (next_slots_) {
    if (auto slots = next_slots_(*tenant)) vars["naechste_termine"] = *slots;
  }
  count("answered");
  return answer;
}

}  // namespace callgate::calls
