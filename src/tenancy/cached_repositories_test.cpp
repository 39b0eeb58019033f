// The tenant configuration from memory: answers are kept while the database's version stands,
// dropped when it moves (seen within the refresh interval) or when this instance changed
// something, and never served while the version cannot be read.
#include "tenancy/cached_repositories.hpp"

#include <gtest/gtest.h>

#include "core/testing/fake_clock.hpp"

namespace callgate::tenancy {
namespace {

using namespace std::chrono_literals;

class Versions final : public ConfigVersionSource {
 public:
  Result<std::int64_t> Current() override {
    ++reads;
    if (down) return Fail(ErrorCode::kUnavailable, "database down");
    return version;
  }
  std::int64_t version = 1;
  bool down = false;
  int reads = 0;
};

// Counts the reads that reach the "database"; `unavailable` makes every read fail.
class CountingCompanies final : public CompanyRepository {
 public:
  Result<Company> Create(const Company& company) override {
    rows.push_back(company);
    rows.back().id = CompanyId(static_cast<std::int64_t>(rows.size()));
    return rows.back();
  }
  Result<Company> Update(CompanyId id, const Change<Company>& change) override {
    for (auto& row : rows) {
      if (row.id != id) continue;
      if (auto changed = change(row); !changed) return tl::unexpected(changed.error());
      return row;
    }
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<Company> FindById(CompanyId id) override {
    ++reads;
    if (unavailable) return Fail(ErrorCode::kUnavailable, "database down");
    for (const auto& row : rows) {
      if (row.id == id) return row;
    }
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<Company> FindBySlug(std::string_view slug) override {
    ++reads;
    for (const auto& row : rows) {
      if (row.slug == slug) return row;
    }
    return Fail(ErrorCode::kNotFound, "no company");
  }
  Result<std::vector<Company>> List() override { return rows; }

  std::vector<Company> rows;
  int reads = 0;
  bool unavailable = false;
};

class CountingNumbers final : public PhoneNumberRepository {
 public:
  Result<PhoneNumber> Create(CompanyId company_id, const PhoneNumber& number) override {
    rows.push_back(number);
    rows.back().company_id = company_id;
    return rows.back();
  }
  Result<PhoneNumber> FindByNumber(std::string_view number_e164) override {
    ++reads;
    for (const auto& row : rows) {
      if (row.number_e164 == number_e164) return row;
    }
    return Fail(ErrorCode::kNotFound, "not registered");
  }
  Result<std::vector<PhoneNumber>> FindByAgentId(std::string_view agent) override {
    ++reads;
    std::vector<PhoneNumber> out;
    for (const auto& row : rows) {
      if (row.retell_agent_id == std::string(agent)) out.push_back(row);
    }
    return out;
  }
  Result<PhoneNumber> FindById(CompanyId, PhoneNumberId) override {
    return Fail(ErrorCode::kNotFound, "no number");
  }
  Result<std::vector<PhoneNumber>> ListForCompany(CompanyId) override { return rows; }

  std::vector<PhoneNumber> rows;
  int reads = 0;
};

class CountingServices final : public ServiceRepository {
 public:
  Result<Service> Create(CompanyId, const Service& service) override {
    rows.push_back(service);
    return rows.back();
  }
  Result<Service> Update(CompanyId company_id, ServiceId id,
                         const Change<Service>& change) override {
    for (auto& row : rows) {
      if (row.company_id != company_id || row.id != id) continue;
      if (auto changed = change(row); !changed) return tl::unexpected(changed.error());
      return row;
    }
    return Fail(ErrorCode::kNotFound, "no service");
  }
  Result<Service> FindById(CompanyId company_id, ServiceId id) override {
    ++reads;
    for (const auto& row : rows) {
      if (row.company_id == company_id && row.id == id) return row;
    }
    return Fail(ErrorCode::kNotFound, "no service");
  }
  Result<std::vector<Service>> ListForCompany(CompanyId) override { return rows; }
  Result<std::vector<Service>> ListForBranch(CompanyId company_id, BranchId) override {
    ++reads;
    std::vector<Service> out;
    for (const auto& row : rows) {
      if (row.company_id == company_id && row.is_active) out.push_back(row);
    }
    return out;
  }
  Result<std::vector<Service>> ListByCalcomEventType(std::int64_t) override {
    ++reads;
    return rows;
  }

  std::vector<Service> rows;
  int reads = 0;
};

class CachedRepositoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Company company;
    company.id = CompanyId(1);
    company.name = "Praxis";
    company.slug = "praxis";
    company.is_active = true;
    companies_.rows.push_back(company);
    PhoneNumber number;
    number.id = PhoneNumberId(1);
    number.company_id = CompanyId(1);
    number.number_e164 = "+493083793369";
    number.retell_agent_id = "agent_1";
    numbers_.rows.push_back(number);
    Service service;
    service.id = ServiceId(7);
    service.company_id = CompanyId(1);
    service.name = "Erstberatung";
    service.is_active = true;
    services_.rows.push_back(service);
  }

