#include "tools/seed_import.hpp"

#include <gtest/gtest.h>

#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::tools {
namespace {

class SeedImportTest : public storage::testing::DatabaseTest {
 protected:
  TenantFile Demo() {
    auto file = ParseTenantJson(DemoTenantJson());
    EXPECT_TRUE(file.has_value());
    return *file;
  }
};

TEST_P(SeedImportTest, ImportsTheDemoTenant) {
  auto report = ImportTenants(Demo(), db(), clock_);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->companies.created, 1);
  EXPECT_EQ(report->branches.created, 2);
  EXPECT_EQ(report->services.created, 3);
  EXPECT_EQ(report->phone_numbers.created, 2);
  EXPECT_EQ(report->customers.created, 1);

  storage::SqlPhoneNumberRepository numbers(db(), clock_);
  storage::SqlCompanyRepository companies(db(), clock_);
  auto number = numbers.FindByNumber("+493083793369");
  ASSERT_TRUE(number.has_value());
  auto company = companies.FindById(number->company_id);
  ASSERT_TRUE(company.has_value());
  EXPECT_EQ(company->slug, "praxis-weber");
  EXPECT_EQ(company->calcom_api_key.Reveal(), "cal_test_demo");
}

TEST_P(SeedImportTest, ImportingTheSameFileTwiceChangesNothing) {
  ASSERT_TRUE(ImportTenants(Demo(), db(), clock_).has_value());
  storage::SqlServiceRepository services(db(), clock_);
  storage::SqlCompanyRepository companies(db(), clock_);
  auto company = companies.FindBySlug("praxis-weber");
  ASSERT_TRUE(company.has_value());
  auto before = services.ListForCompany(company->id);
  ASSERT_TRUE(before.has_value());

  clock_.Advance(std::chrono::hours(1));
  auto again = ImportTenants(Demo(), db(), clock_);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->ChangedAnything()) << again->Summary();
  EXPECT_EQ(again->services.unchanged, 3);

  auto after = services.ListForCompany(company->id);
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].updated_at, (*before)[i].updated_at);
  }
}

TEST_P(SeedImportTest, ChangedFieldsAreUpdatedInPlace) {
  ASSERT_TRUE(ImportTenants(Demo(), db(), clock_).has_value());
  TenantFile changed = Demo();
  changed.companies[0].services[0].price_cents = 7000;
  changed.companies[0].branches[0].address = "Torstraße 2, 10119 Berlin";
  changed.companies[0].branches[1].region = "BB";
  changed.companies[0].branches[1].closing_days = {{"2026-12-07", "2026-12-07", "Fortbildung"}};
  changed.companies[0].closing_days = {{"2026-12-24", "2027-01-01", "Betriebsferien"}};
  auto report = ImportTenants(changed, db(), clock_);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->services.updated, 1);
  EXPECT_EQ(report->branches.updated, 2);
  EXPECT_EQ(report->companies.updated, 1);
  storage::SqlCompanyRepository companies(db(), clock_);
  storage::SqlBranchRepository branches(db(), clock_);
  auto company = companies.FindBySlug("praxis-weber");
  ASSERT_TRUE(company.has_value());
  auto moved = branches.FindByName(company->id, "Berlin Charlottenburg");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->region, "BB");
  EXPECT_EQ(moved->closing_days, changed.companies[0].branches[1].closing_days);
  EXPECT_EQ(company->closing_days, changed.companies[0].closing_days);
  // The same file again changes nothing.
  auto again = ImportTenants(changed, db(), clock_);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->ChangedAnything()) << again->Summary();
  EXPECT_EQ(report->services.created, 0);
}

TEST_P(SeedImportTest, NumberOfAnotherCompanyRollsBackEverything) {
  ASSERT_TRUE(ImportTenants(Demo(), db(), clock_).has_value());
  auto other = ParseTenantJson(R"({"companies":[{"name":"Salon","slug":"salon",
    "branches":[{"name":"Mitte","phone_numbers":["+49 30 83793369"]}]}]})");
  ASSERT_TRUE(other.has_value());
  auto report = ImportTenants(*other, db(), clock_);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(report.error().message.find("companies[0].branches[0].phone_numbers[0]"),
            std::string::npos)
      << report.error().message;
  storage::SqlCompanyRepository companies(db(), clock_);
  auto salon = companies.FindBySlug("salon");
  ASSERT_FALSE(salon.has_value());
  EXPECT_EQ(salon.error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, SeedImportTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::tools
