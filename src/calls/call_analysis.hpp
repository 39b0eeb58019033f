#pragma once
// CallAnalysis: the queued follow-up of call_ended / call_analyzed. Matches the caller to a
// customer the same company already has (it creates none: a caller who only asked something is
// not kept as a customer; booking and collect-customer-info make customers), and prices the
// call (calls/pricing.hpp). Idempotent: running it twice stores the same result.

#include <string>
#include <string_view>

#include "calls/repositories.hpp"
#include "core/result.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::calls {

class CallAnalysis {
 public:
  CallAnalysis(tenancy::CompanyRepository& companies, tenancy::CustomerRepository& customers,
               CallRepository& calls, observability::Metrics& metrics,
               std::string phone_region = "DE")
      : companies_(companies),
        customers_(customers),
        calls_(calls),
        metrics_(metrics),
        phone_region_(std::move(phone_region)) {}

  // `payload_json` is {"company_id":N,"call_id":N}. kInvalidArgument for a bad payload,
  // kNotFound when the call is gone, kUnavailable when storage is down (the queue retries).
  // Counts callgate_call_analysis_total{outcome}.
  Status Run(std::string_view payload_json);

  // The failed-for-good hook: logs and counts (outcome="failed").
  void Failed(std::string_view payload_json, const Error& error);

 private:
  tenancy::CompanyRepository& companies_;
  tenancy::CustomerRepository& customers_;
  CallRepository& calls_;
  observability::Metrics& metrics_;
  std::string phone_region_;
};

}  // namespace callgate::calls
