#pragma once
// InboundCallService: answers Retell's inbound call webhook while the phone rings, with what
// the agent needs to greet and plan (dynamic variables, all strings).

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/time_zone.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::calls {

struct InboundCallRequest {
  std::string from_number;
  std::string to_number;
  std::string agent_id;
  std::optional<tenancy::CompanyId> url_company;
  std::string platform = "retell";  // retell | vapi: the metric's name
};

struct InboundCallAnswer {
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  std::string agent_id;  // the agent serving the dialled number (its retell_agent_id), or ""
  std::map<std::string, std::string> dynamic_variables;
};

// Optional source of "next free slots" text for the greeting (the booking module provides it);
// must answer within its own time budget and return nullopt when it cannot.
using NextSlotsProvider = std::function<std::optional<std::string>(const tenancy::Tenant&)>;

// Whether a branch is closed all day on a local date: a public holiday where it is (its
// Bundesland, Branch::region) or a closing day of the company or the branch. The booking
// module's holiday calendar provides it.
using HolidayCheck =
    std::function<bool(const tenancy::Company&, const tenancy::Branch&, const LocalDateTime& day)>;

class InboundCallService {
 public:
  InboundCallService(tenancy::TenantDirectory& tenants, tenancy::CustomerRepository& customers,
                     const Clock& clock, observability::Metrics& metrics,
                     std::string phone_region = "DE")
      : tenants_(tenants),
        customers_(customers),
        clock_(clock),
        metrics_(metrics),
        phone_region_(std::move(phone_region)) {}

  void SetNextSlotsProvider(NextSlotsProvider provider) { next_slots_ = std::move(provider); }
  void SetHolidayCheck(HolidayCheck check) { holiday_ = std::move(check); }

  // Variables: company_name, branch_name, branch_address, timezone, heute_datum,
  // heute_wochentag, morgen_datum, morgen_wochentag, uhrzeit, caller_known ("true"/"false"),
  // caller_name (known customers only), caller_number (E.164, or "" when withheld),
  // transfer_number (the branch's, E.164, while it is open by its opening hours and it is no
  // holiday or closing day there; "" otherwise or when it has none: the agent offers
  // request_callback) and naechste_termine when a slots provider is set and answers. kNotFound for
  // an unregistered number (never a fallback tenant). Counts
  // callgate_<platform>_inbound_total{outcome}. Thread-safe.
  Result<InboundCallAnswer> Answer(const InboundCallRequest& request);

 private:
  tenancy::TenantDirectory& tenants_;
  tenancy::CustomerRepository& customers_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  std::string phone_region_;
  NextSlotsProvider next_slots_;
  HolidayCheck holiday_;
};

}  // namespace callgate::calls
