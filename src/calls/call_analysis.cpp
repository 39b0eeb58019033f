#include "calls/call_analysis.hpp"

#include <nlohmann/json.hpp>

#include "calls/pricing.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::calls {
namespace {

struct Payload {
  tenancy::CompanyId company_id;
  CallId call_id;
};

Result<Payload> ParsePayload(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("company_id") ||
      !j["company_id"].is_number_integer() || !j.contains("call_id") ||
      !j["call_id"].is_number_integer()) {
    return Fail(ErrorCode::kInvalidArgument, "payload needs integer company_id and call_id");
  }
  return Payload{tenancy::CompanyId(j["company_id"].get<std::int64_t>()),
                 CallId(j["call_id"].get<std::int64_t>())};
}

// The calendar month (in the company's zone) that `t` falls in, as [from, to).
std::pair<SystemTimePoint, SystemTimePoint> MonthOf(SystemTimePoint t, const std::string& zone) {
  auto local = ToLocal(t, zone);
  if (!local) return {t, t};
  LocalDateTime first{local->year, local->month, 1, 0, 0, 0};
  LocalDateTime next = first;
  if (++next.month > 12) {
    next.month = 1;
    ++next.year;
  }
  auto from = FromLocal(first, zone);
  auto to = FromLocal(next, zone);
  if (!from || !to) return {t, t};
  return {*from, *to};
}

}  // namespace

Status CallAnalysis::Run(std::string_view payload_json) {
  auto count = [&](std::string_view outcome) {
    metrics_.Increment("callgate_call_analysis_total", {{"outcome", std::string(outcome)}});
  };
  auto payload = ParsePayload(payload_json);
  if (!payload) {
    count("invalid");
    return tl::unexpected(payload.error());
  }
  auto call = calls_.FindById(payload->company_id, payload->call_id);
  if (!call) return tl::unexpected(call.error());
  auto company = companies_.FindById(payload->company_id);
  if (!company) return tl::unexpected(company.error());

  std::optional<tenancy::CustomerId> customer_id = call->customer_id;
  if (!IsWithheldNumber(call->from_number)) {
    if (auto e164 = NormalizeE164(call->from_number, phone_region_)) {
      auto customer = customers_.FindByPhone(company->id, *e164);
      if (customer) {
        customer_id = customer->id;
        const auto at = call->started_at.value_or(call->created_at);
        if (auto touched = customers_.TouchLastCall(company->id, customer->id, at); !touched) {
          return touched;
        }
      } else if (customer.error().code != ErrorCode::kNotFound) {
        return tl::unexpected(customer.error());
      }
    }
  }

  const auto started = call->started_at.value_or(call->created_at);
  const auto [from, to] = MonthOf(started, company->timezone);
  auto used = calls_.MinutesUsed(company->id, from, started, call->id);
  if (!used) return tl::unexpected(used.error());

  PricingInput in;
  in.retell_cost_cents = static_cast<double>(call->retell_cost_cents.value_or(0));
  in.duration_ms = call->duration_ms.value_or(0);
  in.price_per_minute_cents = company->price_per_minute_cents;
  in.included_minutes = company->included_minutes;
  in.minutes_used_before = *used;
  in.has_reseller = company->parent_company_id.has_value();
  in.reseller_markup_percent = company->reseller_markup_percent;
  const CallCosts costs = ComputeCallCosts(in);
  if (auto stored = calls_.SetAnalysis(company->id, call->id, customer_id, costs); !stored) {
    return stored;
  }
  count("done");
  return Ok();
}

void CallAnalysis::Failed(std::string_view payload_json, const Error& error) {
  metrics_.Increment("callgate_call_analysis_total", {{"outcome", "failed"}});
  observability::LogError("call_analysis_failed",
                          {{"payload", payload_json}, {"error", error.message}});
}

}  // namespace callgate::calls
