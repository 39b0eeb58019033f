#include <string>

#include "core/masking.hpp"
#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/tenancy_codec.hpp"

namespace callgate::storage {
namespace {

using tenancy::CompanyId;
using tenancy::Customer;
using tenancy::CustomerDetails;
using tenancy::CustomerId;

constexpr std::string_view kCustomerColumns =
    "id, company_id, name, phone_e164, email, notes, last_call_at, created_at, updated_at";

Customer DecodeCustomer(const Row& row) {
  Customer c;
  c.id = CustomerId(row.Int64("id"));
  c.company_id = CompanyId(row.Int64("company_id"));
  c.name = row.Opened("name", "customers.name");
  c.phone_e164 = row.String("phone_e164");
  c.email = row.OptionalOpened("email", "customers.email");
  c.notes = row.Opened("notes", "customers.notes");
  c.last_call_at = row.OptionalTime("last_call_at");
  c.created_at = row.Time("created_at");
  c.updated_at = row.Time("updated_at");
  return c;
}

Status ValidatePhone(const std::string& phone) {
  if (internal::IsE164(phone)) return Ok();
  return Fail(ErrorCode::kInvalidArgument,
              "customer phone must be E.164 (+49151...), got \"" + MaskPhone(phone) + "\"");
}

std::string NotFound(CustomerId id) {
  return "customer " + std::to_string(id.value) + " not found";
}

Result<Customer> FindByIdIn(Session& s, CompanyId company_id, CustomerId id) {
  return internal::QueryOne(
      s, kCustomerColumns, "FROM customers WHERE company_id = :company_id AND id = :id",
      Params().Add(company_id.value).Add(id.value), DecodeCustomer, NotFound(id));
}

}  // namespace

Result<Customer> SqlCustomerRepository::Create(CompanyId company_id, const Customer& customer) {
  if (auto valid = ValidatePhone(customer.phone_e164); !valid) {
    return tl::unexpected(valid.error());
  }
  return database_.Run([&](Session& s) -> Result<Customer> {
    Customer stored = customer;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = CustomerId(s.InsertReturningId(
        "INSERT INTO customers (company_id, name, phone_e164, email, notes, last_call_at, "
        "created_at, updated_at) VALUES (:company_id, :name, :phone_e164, :email, :notes, "
        ":last_call_at, :created_at, :updated_at) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(s.Seal(stored.name, "customers.name"))
            .Add(stored.phone_e164)
            .Add(s.SealNullable(stored.email, "customers.email"))
            .Add(s.Seal(stored.notes, "customers.notes"))
            .Add(stored.last_call_at)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<Customer> SqlCustomerRepository::Upsert(CompanyId company_id,
                                               const CustomerDetails& details) {
  if (auto valid = ValidatePhone(details.phone_e164); !valid) {
    return tl::unexpected(valid.error());
  }
  return database_.Run([&](Session& s) -> Result<Customer> {
    const SystemTimePoint now = clock_.Now();
    // One statement, so two calls racing on a new number cannot both insert. The optional
    // fields are bound twice: as the insert value and as "keep the old value when NULL".
    const CustomerId id(s.InsertReturningId(
        "INSERT INTO customers (company_id, name, phone_e164, email, notes, created_at, "
        "updated_at) VALUES (:company_id, :name, :phone_e164, :email, :notes, :created_at, "
        ":updated_at) ON CONFLICT (company_id, phone_e164) DO UPDATE SET "
        "name = COALESCE(CAST(:new_name AS TEXT), customers.name), "
        "email = COALESCE(CAST(:new_email AS TEXT), customers.email), "
        "notes = COALESCE(CAST(:new_notes AS TEXT), customers.notes), "
        "updated_at = excluded.updated_at RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(s.Seal(details.name.value_or(""), "customers.name"))
            .Add(details.phone_e164)
            .Add(s.SealNullable(details.email, "customers.email"))
            .Add(s.Seal(details.notes.value_or(""), "customers.notes"))
            .Add(now)
            .Add(now)
            .Add(s.SealNullable(details.name, "customers.name"))
            .Add(s.SealNullable(details.email, "customers.email"))
            .Add(s.SealNullable(details.notes, "customers.notes"))));
    return FindByIdIn(s, company_id, id);
  });
}

Status SqlCustomerRepository::TouchLastCall(CompanyId company_id, CustomerId id,
                                            SystemTimePoint at) {
  return database_.Run([&](Session& s) -> Status {
    const long long changed = s.Execute(
        "UPDATE customers SET last_call_at = :last_call_at, updated_at = :updated_at "
        "WHERE company_id = :company_id AND id = :id",
        Params().Add(at).Add(clock_.Now()).Add(company_id.value).Add(id.value));
    if (changed == 0) return Fail(ErrorCode::kNotFound, NotFound(id));
    return Ok();
  });
}

Result<Customer> SqlCustomerRepository::FindById(CompanyId company_id, CustomerId id) {
  return database_.Run([&](Session& s) { return FindByIdIn(s, company_id, id); });
}

Result<Customer> SqlCustomerRepository::FindByPhone(CompanyId company_id,
                                                    std::string_view phone_e164) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(
        s, kCustomerColumns,
        "FROM customers WHERE company_id = :company_id AND phone_e164 = :phone",
        Params().Add(company_id.value).Add(phone_e164), DecodeCustomer,
        "no customer with phone " + MaskPhone(phone_e164));
  });
}

Result<std::vector<Customer>> SqlCustomerRepository::ListForCompany(CompanyId company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<Customer>> {
    return internal::QueryAll(s, kCustomerColumns,
                              "FROM customers WHERE company_id = :company_id ORDER BY id",
                              Params().Add(company_id.value), DecodeCustomer);
  });
}

}  // namespace callgate::storage
