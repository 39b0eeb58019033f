#include <string>

#include "core/time_zone.hpp"
#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/tenancy_codec.hpp"

namespace callgate::storage {
namespace {

using tenancy::Company;
using tenancy::CompanyId;

constexpr std::string_view kColumns =
    "id, name, slug, timezone, language, is_active, calcom_api_key, retell_api_key, "
    "calcom_webhook_secret, parent_company_id, reseller_markup_percent, price_per_minute_cents, "
    "included_minutes, "
    "cancellation_notice_hours, cancellation_monthly_limit, cancellation_fee_tiers, "
    "reschedule_notice_hours, reschedule_monthly_limit, reschedule_fee_tiers, retention_days, "
    "customer_retention_days, vapi_secret, store_recordings, ai_disclosure, closing_days, "
    "created_at, updated_at";

Company Decode(const Row& row) {
  Company c;
  c.id = CompanyId(row.Int64("id"));
  c.name = row.String("name");
  c.slug = row.String("slug");
  c.timezone = row.String("timezone");
  c.language = row.String("language");
  c.is_active = row.Bool("is_active");
  c.calcom_api_key =
      Secret(row.OptionalOpened("calcom_api_key", "companies.calcom_api_key").value_or(""));
  c.retell_api_key =
      Secret(row.OptionalOpened("retell_api_key", "companies.retell_api_key").value_or(""));
  c.calcom_webhook_secret = Secret(
      row.OptionalOpened("calcom_webhook_secret", "companies.calcom_webhook_secret").value_or(""));
  if (auto parent = row.OptionalInt64("parent_company_id"))
    c.parent_company_id = CompanyId(*parent);
  c.reseller_markup_percent = row.Double("reseller_markup_percent");
  c.price_per_minute_cents = row.Int64("price_per_minute_cents");
  c.included_minutes = row.Int64("included_minutes");
  c.cancellation_policy.notice_hours = row.Int("cancellation_notice_hours");
  c.cancellation_policy.monthly_limit = row.OptionalInt("cancellation_monthly_limit");
  c.cancellation_policy.fee_tiers = internal::DecodeFeeTiers(row.String("cancellation_fee_tiers"));
  c.reschedule_policy.notice_hours = row.Int("reschedule_notice_hours");
  c.reschedule_policy.monthly_limit = row.OptionalInt("reschedule_monthly_limit");
  c.reschedule_policy.fee_tiers = internal::DecodeFeeTiers(row.String("reschedule_fee_tiers"));
  c.retention_days = row.Int("retention_days");
  c.customer_retention_days = row.Int("customer_retention_days");
  c.vapi_secret = Secret(row.OptionalOpened("vapi_secret", "companies.vapi_secret").value_or(""));
  c.store_recordings = row.Bool("store_recordings");
  c.ai_disclosure = row.String("ai_disclosure");
  c.closing_days = internal::DecodeClosingDays(row.String("closing_days"));
  c.created_at = row.Time("created_at");
  c.updated_at = row.Time("updated_at");
  return c;
}

// Secrets are stored sealed (docs/privacy.md); an empty one is NULL.
std::optional<std::string> SecretColumn(const Session& s, const Secret& secret,
                                        std::string_view context) {
  if (secret.empty()) return std::nullopt;
  return s.Seal(secret.Reveal(), context);
}

std::optional<std::int64_t> ParentColumn(const Company& c) {
  if (!c.parent_company_id) return std::nullopt;
  return c.parent_company_id->value;
}

// The mutable columns, in the order of kMutableColumns / the UPDATE's SET list.
void AddMutable(Params& p, const Session& s, const Company& c) {
  p.Add(c.name)
      .Add(c.slug)
      .Add(c.timezone)
      .Add(c.language)
      .Add(c.is_active)
      .Add(SecretColumn(s, c.calcom_api_key, "companies.calcom_api_key"))
      .Add(SecretColumn(s, c.retell_api_key, "companies.retell_api_key"))
      .Add(SecretColumn(s, c.calcom_webhook_secret, "companies.calcom_webhook_secret"))
      .Add(ParentColumn(c))
      .Add(c.reseller_markup_percent)
      .Add(c.price_per_minute_cents)
      .Add(c.included_minutes)
      .Add(c.cancellation_policy.notice_hours)
      .Add(c.cancellation_policy.monthly_limit)
      .Add(internal::EncodeFeeTiers(c.cancellation_policy.fee_tiers))
      .Add(c.reschedule_policy.notice_hours)
      .Add(c.reschedule_policy.monthly_limit)
      .Add(internal::EncodeFeeTiers(c.reschedule_policy.fee_tiers))
      .Add(c.retention_days)
      .Add(c.customer_retention_days)
      .Add(SecretColumn(s, c.vapi_secret, "companies.vapi_secret"))
      .Add(c.store_recordings)
      .Add(c.ai_disclosure)
      .Add(internal::EncodeClosingDays(c.closing_days));
}

Status ValidateCompany(const Company& c) {
  if (c.name.empty() || c.slug.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "company name and slug are required");
  }
  if (c.retention_days < 1 || c.retention_days > 3650 || c.customer_retention_days < 1 ||
      c.customer_retention_days > 36500) {
    return Fail(ErrorCode::kInvalidArgument,
                "retention_days must be 1..3650 and customer_retention_days 1..36500");
  }
  if (!IsValidTimeZone(c.timezone)) {
    return Fail(ErrorCode::kInvalidArgument, "unknown time zone \"" + c.timezone + "\"");
  }
  if (c.ai_disclosure.size() > 500) {
    return Fail(ErrorCode::kInvalidArgument, "ai_disclosure must be at most 500 characters");
  }
  if (c.closing_days.size() > tenancy::kMaxClosingDays) {
    return Fail(ErrorCode::kInvalidArgument, "too many closing days");
  }
  for (const auto& days : c.closing_days) {
    if (auto problem = tenancy::CheckClosingDays(days)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "closing days: " + problem->field + " " + problem->message);
    }
  }
  return Ok();
}