  TenancyCache& Cache(TenancyCacheSettings settings = {}) {
    cache_ = std::make_unique<TenancyCache>(settings, versions_, clock_);
    cached_companies_ = std::make_unique<CachedCompanyRepository>(companies_, *cache_);
    cached_numbers_ = std::make_unique<CachedPhoneNumberRepository>(numbers_, *cache_);
    cached_services_ = std::make_unique<CachedServiceRepository>(services_, *cache_);
    return *cache_;
  }

  callgate::testing::FakeClock clock_;
  Versions versions_;
  CountingCompanies companies_;
  CountingNumbers numbers_;
  CountingServices services_;
  std::unique_ptr<TenancyCache> cache_;
  std::unique_ptr<CachedCompanyRepository> cached_companies_;
  std::unique_ptr<CachedPhoneNumberRepository> cached_numbers_;
  std::unique_ptr<CachedServiceRepository> cached_services_;
};

TEST_F(CachedRepositoriesTest, ReadsAreAnsweredFromMemoryWhileTheVersionStands) {
  Cache();
  for (int i = 0; i < 5; ++i) {
    auto number = cached_numbers_->FindByNumber("+493083793369");
    ASSERT_TRUE(number.has_value());
    EXPECT_EQ(number->company_id, CompanyId(1));
    auto services = cached_services_->ListForBranch(CompanyId(1), BranchId(2));
    ASSERT_TRUE(services.has_value());
    ASSERT_EQ(services->size(), 1U);
    EXPECT_TRUE(cached_companies_->FindById(CompanyId(1)).has_value());
    clock_.Advance(100ms);
  }
  EXPECT_EQ(numbers_.reads, 1);
  EXPECT_EQ(services_.reads, 1);
  EXPECT_EQ(companies_.reads, 1);
  EXPECT_EQ(versions_.reads, 1);  // 400 ms of reads, within one refresh of 1 s
}

TEST_F(CachedRepositoriesTest, AnotherInstancesChangeIsSeenWithinTheRefresh) {
  Cache({.refresh = 1000ms});
  ASSERT_EQ(cached_services_->ListForBranch(CompanyId(1), BranchId(2))->size(), 1U);
  // Another instance deactivates the service: the database's version moves.
  services_.rows[0].is_active = false;
  versions_.version = 2;
  clock_.Advance(999ms);
  EXPECT_EQ(cached_services_->ListForBranch(CompanyId(1), BranchId(2))->size(), 1U);
  clock_.Advance(1ms);
  EXPECT_TRUE(cached_services_->ListForBranch(CompanyId(1), BranchId(2))->empty());
  EXPECT_EQ(services_.reads, 2);
  // The version read again, unchanged: the new answer stays in memory.
  clock_.Advance(1000ms);
  EXPECT_TRUE(cached_services_->ListForBranch(CompanyId(1), BranchId(2))->empty());
  EXPECT_EQ(services_.reads, 2);
}

TEST_F(CachedRepositoriesTest, AWriteThroughTheCacheIsSeenAtOnce) {
  Cache({.refresh = 60'000ms});
  ASSERT_EQ(cached_services_->FindById(CompanyId(1), ServiceId(7))->name, "Erstberatung");
  ASSERT_TRUE(cached_services_
                  ->Update(CompanyId(1), ServiceId(7),
                           [](Service& s) {
                             s.name = "Beratung";
                             return Ok();
                           })
                  .has_value());
  EXPECT_EQ(cached_services_->FindById(CompanyId(1), ServiceId(7))->name, "Beratung");

  Company company = companies_.rows[0];
  ASSERT_TRUE(cached_companies_->FindById(CompanyId(1))->is_active);
  ASSERT_TRUE(cached_companies_->FindBySlug(company.slug)->is_active);
  ASSERT_TRUE(cached_companies_
                  ->Update(company.id,
                           [](Company& c) {
                             c.is_active = false;
                             return Ok();
                           })
                  .has_value());
  EXPECT_FALSE(cached_companies_->FindById(CompanyId(1))->is_active);
  EXPECT_FALSE(cached_companies_->FindBySlug(company.slug)->is_active);
}

TEST_F(CachedRepositoriesTest, CompaniesAreFoundBySlugFromMemory) {
  Cache({.refresh = 60'000ms});
  const std::string slug = companies_.rows[0].slug;
  ASSERT_FALSE(slug.empty());
  const int before = companies_.reads;
  for (int i = 0; i < 10; ++i) {
    auto company = cached_companies_->FindBySlug(slug);
    ASSERT_TRUE(company.has_value());
    EXPECT_EQ(company->id, CompanyId(1));
    EXPECT_EQ(cached_companies_->FindBySlug("no-such-company").error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(companies_.reads, before + 2);  // one read per slug, an unknown one included
}

TEST_F(CachedRepositoriesTest, InvalidateDropsWhatAnotherPathChanged) {
  TenancyCache& cache = Cache({.refresh = 60'000ms});
  ASSERT_TRUE(cached_numbers_->FindByNumber("+493083793369").has_value());
  numbers_.rows.clear();  // e.g. the admin store deleted the number
  EXPECT_TRUE(cached_numbers_->FindByNumber("+493083793369").has_value());
  cache.Invalidate();
  auto gone = cached_numbers_->FindByNumber("+493083793369");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(CachedRepositoriesTest, AnUnknownNumberIsRememberedAFailureIsNot) {
  Cache();
  for (int i = 0; i < 3; ++i) {
    auto unknown = cached_numbers_->FindByNumber("+4930999999");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(numbers_.reads, 1);
  // A number registered here is found at once, though "unknown" was remembered.
  PhoneNumber added;
  added.number_e164 = "+4930999999";
  ASSERT_TRUE(cached_numbers_->Create(CompanyId(1), added).has_value());
  EXPECT_TRUE(cached_numbers_->FindByNumber("+4930999999").has_value());

  companies_.unavailable = true;
  for (int i = 0; i < 3; ++i) {
    auto down = cached_companies_->FindById(CompanyId(1));
    ASSERT_FALSE(down.has_value());
    EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  }
  EXPECT_EQ(companies_.reads, 3);
  companies_.unavailable = false;
  EXPECT_TRUE(cached_companies_->FindById(CompanyId(1)).has_value());
}

TEST_F(CachedRepositoriesTest, NothingIsServedFromMemoryWhileTheVersionCannotBeRead) {
  Cache({.refresh = 1000ms});
  ASSERT_TRUE(cached_companies_->FindById(CompanyId(1)).has_value());
  versions_.down = true;
  clock_.Advance(1000ms);
  companies_.rows[0].name = "Praxis Neu";
  EXPECT_EQ(cached_companies_->FindById(CompanyId(1))->name, "Praxis Neu");
  EXPECT_EQ(cached_companies_->FindById(CompanyId(1))->name, "Praxis Neu");
  EXPECT_EQ(companies_.reads, 3);
  // Back: kept in memory again.
  versions_.down = false;
  clock_.Advance(1000ms);
  EXPECT_TRUE(cached_companies_->FindById(CompanyId(1)).has_value());
  EXPECT_TRUE(cached_companies_->FindById(CompanyId(1)).has_value());
  EXPECT_EQ(companies_.reads, 4);
}

TEST_F(CachedRepositoriesTest, ARefreshOfZeroReadsTheVersionOnEveryLookup) {
  Cache({.refresh = 0ms});
  ASSERT_TRUE(cached_numbers_->FindByAgentId("agent_1").has_value());
  numbers_.rows[0].retell_agent_id = "agent_2";
  versions_.version = 2;
  EXPECT_TRUE(cached_numbers_->FindByAgentId("agent_1")->empty());
  EXPECT_EQ(cached_numbers_->FindByAgentId("agent_2")->size(), 1U);
  EXPECT_EQ(versions_.reads, 3);
}

TEST_F(CachedRepositoriesTest, AFullTableIsDroppedNotGrown) {
  Cache({.refresh = 60'000ms, .max_entries = 3});
  for (int i = 0; i < 3; ++i) {
    (void)cached_numbers_->FindByNumber("+49301000" + std::to_string(i));
  }
  EXPECT_EQ(numbers_.reads, 3);
  (void)cached_numbers_->FindByNumber("+493010002");  // still held
  EXPECT_EQ(numbers_.reads, 3);
  (void)cached_numbers_->FindByNumber("+493010003");  // the table is full: dropped, then kept
  (void)cached_numbers_->FindByNumber("+493010003");
  EXPECT_EQ(numbers_.reads, 4);
  (void)cached_numbers_->FindByNumber("+493010000");  // was dropped with the rest
  EXPECT_EQ(numbers_.reads, 5);
}

}  // namespace
}  // namespace callgate::tenancy
