#include "tenancy/cached_repositories.hpp"

namespace callgate::tenancy {
namespace {

std::int64_t SteadyNanos(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Steady().time_since_epoch())
      .count();
}

std::string Key(std::int64_t a, std::int64_t b = 0) {
  return std::to_string(a) + ':' + std::to_string(b);
}

// Passes a write through and, when it changed something, drops this instance's cache.
template <typename T>
Result<T> Changed(TenancyCache& cache, Result<T> result) {
  if (result) cache.Invalidate();
  return result;
}

}  // namespace

std::uint64_t TenancyCache::Generation() {
  const std::int64_t now = SteadyNanos(clock_);
  if (now < next_check_ns_.load(std::memory_order_acquire)) {
    return generation_.load(std::memory_order_acquire);
  }
  // One thread reads the version; the others go on with the generation they know.
  std::unique_lock lock(check_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now < next_check_ns_.load(std::memory_order_acquire)) {
    return generation_.load(std::memory_order_acquire);
  }
  auto version = versions_.Current();
  if (!version) {
    known_version_ = -1;
    generation_.store(kNoGeneration, std::memory_order_release);
  } else if (*version != known_version_ ||
             generation_.load(std::memory_order_relaxed) == kNoGeneration) {
    known_version_ = *version;
    generation_.store(++counter_, std::memory_order_release);
  }
  const auto refresh = std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.refresh);
  next_check_ns_.store(now + refresh.count(), std::memory_order_release);
  return generation_.load(std::memory_order_acquire);
}

void TenancyCache::Invalidate() {
  std::lock_guard lock(check_mutex_);
  generation_.store(++counter_, std::memory_order_release);
  // The next read checks the version again, so a change committed by this instance is known
  // under its own version number at once.
  next_check_ns_.store(0, std::memory_order_release);
}

Result<Company> CachedCompanyRepository::Create(const Company& company) {
  return Changed(cache_, inner_.Create(company));
}

Result<Company> CachedCompanyRepository::Update(CompanyId id, const Change<Company>& change) {
  return Changed(cache_, inner_.Update(id, change));
}

Result<Company> CachedCompanyRepository::FindById(CompanyId id) {
  return by_id_.Get(Key(id.value), [&] { return inner_.FindById(id); });
}

Result<Company> CachedCompanyRepository::FindBySlug(std::string_view slug) {
  return by_slug_.Get(std::string(slug), [&] { return inner_.FindBySlug(slug); });
}

Result<Branch> CachedBranchRepository::Create(CompanyId company_id, const Branch& branch) {
  return Changed(cache_, inner_.Create(company_id, branch));
}

Result<Branch> CachedBranchRepository::Update(CompanyId company_id, BranchId id,
                                              const Change<Branch>& change) {
  return Changed(cache_, inner_.Update(company_id, id, change));
}

Result<Branch> CachedBranchRepository::FindById(CompanyId company_id, BranchId id) {
  return by_id_.Get(Key(company_id.value, id.value),
                    [&] { return inner_.FindById(company_id, id); });
}

Result<std::vector<Branch>> CachedBranchRepository::ListForCompany(CompanyId company_id) {
  return by_company_.Get(Key(company_id.value), [&] { return inner_.ListForCompany(company_id); });
}

Result<Service> CachedServiceRepository::Create(CompanyId company_id, const Service& service) {
  return Changed(cache_, inner_.Create(company_id, service));
}

Result<Service> CachedServiceRepository::Update(CompanyId company_id, ServiceId id,
                                                const Change<Service>& change) {
  return Changed(cache_, inner_.Update(company_id, id, change));
}

Result<Service> CachedServiceRepository::FindById(CompanyId company_id, ServiceId id) {
  return by_id_.Get(Key(company_id.value, id.value),
                    [&] { return inner_.FindById(company_id, id); });
}

Result<std::vector<Service>> CachedServiceRepository::ListForBranch(CompanyId company_id,
                                                                    BranchId branch_id) {
  return by_branch_.Get(Key(company_id.value, branch_id.value),
                        [&] { return inner_.ListForBranch(company_id, branch_id); });
}

Result<std::vector<Service>> CachedServiceRepository::ListByCalcomEventType(
    std::int64_t event_type_id) {
  return by_event_type_.Get(Key(event_type_id),
                            [&] { return inner_.ListByCalcomEventType(event_type_id); });
}

Result<PhoneNumber> CachedPhoneNumberRepository::Create(CompanyId company_id,
                                                        const PhoneNumber& number) {
  return Changed(cache_, inner_.Create(company_id, number));
}

Result<PhoneNumber> CachedPhoneNumberRepository::FindByNumber(std::string_view number_e164) {
  return by_number_.Get(std::string(number_e164), [&] { return inner_.FindByNumber(number_e164); });
}

Result<std::vector<PhoneNumber>> CachedPhoneNumberRepository::FindByAgentId(
    std::string_view retell_agent_id) {
  return by_agent_.Get(std::string(retell_agent_id),
                       [&] { return inner_.FindByAgentId(retell_agent_id); });
}

}  // namespace callgate::tenancy
