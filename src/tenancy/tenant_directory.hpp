#pragma once
// TenantDirectory: which company (and branch) a call belongs to. The dialled number decides;
// web calls, which have no numbers, are resolved through the Retell agent. Never a fallback
// tenant: anything unknown, invalid or inactive is kNotFound.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tenancy/model.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::tenancy {

struct Tenant {
  Company company;
  std::optional<Branch> branch;
  std::optional<PhoneNumber> number;
};

class TenantDirectory {
 public:
  TenantDirectory(CompanyRepository& companies, BranchRepository& branches,
                  PhoneNumberRepository& numbers, std::string phone_region = "DE")
      : companies_(companies),
        branches_(branches),
        numbers_(numbers),
        phone_region_(std::move(phone_region)) {}

  // Normalises `raw_number` to E.164 and looks it up. kNotFound for an invalid or unregistered
  // number or an inactive company; kUnavailable when storage is down. Thread-safe.
  // With `within` (a request that came on one company's URL), only that company's numbers
  // count: another company's number is "not registered" whatever that company's state, so a
  // company's URL tells nothing about other companies' numbers.
  Result<Tenant> FindByDialledNumber(std::string_view raw_number,
                                     std::optional<CompanyId> within = std::nullopt);

  // The company whose numbers are served by `agent_id`; kNotFound when no number, or numbers
  // of several companies, use that agent (ambiguous: rejected rather than guessed). The branch
  // is set when all of the agent's numbers belong to one branch. With `within`, only that
  // company's numbers count (as for FindByDialledNumber).
  Result<Tenant> FindByAgentId(std::string_view agent_id,
                               std::optional<CompanyId> within = std::nullopt);

  // The company with this id, when active.
  Result<Company> FindCompany(CompanyId id);

 private:
  Result<Tenant> Complete(Tenant tenant, std::optional<BranchId> branch_id);

  CompanyRepository& companies_;
  BranchRepository& branches_;
  PhoneNumberRepository& numbers_;
  std::string phone_region_;
};

}  // namespace callgate::tenancy
