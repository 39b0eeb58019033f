#include <string>

#include "core/time_zone.hpp"
#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/tenancy_codec.hpp"

namespace callgate::storage {
namespace {

using tenancy::Branch;
using tenancy::BranchId;
using tenancy::CompanyId;

constexpr std::string_view kBranchColumns =
    "id, company_id, name, address, phone_e164, timezone, business_hours, region, "
    "transfer_number, closing_days, is_active, created_at, updated_at";

Branch DecodeBranch(const Row& row) {
  Branch b;
  b.id = BranchId(row.Int64("id"));
  b.company_id = CompanyId(row.Int64("company_id"));
  b.name = row.String("name");
  b.address = row.String("address");
  b.phone_e164 = row.OptionalString("phone_e164");
  b.timezone = row.String("timezone");
  b.business_hours = internal::DecodeWeeklyHours(row.String("business_hours"));
  b.region = row.String("region");
  b.transfer_number = row.OptionalString("transfer_number");
  b.closing_days = internal::DecodeClosingDays(row.String("closing_days"));
  b.is_active = row.Bool("is_active");
  b.created_at = row.Time("created_at");
  b.updated_at = row.Time("updated_at");
  return b;
}

Status ValidateBranch(const Branch& b) {
  if (b.name.empty()) return Fail(ErrorCode::kInvalidArgument, "branch name is required");
  if (!IsValidTimeZone(b.timezone)) {
    return Fail(ErrorCode::kInvalidArgument, "unknown time zone \"" + b.timezone + "\"");
  }
  if (b.phone_e164 && !internal::IsE164(*b.phone_e164)) {
    return Fail(ErrorCode::kInvalidArgument, "branch phone must be E.164 (+4930...)");
  }
  if (b.transfer_number && !internal::IsE164(*b.transfer_number)) {
    return Fail(ErrorCode::kInvalidArgument, "branch transfer number must be E.164 (+4930...)");
  }
  if (!tenancy::IsBranchRegion(b.region)) {
    return Fail(ErrorCode::kInvalidArgument, "branch region must be a Bundesland code (" +
                                                 std::string(tenancy::kBranchRegionCodes) +
                                                 ") or empty");
  }
  if (b.closing_days.size() > tenancy::kMaxClosingDays) {
    return Fail(ErrorCode::kInvalidArgument, "too many closing days");
  }
  for (const auto& days : b.closing_days) {
    if (auto problem = tenancy::CheckClosingDays(days)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "closing days: " + problem->field + " " + problem->message);
    }
  }
  for (const auto& day : b.business_hours) {
    if (day && (day->open_minute < 0 || day->close_minute > 24 * 60 ||
                day->open_minute >= day->close_minute)) {
      return Fail(ErrorCode::kInvalidArgument, "opening hours must open before they close");
    }
  }
  return Ok();
}

std::string NotFound(BranchId id) { return "branch " + std::to_string(id.value) + " not found"; }

}  // namespace

Result<Branch> SqlBranchRepository::Create(CompanyId company_id, const Branch& branch) {
  if (auto valid = ValidateBranch(branch); !valid) return tl::unexpected(valid.error());
  return database_.Run([&](Session& s) -> Result<Branch> {
    Branch stored = branch;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = BranchId(s.InsertReturningId(
        "INSERT INTO branches (company_id, name, address, phone_e164, timezone, business_hours, "
        "region, transfer_number, closing_days, is_active, created_at, updated_at) VALUES "
        "(:company_id, :name, :address, :phone_e164, :timezone, :business_hours, :region, "
        ":transfer_number, :closing_days, :is_active, :created_at, :updated_at) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(stored.name)
            .Add(stored.address)
            .Add(stored.phone_e164)
            .Add(stored.timezone)
            .Add(internal::EncodeWeeklyHours(stored.business_hours))
            .Add(stored.region)
            .Add(stored.transfer_number)
            .Add(internal::EncodeClosingDays(stored.closing_days))
            .Add(stored.is_active)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<Branch> SqlBranchRepository::Update(CompanyId company_id, BranchId id,
                                           const tenancy::Change<Branch>& change) {
  return database_.WithTransaction([&](Session& s) -> Result<Branch> {
    auto changed = internal::QueryOneChanged(
        s, kBranchColumns, "FROM branches WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeBranch, NotFound(id), change,
        ValidateBranch);
    if (!changed) return changed;
    const Branch& branch = *changed;
    s.Execute(
        "UPDATE branches SET name = :name, address = :address, phone_e164 = :phone_e164, "
        "timezone = :timezone, business_hours = :business_hours, region = :region, "
        "transfer_number = :transfer_number, closing_days = :closing_days, is_active = :is_active, "
        "updated_at = :updated_at "
        "WHERE company_id = :company_id AND id = :id",
        Params()
            .Add(branch.name)
            .Add(branch.address)
            .Add(branch.phone_e164)
            .Add(branch.timezone)
            .Add(internal::EncodeWeeklyHours(branch.business_hours))
            .Add(branch.region)
            .Add(branch.transfer_number)
            .Add(internal::EncodeClosingDays(branch.closing_days))
            .Add(branch.is_active)
            .Add(clock_.Now())
            .Add(company_id.value)
            .Add(id.value));
    return internal::QueryOne(
        s, kBranchColumns, "FROM branches WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeBranch, NotFound(id));
  });
}

Result<Branch> SqlBranchRepository::FindById(CompanyId company_id, BranchId id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(
        s, kBranchColumns, "FROM branches WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeBranch, NotFound(id));
  });
}

Result<Branch> SqlBranchRepository::FindByName(CompanyId company_id, std::string_view name) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kBranchColumns,
                              "FROM branches WHERE company_id = :company_id AND name = :name",
                              Params().Add(company_id.value).Add(name), DecodeBranch,
                              "branch \"" + std::string(name) + "\" not found");
  });
}

Result<std::vector<Branch>> SqlBranchRepository::ListForCompany(CompanyId company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<Branch>> {
    return internal::QueryAll(s, kBranchColumns,
                              "FROM branches WHERE company_id = :company_id ORDER BY id",
                              Params().Add(company_id.value), DecodeBranch);
  });
}

}  // namespace callgate::storage
