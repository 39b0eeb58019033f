#include <string>

#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/tenancy_codec.hpp"

namespace callgate::storage {
namespace {

using tenancy::BranchId;
using tenancy::CompanyId;
using tenancy::PhoneNumber;
using tenancy::PhoneNumberId;

constexpr std::string_view kPhoneNumberColumns =
    "id, company_id, branch_id, number_e164, retell_agent_id, created_at, updated_at";

PhoneNumber DecodePhoneNumber(const Row& row) {
  PhoneNumber n;
  n.id = PhoneNumberId(row.Int64("id"));
  n.company_id = CompanyId(row.Int64("company_id"));
  if (auto branch = row.OptionalInt64("branch_id")) n.branch_id = BranchId(*branch);
  n.number_e164 = row.String("number_e164");
  n.retell_agent_id = row.OptionalString("retell_agent_id");
  n.created_at = row.Time("created_at");
  n.updated_at = row.Time("updated_at");
  return n;
}

}  // namespace

Result<PhoneNumber> SqlPhoneNumberRepository::Create(CompanyId company_id,
                                                     const PhoneNumber& number) {
  // The router looks numbers up by exact text, so only the normalised form may be stored.
  if (!internal::IsE164(number.number_e164)) {
    return Fail(ErrorCode::kInvalidArgument,
                "phone number must be E.164 (+4930...), got \"" + number.number_e164 + "\"");
  }
  return database_.Run([&](Session& s) -> Result<PhoneNumber> {
    PhoneNumber stored = number;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    std::optional<std::int64_t> branch;
    if (stored.branch_id) branch = stored.branch_id->value;
    stored.id = PhoneNumberId(s.InsertReturningId(
        "INSERT INTO phone_numbers (company_id, branch_id, number_e164, retell_agent_id, "
        "created_at, updated_at) VALUES (:company_id, :branch_id, :number_e164, "
        ":retell_agent_id, :created_at, :updated_at) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(branch)
            .Add(stored.number_e164)
            .Add(stored.retell_agent_id)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<PhoneNumber> SqlPhoneNumberRepository::FindByNumber(std::string_view number_e164) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kPhoneNumberColumns,
                              "FROM phone_numbers WHERE number_e164 = :number",
                              Params().Add(number_e164), DecodePhoneNumber,
                              "phone number " + std::string(number_e164) + " is not registered");
  });
}

Result<std::vector<PhoneNumber>> SqlPhoneNumberRepository::FindByAgentId(
    std::string_view retell_agent_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<PhoneNumber>> {
    return internal::QueryAll(s, kPhoneNumberColumns,
                              "FROM phone_numbers WHERE retell_agent_id = :agent ORDER BY id",
                              Params().Add(retell_agent_id), DecodePhoneNumber);
  });
}

Result<PhoneNumber> SqlPhoneNumberRepository::FindById(CompanyId company_id, PhoneNumberId id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kPhoneNumberColumns,
                              "FROM phone_numbers WHERE company_id = :company_id AND id = :id",
                              Params().Add(company_id.value).Add(id.value), DecodePhoneNumber,
                              "phone number " + std::to_string(id.value) + " not found");
  });
}

Result<std::vector<PhoneNumber>> SqlPhoneNumberRepository::ListForCompany(CompanyId company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<PhoneNumber>> {
    return internal::QueryAll(s, kPhoneNumberColumns,
                              "FROM phone_numbers WHERE company_id = :company_id ORDER BY id",
                              Params().Add(company_id.value), DecodePhoneNumber);
  });
}

}  // namespace callgate::storage
