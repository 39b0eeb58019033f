#include "tools/seed_import.hpp"

#include <algorithm>

#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::tools {
namespace {

using namespace callgate::tenancy;

#define CG_TRY(var, expr)                               \
  auto var##_r = (expr);                                \
  if (!var##_r) return tl::unexpected(var##_r.error()); \
  auto var = std::move(*var##_r)

WeeklyHours ToWeeklyHours(const TenantFileBranch& b) {
  WeeklyHours hours;
  for (size_t d = 0; d < 7; ++d) {
    if (b.business_hours[d]) {
      hours[d] = OpeningHours{b.business_hours[d]->open_minute, b.business_hours[d]->close_minute};
    }
  }
  return hours;
}

bool SameCompany(const Company& a, const Company& b) {
  return a.name == b.name && a.timezone == b.timezone && a.language == b.language &&
         a.calcom_api_key.Reveal() == b.calcom_api_key.Reveal() &&
         a.retell_api_key.Reveal() == b.retell_api_key.Reveal() &&
         a.calcom_webhook_secret.Reveal() == b.calcom_webhook_secret.Reveal() &&
         a.vapi_secret.Reveal() == b.vapi_secret.Reveal() &&
         a.price_per_minute_cents == b.price_per_minute_cents &&
         a.included_minutes == b.included_minutes && a.retention_days == b.retention_days &&
         a.customer_retention_days == b.customer_retention_days &&
         a.store_recordings == b.store_recordings && a.ai_disclosure == b.ai_disclosure &&
         a.closing_days == b.closing_days;
}

bool SameBranch(const Branch& a, const Branch& b) {
  return a.name == b.name && a.address == b.address && a.phone_e164 == b.phone_e164 &&
         a.timezone == b.timezone && a.business_hours == b.business_hours && a.region == b.region &&
         a.transfer_number == b.transfer_number && a.closing_days == b.closing_days;
}

bool SameService(const Service& a, const Service& b) {
  return a.name == b.name && a.branch_id == b.branch_id && a.synonyms == b.synonyms &&
         a.duration_minutes == b.duration_minutes && a.price_cents == b.price_cents &&
         a.calcom_event_type_id == b.calcom_event_type_id &&
         a.minimum_notice_minutes == b.minimum_notice_minutes && a.is_default == b.is_default;
}

tl::unexpected<Error> At(const std::string& where, const Error& e) {
  return callgate::Fail(e.code, where + ": " + e.message);
}

class Importer {
 public:
  Importer(storage::Database& db, const Clock& clock)
      : companies_(db, clock),
        branches_(db, clock),
        services_(db, clock),
        numbers_(db, clock),
        customers_(db, clock) {}

  Status ImportCompany(const TenantFileCompany& in, const std::string& path) {
    Company wanted;
    wanted.name = in.name;
    wanted.slug = in.slug;
    wanted.timezone = in.timezone;
    wanted.language = in.language;
    wanted.calcom_api_key = Secret(in.calcom_api_key);
    wanted.retell_api_key = Secret(in.retell_api_key);
    wanted.calcom_webhook_secret = Secret(in.calcom_webhook_secret);
    wanted.vapi_secret = Secret(in.vapi_secret);
    wanted.price_per_minute_cents = in.price_per_minute_cents;
    wanted.included_minutes = in.included_minutes;
    wanted.retention_days = in.retention_days;
    wanted.customer_retention_days = in.customer_retention_days;
    wanted.store_recordings = in.store_recordings;
    wanted.ai_disclosure = in.ai_disclosure;
    wanted.closing_days = in.closing_days;

    Company company;
    auto existing = companies_.FindBySlug(in.slug);
    if (existing) {
      if (SameCompany(*existing, wanted)) {
        ++report.companies.unchanged;
        company = *existing;
      } else {
        // The file's fields onto the company as stored; the others (policies, reseller,
        // activation) keep what they hold.
        auto updated = companies_.Update(existing->id, [&](Company& merged) {
          merged.name = wanted.name;
          merged.timezone = wanted.timezone;
          merged.language = wanted.language;
          merged.calcom_api_key = wanted.calcom_api_key;
          merged.retell_api_key = wanted.retell_api_key;
          merged.calcom_webhook_secret = wanted.calcom_webhook_secret;
          merged.vapi_secret = wanted.vapi_secret;
          merged.price_per_minute_cents = wanted.price_per_minute_cents;
          merged.included_minutes = wanted.included_minutes;
          merged.retention_days = wanted.retention_days;
          merged.customer_retention_days = wanted.customer_retention_days;
          merged.store_recordings = wanted.store_recordings;
          merged.ai_disclosure = wanted.ai_disclosure;
          merged.closing_days = wanted.closing_days;
          return Ok();
        });
        if (!updated) return At(path, updated.error());
        ++report.companies.updated;
        company = *updated;
      }
    } else if (existing.error().code == ErrorCode::kNotFound) {
      auto created = companies_.Create(wanted);
      if (!created) return At(path, created.error());
      ++report.companies.created;
      company = *created;
    } else {
      return At(path, existing.error());
    }

    std::vector<Branch> branches;
    for (size_t i = 0; i < in.branches.size(); ++i) {
      const std::string bp = path + ".branches[" + std::to_string(i) + "]";
      auto branch = ImportBranch(company, in.branches[i], bp);
      if (!branch) return tl::unexpected(branch.error());
      branches.push_back(*branch);
      for (size_t n = 0; n < in.branches[i].phone_numbers.size(); ++n) {
        if (auto s = ImportNumber(company.id, branch->id, in.branches[i].phone_numbers[n],
                                  bp + ".phone_numbers[" + std::to_string(n) + "]");
            !s) {
          return s;
        }
      }
    }
    for (size_t i = 0; i < in.services.size(); ++i) {
      if (auto s = ImportService(company.id, branches, in.services[i],
                                 path + ".services[" + std::to_string(i) + "]");
          !s) {
        return s;
      }
    }
    for (size_t i = 0; i < in.customers.size(); ++i) {
      if (auto s = ImportCustomer(company.id, in.customers[i],
                                  path + ".customers[" + std::to_string(i) + "]");
          !s) {
        return s;
      }
    }
    return Ok();
  }

  ImportReport report;

 private:
  Result<Branch> ImportBranch(const Company& company, const TenantFileBranch& in,
                              const std::string& path) {
    Branch wanted;
    wanted.name = in.name;
    wanted.address = in.address;
    if (!in.phone.empty()) wanted.phone_e164 = in.phone;
    wanted.timezone = in.timezone.empty() ? company.timezone : in.timezone;
    wanted.business_hours = ToWeeklyHours(in);
    wanted.region = in.region;
    if (!in.transfer_number.empty()) wanted.transfer_number = in.transfer_number;
    wanted.closing_days = in.closing_days;
    auto existing = branches_.FindByName(company.id, in.name);
    if (existing) {
      if (SameBranch(*existing, wanted)) {
        ++report.branches.unchanged;
        return *existing;
      }
      auto updated = branches_.Update(company.id, existing->id, [&](Branch& stored) {
        wanted.is_active = stored.is_active;  // activation is not the file's
        stored = wanted;
        return Ok();
      });
      if (!updated) return At(path, updated.error());
      ++report.branches.updated;
      return *updated;
    }
    if (existing.error().code != ErrorCode::kNotFound) return At(path, existing.error());
    auto created = branches_.Create(company.id, wanted);
    if (!created) return At(path, created.error());
    ++report.branches.created;
    return *created;
  }

  Status ImportNumber(CompanyId company_id, BranchId branch_id, const std::string& e164,
                      const std::string& path) {
    auto existing = numbers_.FindByNumber(e164);
    if (existing) {
      if (existing->company_id != company_id) {
        return Fail(ErrorCode::kAlreadyExists, path + ": number belongs to another company");
      }
      if (existing->branch_id != branch_id) {
        return Fail(ErrorCode::kConflict, path + ": number is registered for another branch");
      }
      ++report.phone_numbers.unchanged;
      return Ok();
    }
    if (existing.error().code != ErrorCode::kNotFound) return At(path, existing.error());
    PhoneNumber number;
    number.branch_id = branch_id;
    number.number_e164 = e164;
    auto created = numbers_.Create(company_id, number);
    if (!created) return At(path, created.error());
    ++report.phone_numbers.created;
    return Ok();
  }

  Status ImportService(CompanyId company_id, const std::vector<Branch>& branches,
                       const TenantFileService& in, const std::string& path) {
    std::vector<std::optional<BranchId>> targets;
    const bool all = in.branches.empty() || in.branches.size() == branches.size();
    if (all) {
      targets.push_back(std::nullopt);
    } else {
      for (const auto& name : in.branches) {
        auto it = std::find_if(branches.begin(), branches.end(),
                               [&](const Branch& b) { return b.name == name; });
        if (it == branches.end()) {
          return Fail(ErrorCode::kNotFound, path + ": no branch named " + name);
        }
        targets.push_back(it->id);
      }
    }
    CG_TRY(existing, services_.ListForCompany(company_id));
    for (const auto& target : targets) {
      Service wanted;
      wanted.branch_id = target;
      wanted.name = in.name;
      wanted.synonyms = in.synonyms;
      wanted.duration_minutes = in.duration_minutes;
      wanted.price_cents = in.price_cents;
      wanted.calcom_event_type_id = in.calcom_event_type_id;
      wanted.minimum_notice_minutes = in.minimum_notice_minutes;
      wanted.is_default = in.is_default;
      auto it = std::find_if(existing.begin(), existing.end(), [&](const Service& s) {
        return s.name == in.name && s.branch_id == target;
      });
      if (it == existing.end()) {
        auto created = services_.Create(company_id, wanted);
        if (!created) return At(path, created.error());
        ++report.services.created;
      } else if (SameService(*it, wanted)) {
        ++report.services.unchanged;
      } else {
        auto updated = services_.Update(company_id, it->id, [&](Service& stored) {
          wanted.is_active = stored.is_active;  // activation is not the file's
          stored = wanted;
          return Ok();
        });
        if (!updated) return At(path, updated.error());
        ++report.services.updated;
      }
    }
    return Ok();
  }

  Status ImportCustomer(CompanyId company_id, const TenantFileCustomer& in,
                        const std::string& path) {
    auto existing = customers_.FindByPhone(company_id, in.phone);
    const std::optional<std::string> email =
        in.email.empty() ? std::nullopt : std::optional<std::string>(in.email);
    if (existing) {
      if (existing->name == in.name && (!email || existing->email == email)) {
        ++report.customers.unchanged;
        return Ok();
      }
      CustomerDetails details{in.phone, in.name, email, std::nullopt};
      auto updated = customers_.Upsert(company_id, details);
      if (!updated) return At(path, updated.error());
      ++report.customers.updated;
      return Ok();
    }
    if (existing.error().code != ErrorCode::kNotFound) return At(path, existing.error());
    CustomerDetails details{in.phone, in.name, email, std::nullopt};
    auto created = customers_.Upsert(company_id, details);
    if (!created) return At(path, created.error());
    ++report.customers.created;
    return Ok();
  }

  storage::SqlCompanyRepository companies_;
  storage::SqlBranchRepository branches_;
  storage::SqlServiceRepository services_;
  storage::SqlPhoneNumberRepository numbers_;
  storage::SqlCustomerRepository customers_;
};

#undef CG_TRY

std::string Counts(const char* name, const ImportCounts& c) {
  return std::string(name) + " " + std::to_string(c.created) + " created, " +
         std::to_string(c.updated) + " updated, " + std::to_string(c.unchanged) + " unchanged";
}

}  // namespace

std::string ImportReport::Summary() const {
  return Counts("companies", companies) + "; " + Counts("branches", branches) + "; " +
         Counts("services", services) + "; " + Counts("phone numbers", phone_numbers) + "; " +
         Counts("customers", customers);
}

bool ImportReport::ChangedAnything() const {
  for (const auto* c : {&companies, &branches, &services, &phone_numbers, &customers}) {
    if (c->created > 0 || c->updated > 0) return true;
  }
  return false;
}

Result<ImportReport> ImportTenants(const TenantFile& file, storage::Database& database,
                                   const Clock& clock) {
  return database.WithTransaction([&](storage::Session&) -> Result<ImportReport> {
    Importer importer(database, clock);
    for (size_t i = 0; i < file.companies.size(); ++i) {
      if (auto s =
              importer.ImportCompany(file.companies[i], "companies[" + std::to_string(i) + "]");
          !s) {
        return tl::unexpected(s.error());
      }
    }
    return importer.report;
  });
}

Result<int> CountCompanies(storage::Database& database, const Clock& clock) {
  storage::SqlCompanyRepository companies(database, clock);
  auto all = companies.List();
  if (!all) return tl::unexpected(all.error());
  return static_cast<int>(all->size());
}

}  // namespace callgate::tools
