#pragma once
// Ports for tenant data. Narrow interfaces the domain depends on; storage/ implements them with
// SOCI (SQLite or PostgreSQL) and tests may use fakes.
//
// Tenant scoping is structural: every method that reads or writes a branch, service, phone
// number or customer takes the owning CompanyId and filters by it, so a row of another company
// is reported as kNotFound, exactly like a row that does not exist. The only global lookups are
// the tenant routers PhoneNumberRepository::FindByNumber and FindByAgentId.
//
// Common contract of every method:
//   - Never throws; failures are Result values:
//       kNotFound       no such row for this company (or a referenced row is missing),
//       kAlreadyExists  a unique key is taken (slug, number, (company, phone), branch name),
//       kInvalidArgument the value breaks a schema rule (e.g. duration_minutes <= 0),
//       kUnavailable    the database cannot be reached or is busy; retry later,
//       kInternal       anything else (bug, corrupt row).
//   - Thread-safe: implementations may be shared by all threads.
//   - `id`, `company_id`, `created_at` and `updated_at` of the argument are ignored on writes;
//     the returned value carries what was stored.
//   - Lists are ordered by id (creation order).
//   - Updates are read-modify-write inside the database: `change` is applied to the row as it
//     is stored, read in the write's transaction and locked until it ends (PostgreSQL: FOR
//     NO KEY UPDATE, so rows referencing it can still be written; SQLite: the one write
//     transaction at a time), then every field is written back.
//     A write committed by anyone else first (another instance, another request, a privacy
//     command) is what `change` starts from; a copy read earlier (a cache) is never written over
//     it. `change` edits only what the caller means to change, must be quick (no network: the
//     row stays locked while it runs), and may refuse with an error: then nothing is written
//     and Update returns that error.

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tenancy/model.hpp"

namespace callgate::tenancy {

template <typename Row>
using Change = std::function<Status(Row&)>;

// A change that sets every field to `value`'s (tools and tests that write a whole row).
template <typename Row>
Change<Row> SetTo(Row value) {
  return [value = std::move(value)](Row& row) {
    row = value;
    return Ok();
  };
}

class CompanyRepository {
 public:
  virtual ~CompanyRepository() = default;

  // Stores a new company. kAlreadyExists when the slug is taken; kNotFound when
  // parent_company_id names no company.
  virtual Result<Company> Create(const Company& company) = 0;

  // Applies `change` to company `id` as stored (see Updates above); kNotFound when it does not
  // exist.
  virtual Result<Company> Update(CompanyId id, const Change<Company>& change) = 0;

  virtual Result<Company> FindById(CompanyId id) = 0;
  virtual Result<Company> FindBySlug(std::string_view slug) = 0;

  // Every company, active or not (platform admin and tooling use).
  virtual Result<std::vector<Company>> List() = 0;
};

class BranchRepository {
 public:
  virtual ~BranchRepository() = default;

  // Stores a new branch of `company_id`. kAlreadyExists when the company already has a branch
  // with this name; kNotFound when the company does not exist.
  virtual Result<Branch> Create(CompanyId company_id, const Branch& branch) = 0;

  // Applies `change` to branch `id` of `company_id` as stored (see Updates above); kNotFound
  // when it is not that company's; kAlreadyExists as for Create.
  virtual Result<Branch> Update(CompanyId company_id, BranchId id,
                                const Change<Branch>& change) = 0;

  virtual Result<Branch> FindById(CompanyId company_id, BranchId id) = 0;
  virtual Result<Branch> FindByName(CompanyId company_id, std::string_view name) = 0;
  virtual Result<std::vector<Branch>> ListForCompany(CompanyId company_id) = 0;
};

class ServiceRepository {
 public:
  virtual ~ServiceRepository() = default;

  // Stores a new service of `company_id`. kNotFound when the company, or `branch_id` within
  // that company, does not exist; kConflict when its calcom_event_type_id is used by a service
  // of another company (an event type belongs to one company).
  virtual Result<Service> Create(CompanyId company_id, const Service& service) = 0;

  // Applies `change` to service `id` of `company_id` as stored (see Updates above); kNotFound
  // when it (or the branch it names) is not that company's; kConflict as for Create.
  virtual Result<Service> Update(CompanyId company_id, ServiceId id,
                                 const Change<Service>& change) = 0;

  virtual Result<Service> FindById(CompanyId company_id, ServiceId id) = 0;
  virtual Result<std::vector<Service>> ListForCompany(CompanyId company_id) = 0;

  // Active services offered at `branch_id`: those of that branch plus the company-wide ones
  // (branch_id empty).
  virtual Result<std::vector<Service>> ListForBranch(CompanyId company_id, BranchId branch_id) = 0;

  // Active services of every company that use Cal.com event type `event_type_id` — the tenant
  // router for bookings made on Cal.com's own pages (Cal.com webhooks name only the event type).
  virtual Result<std::vector<Service>> ListByCalcomEventType(std::int64_t event_type_id) = 0;
};

class PhoneNumberRepository {
 public:
  virtual ~PhoneNumberRepository() = default;

  // Registers a number for `company_id`. kAlreadyExists when any company has it already;
  // kNotFound when the company, or `branch_id` within it, does not exist.
  virtual Result<PhoneNumber> Create(CompanyId company_id, const PhoneNumber& number) = 0;

  // The tenant router: which company and branch own the dialled number (E.164). Global by
  // design; kNotFound for an unregistered number (never a fallback tenant).
  virtual Result<PhoneNumber> FindByNumber(std::string_view number_e164) = 0;

  // Numbers served by a Retell agent (global, like FindByNumber). Empty when none.
  virtual Result<std::vector<PhoneNumber>> FindByAgentId(std::string_view retell_agent_id) = 0;

  virtual Result<PhoneNumber> FindById(CompanyId company_id, PhoneNumberId id) = 0;
  virtual Result<std::vector<PhoneNumber>> ListForCompany(CompanyId company_id) = 0;
};

class CustomerRepository {
 public:
  virtual ~CustomerRepository() = default;

  // Stores a new customer. kAlreadyExists when the company already has this phone number.
  virtual Result<Customer> Create(CompanyId company_id, const Customer& customer) = 0;

  // Creates the customer keyed by (company_id, details.phone_e164), or updates the fields of
  // `details` that are set. Atomic: concurrent upserts of one number yield one row.
  virtual Result<Customer> Upsert(CompanyId company_id, const CustomerDetails& details) = 0;

  // Records that the customer called at `at`. kNotFound when it is not that company's.
  virtual Status TouchLastCall(CompanyId company_id, CustomerId id, SystemTimePoint at) = 0;

  virtual Result<Customer> FindById(CompanyId company_id, CustomerId id) = 0;
  virtual Result<Customer> FindByPhone(CompanyId company_id, std::string_view phone_e164) = 0;
  virtual Result<std::vector<Customer>> ListForCompany(CompanyId company_id) = 0;
};

}  // namespace callgate::tenancy
