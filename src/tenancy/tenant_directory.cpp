#include "tenancy/tenant_directory.hpp"

#include <vector>

#include "core/phone.hpp"

namespace callgate::tenancy {

Result<Company> TenantDirectory::FindCompany(CompanyId id) {
  auto company = companies_.FindById(id);
  if (!company) return company;
  if (!company->is_active) return Fail(ErrorCode::kNotFound, "company is not active");
  return company;
}

Result<Tenant> TenantDirectory::Complete(Tenant tenant, std::optional<BranchId> branch_id) {
  if (!tenant.company.is_active) return Fail(ErrorCode::kNotFound, "company is not active");
  if (branch_id) {
    auto branch = branches_.FindById(tenant.company.id, *branch_id);
    if (branch && branch->is_active) {
      tenant.branch = std::move(*branch);
    } else if (!branch && branch.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(branch.error());
    }
  }
  return tenant;
}

Result<Tenant> TenantDirectory::FindByDialledNumber(std::string_view raw_number,
                                                    std::optional<CompanyId> within) {
  const auto not_registered = [] {
    return Fail(ErrorCode::kNotFound, "the dialled number is not registered");
  };
  auto e164 = NormalizeE164(raw_number, phone_region_);
  if (!e164) return not_registered();
  auto number = numbers_.FindByNumber(*e164);
  if (!number) {
    if (number.error().code == ErrorCode::kNotFound) return not_registered();
    return tl::unexpected(number.error());
  }
  if (within && number->company_id != *within) return not_registered();
  auto company = companies_.FindById(number->company_id);
  if (!company) return tl::unexpected(company.error());
  Tenant tenant{std::move(*company), std::nullopt, *number};
  return Complete(std::move(tenant), number->branch_id);
}

Result<Tenant> TenantDirectory::FindByAgentId(std::string_view agent_id,
                                              std::optional<CompanyId> within) {
  if (agent_id.empty()) return Fail(ErrorCode::kNotFound, "no agent id");
  auto numbers = numbers_.FindByAgentId(agent_id);
  if (!numbers) return tl::unexpected(numbers.error());
  if (within) {
    std::erase_if(*numbers, [&](const PhoneNumber& n) { return n.company_id != *within; });
  }
  if (numbers->empty()) return Fail(ErrorCode::kNotFound, "the agent is not registered");
  const CompanyId company_id = numbers->front().company_id;
  std::optional<BranchId> branch_id = numbers->front().branch_id;
  for (const auto& n : *numbers) {
    if (n.company_id != company_id) {
      return Fail(ErrorCode::kNotFound, "the agent serves several companies");
    }
    if (n.branch_id != branch_id) branch_id.reset();
  }
  auto company = companies_.FindById(company_id);
  if (!company) return tl::unexpected(company.error());
  Tenant tenant{std::move(*company), std::nullopt,
                numbers->size() == 1 ? std::optional<PhoneNumber>(numbers->front()) : std::nullopt};
  return Complete(std::move(tenant), branch_id);
}

}  // namespace callgate::tenancy
