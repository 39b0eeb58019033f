#include <string>

#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/tenancy_codec.hpp"

namespace callgate::storage {
namespace {

using tenancy::BranchId;
using tenancy::CompanyId;
using tenancy::Service;
using tenancy::ServiceId;

constexpr std::string_view kServiceColumns =
    "id, company_id, branch_id, name, synonyms, duration_minutes, price_cents, "
    "calcom_event_type_id, minimum_notice_minutes, is_default, is_active, created_at, updated_at";

Service DecodeService(const Row& row) {
  Service s;
  s.id = ServiceId(row.Int64("id"));
  s.company_id = CompanyId(row.Int64("company_id"));
  if (auto branch = row.OptionalInt64("branch_id")) s.branch_id = BranchId(*branch);
  s.name = row.String("name");
  s.synonyms = internal::DecodeStrings(row.String("synonyms"));
  s.duration_minutes = row.Int("duration_minutes");
  s.price_cents = row.Int64("price_cents");
  s.calcom_event_type_id = row.OptionalInt64("calcom_event_type_id");
  s.minimum_notice_minutes = row.Int("minimum_notice_minutes");
  s.is_default = row.Bool("is_default");
  s.is_active = row.Bool("is_active");
  s.created_at = row.Time("created_at");
  s.updated_at = row.Time("updated_at");
  return s;
}

std::optional<std::int64_t> BranchColumn(const Service& s) {
  if (!s.branch_id) return std::nullopt;
  return s.branch_id->value;
}

Status ValidateService(const Service& s) {
  if (s.name.empty()) return Fail(ErrorCode::kInvalidArgument, "service name is required");
  if (s.duration_minutes <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "service duration_minutes must be positive");
  }
  if (s.price_cents < 0 || s.minimum_notice_minutes < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "service price_cents and minimum_notice_minutes must not be negative");
  }
  return Ok();
}

std::string NotFound(ServiceId id) { return "service " + std::to_string(id.value) + " not found"; }

// An event type belongs to one company (docs/security.md, F6): another company naming it would
// see — and make Cal.com sync ignore — the first company's bookings.
Status CheckEventTypeOwner(Session& s, CompanyId company_id, const Service& service) {
  if (!service.calcom_event_type_id) return Ok();
  const std::size_t others =
      s.Query("id",
              "FROM services WHERE calcom_event_type_id = :event_type AND company_id <> "
              ":company_id LIMIT 1",
              Params().Add(*service.calcom_event_type_id).Add(company_id.value), [](const Row&) {});
  if (others != 0) {
    return Fail(ErrorCode::kConflict, "calcom_event_type_id is used by another company");
  }
  return Ok();
}

}  // namespace

Result<Service> SqlServiceRepository::Create(CompanyId company_id, const Service& service) {
  if (auto valid = ValidateService(service); !valid) return tl::unexpected(valid.error());
  return database_.Run([&](Session& s) -> Result<Service> {
    if (auto owner = CheckEventTypeOwner(s, company_id, service); !owner) {
      return tl::unexpected(owner.error());
    }
    Service stored = service;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = ServiceId(s.InsertReturningId(
        "INSERT INTO services (company_id, branch_id, name, synonyms, duration_minutes, "
        "price_cents, calcom_event_type_id, minimum_notice_minutes, is_default, is_active, "
        "created_at, updated_at) VALUES (:company_id, :branch_id, :name, :synonyms, "
        ":duration_minutes, :price_cents, :calcom_event_type_id, :minimum_notice_minutes, "
        ":is_default, :is_active, :created_at, :updated_at) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(BranchColumn(stored))
            .Add(stored.name)
            .Add(internal::EncodeStrings(stored.synonyms))
            .Add(stored.duration_minutes)
            .Add(stored.price_cents)
            .Add(stored.calcom_event_type_id)
            .Add(stored.minimum_notice_minutes)
            .Add(stored.is_default)
            .Add(stored.is_active)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

Result<Service> SqlServiceRepository::Update(CompanyId company_id, ServiceId id,
                                             const tenancy::Change<Service>& change) {
  return database_.WithTransaction([&](Session& s) -> Result<Service> {
    auto changed = internal::QueryOneChanged(
        s, kServiceColumns, "FROM services WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeService, NotFound(id), change,
        ValidateService);
    if (!changed) return changed;
    const Service& service = *changed;
    if (auto owner = CheckEventTypeOwner(s, company_id, service); !owner) {
      return tl::unexpected(owner.error());
    }
    s.Execute(
        "UPDATE services SET branch_id = :branch_id, name = :name, synonyms = :synonyms, "
        "duration_minutes = :duration_minutes, price_cents = :price_cents, "
        "calcom_event_type_id = :calcom_event_type_id, "
        "minimum_notice_minutes = :minimum_notice_minutes, is_default = :is_default, "
        "is_active = :is_active, updated_at = :updated_at "
        "WHERE company_id = :company_id AND id = :id",
        Params()
            .Add(BranchColumn(service))
            .Add(service.name)
            .Add(internal::EncodeStrings(service.synonyms))
            .Add(service.duration_minutes)
            .Add(service.price_cents)
            .Add(service.calcom_event_type_id)
            .Add(service.minimum_notice_minutes)
            .Add(service.is_default)
            .Add(service.is_active)
            .Add(clock_.Now())
            .Add(company_id.value)
            .Add(id.value));
    return internal::QueryOne(
        s, kServiceColumns, "FROM services WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeService, NotFound(id));
  });
}

Result<Service> SqlServiceRepository::FindById(CompanyId company_id, ServiceId id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(
        s, kServiceColumns, "FROM services WHERE company_id = :company_id AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeService, NotFound(id));
  });
}

Result<std::vector<Service>> SqlServiceRepository::ListForCompany(CompanyId company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<Service>> {
    return internal::QueryAll(s, kServiceColumns,
                              "FROM services WHERE company_id = :company_id ORDER BY id",
                              Params().Add(company_id.value), DecodeService);
  });
}

Result<std::vector<Service>> SqlServiceRepository::ListByCalcomEventType(
    std::int64_t event_type_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<Service>> {
    return internal::QueryAll(s, kServiceColumns,
                              "FROM services WHERE calcom_event_type_id = :e AND is_active = 1 "
                              "ORDER BY id",
                              Params().Add(event_type_id), DecodeService);
  });
}

Result<std::vector<Service>> SqlServiceRepository::ListForBranch(CompanyId company_id,
                                                                 BranchId branch_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<Service>> {
    return internal::QueryAll(s, kServiceColumns,
                              "FROM services WHERE company_id = :company_id AND is_active = 1 "
                              "AND (branch_id IS NULL OR branch_id = :branch_id) ORDER BY id",
                              Params().Add(company_id.value).Add(branch_id.value), DecodeService);
  });
}

}  // namespace callgate::storage
