#pragma once
// SOCI-backed implementations of the tenancy repositories (tenancy/repositories.hpp) for
// SQLite and PostgreSQL. Each is a thin object over a Database and a Clock (which stamps
// created_at/updated_at); construct once and share between threads. The contract — tenant
// scoping, error codes, never throwing — is the interface's.
//
// Inside Database::WithTransaction on the same thread their calls join the transaction, so
// several writes can be made atomic:
//   db.WithTransaction([&](Session&) -> Status { companies.Create(...); branches.Create(...); });

#include "core/clock.hpp"
#include "storage/database.hpp"
#include "tenancy/cached_repositories.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::storage {

class SqlCompanyRepository final : public tenancy::CompanyRepository {
 public:
  SqlCompanyRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<tenancy::Company> Create(const tenancy::Company& company) override;
  Result<tenancy::Company> Update(tenancy::CompanyId id,
                                  const tenancy::Change<tenancy::Company>& change) override;
  Result<tenancy::Company> FindById(tenancy::CompanyId id) override;
  Result<tenancy::Company> FindBySlug(std::string_view slug) override;
  Result<std::vector<tenancy::Company>> List() override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlBranchRepository final : public tenancy::BranchRepository {
 public:
  SqlBranchRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<tenancy::Branch> Create(tenancy::CompanyId company_id,
                                 const tenancy::Branch& branch) override;
  Result<tenancy::Branch> Update(tenancy::CompanyId company_id, tenancy::BranchId id,
                                 const tenancy::Change<tenancy::Branch>& change) override;
  Result<tenancy::Branch> FindById(tenancy::CompanyId company_id, tenancy::BranchId id) override;
  Result<tenancy::Branch> FindByName(tenancy::CompanyId company_id, std::string_view name) override;
  Result<std::vector<tenancy::Branch>> ListForCompany(tenancy::CompanyId company_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlServiceRepository final : public tenancy::ServiceRepository {
 public:
  SqlServiceRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<tenancy::Service> Create(tenancy::CompanyId company_id,
                                  const tenancy::Service& service) override;
  Result<tenancy::Service> Update(tenancy::CompanyId company_id, tenancy::ServiceId id,
                                  const tenancy::Change<tenancy::Service>& change) override;
  Result<tenancy::Service> FindById(tenancy::CompanyId company_id, tenancy::ServiceId id) override;
  Result<std::vector<tenancy::Service>> ListForCompany(tenancy::CompanyId company_id) override;
  Result<std::vector<tenancy::Service>> ListForBranch(tenancy::CompanyId company_id,
                                                      tenancy::BranchId branch_id) override;
  Result<std::vector<tenancy::Service>> ListByCalcomEventType(std::int64_t event_type_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlPhoneNumberRepository final : public tenancy::PhoneNumberRepository {
 public:
  SqlPhoneNumberRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<tenancy::PhoneNumber> Create(tenancy::CompanyId company_id,
                                      const tenancy::PhoneNumber& number) override;
  Result<tenancy::PhoneNumber> FindByNumber(std::string_view number_e164) override;
  Result<std::vector<tenancy::PhoneNumber>> FindByAgentId(
      std::string_view retell_agent_id) override;
  Result<tenancy::PhoneNumber> FindById(tenancy::CompanyId company_id,
                                        tenancy::PhoneNumberId id) override;
  Result<std::vector<tenancy::PhoneNumber>> ListForCompany(tenancy::CompanyId company_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlCustomerRepository final : public tenancy::CustomerRepository {
 public:
  SqlCustomerRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<tenancy::Customer> Create(tenancy::CompanyId company_id,
                                   const tenancy::Customer& customer) override;
  Result<tenancy::Customer> Upsert(tenancy::CompanyId company_id,
                                   const tenancy::CustomerDetails& details) override;
  Status TouchLastCall(tenancy::CompanyId company_id, tenancy::CustomerId id,
                       SystemTimePoint at) override;
  Result<tenancy::Customer> FindById(tenancy::CompanyId company_id,
                                     tenancy::CustomerId id) override;
  Result<tenancy::Customer> FindByPhone(tenancy::CompanyId company_id,
                                        std::string_view phone_e164) override;
  Result<std::vector<tenancy::Customer>> ListForCompany(tenancy::CompanyId company_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

// The tenant configuration's version (migration 0014): triggers on companies, branches, services
// and phone_numbers raise it with every change, whoever makes it (tenancy::TenancyCache).
class SqlConfigVersion final : public tenancy::ConfigVersionSource {
 public:
  explicit SqlConfigVersion(Database& database) : database_(database) {}

  Result<std::int64_t> Current() override;

 private:
  Database& database_;
};

}  // namespace callgate::storage