std::string NotFound(CompanyId id) { return "company " + std::to_string(id.value) + " not found"; }

}  // namespace

Result<Company> SqlCompanyRepository::Create(const Company& company) {
  if (auto valid = ValidateCompany(company); !valid) return tl::unexpected(valid.error());
  return database_.Run([&](Session& s) -> Result<Company> {
    Company stored = company;
    stored.created_at = stored.updated_at = clock_.Now();
    Params p;
    AddMutable(p, s, stored);
    p.Add(stored.created_at).Add(stored.updated_at);
    stored.id = CompanyId(s.InsertReturningId(
        "INSERT INTO companies (name, slug, timezone, language, is_active, calcom_api_key, "
        "retell_api_key, calcom_webhook_secret, parent_company_id, reseller_markup_percent, "
        "price_per_minute_cents, "
        "included_minutes, cancellation_notice_hours, cancellation_monthly_limit, "
        "cancellation_fee_tiers, reschedule_notice_hours, reschedule_monthly_limit, "
        "reschedule_fee_tiers, retention_days, customer_retention_days, vapi_secret, "
        "store_recordings, ai_disclosure, closing_days, created_at, updated_at) "
        "VALUES (:name, :slug, :timezone, "
        ":language, :is_active, :calcom_api_key, :retell_api_key, :calcom_webhook_secret, "
        ":parent_company_id, "
        ":reseller_markup_percent, :price_per_minute_cents, :included_minutes, "
        ":cancellation_notice_hours, :cancellation_monthly_limit, :cancellation_fee_tiers, "
        ":reschedule_notice_hours, :reschedule_monthly_limit, :reschedule_fee_tiers, "
        ":retention_days, :customer_retention_days, :vapi_secret, :store_recordings, "
        ":ai_disclosure, :closing_days, :created_at, :updated_at) RETURNING id",
        p));
    return stored;
  });
}

Result<Company> SqlCompanyRepository::Update(CompanyId id, const tenancy::Change<Company>& change) {
  return database_.WithTransaction([&](Session& s) -> Result<Company> {
    auto changed = internal::QueryOneChanged(s, kColumns, "FROM companies WHERE id = :id",
                                             Params().Add(id.value), Decode, NotFound(id), change,
                                             ValidateCompany);
    if (!changed) return changed;
    const Company& company = *changed;
    Params p;
    AddMutable(p, s, company);
    p.Add(clock_.Now()).Add(id.value);
    s.Execute(
        "UPDATE companies SET name = :name, slug = :slug, timezone = :timezone, "
        "language = :language, is_active = :is_active, calcom_api_key = :calcom_api_key, "
        "retell_api_key = :retell_api_key, calcom_webhook_secret = :calcom_webhook_secret, "
        "parent_company_id = :parent_company_id, "
        "reseller_markup_percent = :reseller_markup_percent, "
        "price_per_minute_cents = :price_per_minute_cents, included_minutes = :included_minutes, "
        "cancellation_notice_hours = :cancellation_notice_hours, "
        "cancellation_monthly_limit = :cancellation_monthly_limit, "
        "cancellation_fee_tiers = :cancellation_fee_tiers, "
        "reschedule_notice_hours = :reschedule_notice_hours, "
        "reschedule_monthly_limit = :reschedule_monthly_limit, "
        "reschedule_fee_tiers = :reschedule_fee_tiers, retention_days = :retention_days, "
        "customer_retention_days = :customer_retention_days, vapi_secret = :vapi_secret, "
        "store_recordings = :store_recordings, ai_disclosure = :ai_disclosure, "
        "closing_days = :closing_days, updated_at = :updated_at "
        "WHERE id = :id",
        p);
    return internal::QueryOne(s, kColumns, "FROM companies WHERE id = :id", Params().Add(id.value),
                              Decode, NotFound(id));
  });
}

Result<Company> SqlCompanyRepository::FindById(CompanyId id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kColumns, "FROM companies WHERE id = :id", Params().Add(id.value),
                              Decode, NotFound(id));
  });
}

Result<Company> SqlCompanyRepository::FindBySlug(std::string_view slug) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kColumns, "FROM companies WHERE slug = :slug", Params().Add(slug),
                              Decode, "company \"" + std::string(slug) + "\" not found");
  });
}

Result<std::vector<Company>> SqlCompanyRepository::List() {
  return database_.Run([&](Session& s) -> Result<std::vector<Company>> {
    return internal::QueryAll(s, kColumns, "FROM companies ORDER BY id", {}, Decode);
  });
}

}  // namespace callgate::storage
