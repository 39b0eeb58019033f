#include "storage/sql_tenancy_repositories.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using namespace tenancy;  // NOLINT(google-build-using-namespace): test readability
using std::chrono::minutes;

class TenancyRepositories : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    companies_ = std::make_unique<SqlCompanyRepository>(db(), clock_);
    branches_ = std::make_unique<SqlBranchRepository>(db(), clock_);
    services_ = std::make_unique<SqlServiceRepository>(db(), clock_);
    numbers_ = std::make_unique<SqlPhoneNumberRepository>(db(), clock_);
    customers_ = std::make_unique<SqlCustomerRepository>(db(), clock_);
  }

  Company NewCompany(const std::string& slug) {
    Company c;
    c.name = "Company " + slug;
    c.slug = slug;
    auto created = companies_->Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(Company{});
  }

  Branch NewBranch(CompanyId company, const std::string& name) {
    Branch b;
    b.name = name;
    auto created = branches_->Create(company, b);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(Branch{});
  }

  Service NewService(CompanyId company, std::optional<BranchId> branch, const std::string& name) {
    Service s;
    s.name = name;
    s.branch_id = branch;
    auto created = services_->Create(company, s);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(Service{});
  }

  std::unique_ptr<SqlCompanyRepository> companies_;
  std::unique_ptr<SqlBranchRepository> branches_;
  std::unique_ptr<SqlServiceRepository> services_;
  std::unique_ptr<SqlPhoneNumberRepository> numbers_;
  std::unique_ptr<SqlCustomerRepository> customers_;
};

// ---- companies --------------------------------------------------------------------------------

TEST_P(TenancyRepositories, CompanyRoundTripsEveryField) {
  Company reseller = NewCompany("reseller");
  Company c;
  c.name = "Praxis Dr. Weber";
  c.slug = "praxis-weber";
  c.timezone = "Europe/Vienna";
  c.language = "en";
  c.is_active = false;
  c.calcom_api_key = Secret("cal_test_123");
  c.parent_company_id = reseller.id;
  c.reseller_markup_percent = 12.5;
  c.price_per_minute_cents = 15;
  c.included_minutes = 100;
  c.cancellation_policy = {48, 3, {{24, 1500}, {2, 3000}}};
  c.reschedule_policy = {12, std::nullopt, {}};
  c.closing_days = {{"2026-12-24", "2027-01-01", "Betriebsferien"},
                    {"2027-03-05", "2027-03-05", ""}};
  auto created = companies_->Create(c);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_GT(created->id.value, 0);
  EXPECT_EQ(created->created_at, clock_.Now());

  auto found = companies_->FindById(created->id);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->name, "Praxis Dr. Weber");
  EXPECT_EQ(found->slug, "praxis-weber");
  EXPECT_EQ(found->timezone, "Europe/Vienna");
  EXPECT_EQ(found->language, "en");
  EXPECT_FALSE(found->is_active);
  EXPECT_EQ(found->calcom_api_key.Reveal(), "cal_test_123");
  EXPECT_TRUE(found->retell_api_key.empty());
  EXPECT_EQ(found->parent_company_id, reseller.id);
  EXPECT_DOUBLE_EQ(found->reseller_markup_percent, 12.5);
  EXPECT_EQ(found->price_per_minute_cents, 15);
  EXPECT_EQ(found->included_minutes, 100);
  EXPECT_EQ(found->cancellation_policy, c.cancellation_policy);
  EXPECT_EQ(found->reschedule_policy, c.reschedule_policy);
  EXPECT_EQ(found->closing_days, c.closing_days);
  EXPECT_EQ(found->created_at, clock_.Now());

  auto by_slug = companies_->FindBySlug("praxis-weber");
  ASSERT_TRUE(by_slug.has_value());
  EXPECT_EQ(by_slug->id, created->id);
  EXPECT_EQ(companies_->List().value().size(), 2u);
}

TEST_P(TenancyRepositories, CompanyUpdateOverwritesAndStampsUpdatedAt) {
  Company c = NewCompany("acme");
  clock_.Advance(minutes(5));
  c.name = "ACME GmbH";
  c.retell_api_key = Secret("key_own");
  auto updated = companies_->Update(c.id, tenancy::SetTo(c));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->name, "ACME GmbH");
  EXPECT_EQ(updated->retell_api_key.Reveal(), "key_own");
  EXPECT_EQ(updated->updated_at, clock_.Now());
  EXPECT_EQ(updated->created_at, c.created_at);

  c.id = CompanyId(c.id.value + 1000);
  EXPECT_EQ(companies_->Update(c.id, tenancy::SetTo(c)).error().code, ErrorCode::kNotFound);
}

TEST_P(TenancyRepositories, AnUpdateChangesTheRowAsStoredNotACopyReadBefore) {
  Company c = NewCompany("acme");
  const Company read_before = c;  // what a cache or a request read first
  ASSERT_TRUE(companies_
                  ->Update(c.id,
                           [](Company& stored) {
                             stored.is_active = false;
                             stored.calcom_api_key = Secret("cal_rotated");
                             return Ok();
                           })
                  .has_value());
  auto renamed = companies_->Update(read_before.id, [](Company& stored) {
    EXPECT_FALSE(stored.is_active);
    stored.name = "ACME GmbH";
    return Ok();
  });
  ASSERT_TRUE(renamed.has_value()) << renamed.error().message;
  EXPECT_EQ(renamed->name, "ACME GmbH");
  EXPECT_FALSE(renamed->is_active);
  EXPECT_EQ(renamed->calcom_api_key.Reveal(), "cal_rotated");
  EXPECT_FALSE(companies_->FindById(c.id)->is_active);
}

TEST_P(TenancyRepositories, AChangeThatRefusesWritesNothing) {
  Company c = NewCompany("acme");
  Branch b = NewBranch(c.id, "Mitte");
  Service s = NewService(c.id, b.id, "Erstberatung");
  auto company = companies_->Update(c.id, [](Company& stored) -> Status {
    stored.name = "half-way";
    return Fail(ErrorCode::kInvalidArgument, "refused");
  });
  ASSERT_FALSE(company.has_value());
  EXPECT_EQ(company.error().message, "refused");
  EXPECT_EQ(companies_->FindById(c.id)->name, c.name);
  auto branch = branches_->Update(c.id, b.id, [](Branch& stored) -> Status {
    stored.name = "half-way";
    return Fail(ErrorCode::kInvalidArgument, "refused");
  });
  ASSERT_FALSE(branch.has_value());
  EXPECT_EQ(branches_->FindById(c.id, b.id)->name, "Mitte");
  auto service = services_->Update(c.id, s.id, [](Service& stored) -> Status {
    stored.name = "half-way";
    return Fail(ErrorCode::kInvalidArgument, "refused");
  });
  ASSERT_FALSE(service.has_value());
  EXPECT_EQ(services_->FindById(c.id, s.id)->name, "Erstberatung");
  // A change that breaks a rule is refused by the repository, after the change ran.
  auto invalid = services_->Update(c.id, s.id, [](Service& stored) {
    stored.duration_minutes = 0;
    return Ok();
  });
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
}

// Two writers changing one row at once: each change starts from the other's committed result,
// so none is lost (on PostgreSQL the row is read FOR NO KEY UPDATE; without it, read committed
// lets both read the same value).
TEST_P(TenancyRepositories, ConcurrentChangesOfOneRowAreAllKept) {
  Company c = NewCompany("acme");
  Branch b = NewBranch(c.id, "Mitte");
  Service s = NewService(c.id, b.id, "Erstberatung");
  constexpr int kWriters = 2;
  constexpr int kChangesEach = 20;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kChangesEach; ++i) {
        EXPECT_TRUE(companies_
                        ->Update(c.id,
                                 [](Company& stored) {
                                   ++stored.included_minutes;
                                   return Ok();
                                 })
                        .has_value());
        EXPECT_TRUE(branches_
                        ->Update(c.id, b.id,
                                 [](Branch& stored) {
                                   stored.address += "x";
                                   return Ok();
                                 })
                        .has_value());
        EXPECT_TRUE(services_
                        ->Update(c.id, s.id,
                                 [](Service& stored) {
                                   ++stored.price_cents;
                                   return Ok();
                                 })
                        .has_value());
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(companies_->FindById(c.id)->included_minutes,
            c.included_minutes + kWriters * kChangesEach);
  EXPECT_EQ(branches_->FindById(c.id, b.id)->address.size(),
            static_cast<std::size_t>(kWriters * kChangesEach));
  EXPECT_EQ(services_->FindById(c.id, s.id)->price_cents, s.price_cents + kWriters * kChangesEach);
}

// While a company's or a branch's change is being written (PostgreSQL), rows that refer to it are
// written as usual: the lock taken for the change does not hold up a new branch of the company or
// a new service of the branch (FOR UPDATE would: it conflicts with their foreign keys' checks).
// (PostgreSQL only: SQLite runs one write transaction at a time.)
class PostgresTenancyRepositories : public TenancyRepositories {};

TEST_P(PostgresTenancyRepositories, AChangeBeingWrittenDoesNotHoldUpRowsThatReferToIt) {
  Company c = NewCompany("acme");
  Branch b = NewBranch(c.id, "Mitte");
  // Runs `write` on another thread while the caller's change holds its row: true when it was
  // written, false when it waited for a lock instead (it finishes once the change has).
  // Outlives the writer, which may still be waiting when written_meanwhile has answered.
  std::atomic<bool> written{false};
  std::thread writer;
  auto written_meanwhile = [&](std::function<bool()> write) {
    written = false;
    writer = std::thread([&written, write = std::move(write)] { written = write(); });
    for (int i = 0; i < 2000; ++i) {  // at most ~20 s
      if (written) return true;
      if (testing::SessionsWaitingForALock(db()) > 0) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  bool branch_written = false;
  auto company = companies_->Update(c.id, [&](Company& stored) {
    branch_written = written_meanwhile([&] {
      Branch south;
      south.name = "Süd";
      return branches_->Create(c.id, south).has_value();
    });
    stored.name = "ACME GmbH";
    return Ok();
  });
  if (writer.joinable()) writer.join();
  ASSERT_TRUE(company.has_value()) << company.error().message;
  EXPECT_TRUE(branch_written);

  bool service_written = false;
  auto branch = branches_->Update(c.id, b.id, [&](Branch& stored) {
    service_written = written_meanwhile([&] {
      Service s;
      s.name = "Erstberatung";
      s.branch_id = b.id;
      return services_->Create(c.id, s).has_value();
    });
    stored.address = "Hauptstraße 1";
    return Ok();
  });
  if (writer.joinable()) writer.join();
  ASSERT_TRUE(branch.has_value()) << branch.error().message;
  EXPECT_TRUE(service_written);
}

TEST_P(TenancyRepositories, CompanyErrors) {
  NewCompany("taken");
  Company duplicate;
  duplicate.name = "Other";
  duplicate.slug = "taken";
  EXPECT_EQ(companies_->Create(duplicate).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(companies_->FindById(CompanyId(999999)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(companies_->FindBySlug("nope").error().code, ErrorCode::kNotFound);
  Company orphan;
  orphan.name = "Orphan";
  orphan.slug = "orphan";
  orphan.parent_company_id = CompanyId(999999);
  EXPECT_EQ(companies_->Create(orphan).error().code, ErrorCode::kNotFound);
  Company unnamed;
  EXPECT_EQ(companies_->Create(unnamed).error().code, ErrorCode::kInvalidArgument);
  Company nowhere;
  nowhere.name = "Nowhere";
  nowhere.slug = "nowhere";
  nowhere.timezone = "Mars/Olympus";
  EXPECT_EQ(companies_->Create(nowhere).error().code, ErrorCode::kInvalidArgument);
}

// ---- branches ---------------------------------------------------------------------------------

TEST_P(TenancyRepositories, BranchRoundTripsBusinessHours) {
  Company c = NewCompany("weber");
  Branch b;
  b.name = "Berlin Mitte";
  b.address = "Torstraße 1, 10119 Berlin";
  b.phone_e164 = "+493083793369";
  b.business_hours[1] = OpeningHours{9 * 60, 18 * 60};
  b.business_hours[3] = OpeningHours{9 * 60, 13 * 60};
  b.business_hours[5] = OpeningHours{0, 24 * 60};
  b.region = "BY";
  b.transfer_number = "+493083793300";
  b.closing_days = {{"2026-12-07", "2026-12-07", "Fortbildung"}};
  auto created = branches_->Create(c.id, b);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->company_id, c.id);

  auto found = branches_->FindById(c.id, created->id);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->name, "Berlin Mitte");
  EXPECT_EQ(found->address, "Torstraße 1, 10119 Berlin");
  EXPECT_EQ(found->phone_e164, "+493083793369");
  EXPECT_EQ(found->business_hours, b.business_hours);
  EXPECT_FALSE(found->business_hours[0].has_value());
  EXPECT_EQ(found->region, "BY");
  EXPECT_EQ(found->transfer_number, "+493083793300");
  EXPECT_EQ(found->closing_days, b.closing_days);
  EXPECT_EQ(branches_->FindByName(c.id, "Berlin Mitte").value().id, created->id);

  found->business_hours[1].reset();
  found->is_active = false;
  found->region = "";
  found->transfer_number.reset();
  found->closing_days.clear();
  auto updated = branches_->Update(c.id, found->id, tenancy::SetTo(*found));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_FALSE(updated->business_hours[1].has_value());
  EXPECT_EQ(updated->region, "");
  EXPECT_FALSE(updated->transfer_number.has_value());
  EXPECT_TRUE(updated->closing_days.empty());
  EXPECT_FALSE(updated->is_active);
}

TEST_P(TenancyRepositories, BranchNamesAreUniquePerCompany) {
  Company a = NewCompany("a");
  Company b = NewCompany("b");
  NewBranch(a.id, "Mitte");
  Branch again;
  again.name = "Mitte";
  EXPECT_EQ(branches_->Create(a.id, again).error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(branches_->Create(b.id, again).has_value());
  EXPECT_EQ(branches_->Create(CompanyId(999999), again).error().code, ErrorCode::kNotFound);
}

TEST_P(TenancyRepositories, BranchRejectsInvalidValues) {
  Company c = NewCompany("c");
  Branch b;
  b.name = "X";
  b.business_hours[2] = OpeningHours{18 * 60, 9 * 60};
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
  b.business_hours[2].reset();
  b.phone_e164 = "030 123";
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
  b.phone_e164.reset();
  b.timezone = "Europe/Atlantis";
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
  b.timezone = "Europe/Berlin";
  b.region = "Bayern";
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
  b.region = "";
  b.closing_days = {{"2027-01-01", "2026-12-24", ""}};  // to before from
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
  b.closing_days.clear();
  b.region = "";
  b.transfer_number = "030 123";
  EXPECT_EQ(branches_->Create(c.id, b).error().code, ErrorCode::kInvalidArgument);
}

// ---- services ---------------------------------------------------------------------------------

TEST_P(TenancyRepositories, ServiceRoundTripsAndListsPerBranch) {
  Company c = NewCompany("salon");
  Branch mitte = NewBranch(c.id, "Mitte");
  Branch west = NewBranch(c.id, "West");
  Service s;
  s.name = "Erstberatung";
  s.synonyms = {"Beratung", "Erstgespräch", "quote \" and \\ backslash"};
  s.duration_minutes = 45;
  s.price_cents = 6000;
  s.calcom_event_type_id = 1001;
  s.minimum_notice_minutes = 120;
  s.is_default = true;
  auto everywhere = services_->Create(c.id, s);
  ASSERT_TRUE(everywhere.has_value()) << everywhere.error().message;
  auto found = services_->FindById(c.id, everywhere->id);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->synonyms, s.synonyms);
  EXPECT_EQ(found->duration_minutes, 45);
  EXPECT_EQ(found->price_cents, 6000);
  EXPECT_EQ(found->calcom_event_type_id, 1001);
  EXPECT_EQ(found->minimum_notice_minutes, 120);
  EXPECT_TRUE(found->is_default);
  EXPECT_FALSE(found->branch_id.has_value());

  Service at_mitte = NewService(c.id, mitte.id, "Haarschnitt");
  Service at_west = NewService(c.id, west.id, "Färben");
  Service retired = NewService(c.id, mitte.id, "Alt");
  retired.is_active = false;
  ASSERT_TRUE(services_->Update(c.id, retired.id, tenancy::SetTo(retired)).has_value());

  auto offered = services_->ListForBranch(c.id, mitte.id);
  ASSERT_TRUE(offered.has_value()) << offered.error().message;
  ASSERT_EQ(offered->size(), 2u);
  EXPECT_EQ((*offered)[0].id, everywhere->id);
  EXPECT_EQ((*offered)[1].id, at_mitte.id);
  EXPECT_EQ(services_->ListForCompany(c.id).value().size(), 4u);
  (void)at_west;
}

// Every change to the tenant configuration raises its version (migration 0014's triggers), so
// other instances drop what they hold in memory; reads and customer writes do not.
TEST_P(TenancyRepositories, EveryConfigurationChangeRaisesTheVersion) {
  SqlConfigVersion versions(db());
  auto version = [&] {
    auto v = versions.Current();
    EXPECT_TRUE(v.has_value()) << v.error().message;
    return v.value_or(-1);
  };
  std::int64_t last = version();
  auto raised = [&](const char* what) {
    const std::int64_t now = version();
    EXPECT_GT(now, last) << what;
    last = now;
  };
  Company c = NewCompany("versioned");
  raised("company created");
  c.name = "Renamed";
  ASSERT_TRUE(companies_->Update(c.id, tenancy::SetTo(c)).has_value());
  raised("company updated");
  Branch b = NewBranch(c.id, "Mitte");
  raised("branch created");
  b.address = "Torstraße 1";
  ASSERT_TRUE(branches_->Update(c.id, b.id, tenancy::SetTo(b)).has_value());
  raised("branch updated");
  Service s = NewService(c.id, b.id, "Erstberatung");
  raised("service created");
  s.is_active = false;
  ASSERT_TRUE(services_->Update(c.id, s.id, tenancy::SetTo(s)).has_value());
  raised("service updated");
  PhoneNumber n;
  n.number_e164 = "+493083793369";
  ASSERT_TRUE(numbers_->Create(c.id, n).has_value());
  raised("number created");
  ASSERT_TRUE(db().Run([](Session& session) -> Status {
                    session.Execute(
                        "DELETE FROM phone_numbers WHERE number_e164 = '+493083793369'");
                    return Ok();
                  })
                  .has_value());
  raised("number deleted");

  ASSERT_TRUE(companies_->FindById(c.id).has_value());
  ASSERT_TRUE(services_->ListForBranch(c.id, b.id).has_value());
  CustomerDetails erika;
  erika.phone_e164 = "+4915112345678";
  ASSERT_TRUE(customers_->Upsert(c.id, erika).has_value());
  EXPECT_EQ(version(), last) << "reads and customers leave the version alone";
}

TEST_P(TenancyRepositories, ServiceRejectsNonPositiveDuration) {
  Company c = NewCompany("c");
  Service s;
  s.name = "Zero";
  s.duration_minutes = 0;
  EXPECT_EQ(services_->Create(c.id, s).error().code, ErrorCode::kInvalidArgument);
}

// ---- phone numbers ----------------------------------------------------------------------------

TEST_P(TenancyRepositories, PhoneNumberRoutesToCompanyAndBranch) {
  Company c = NewCompany("weber");
  Branch b = NewBranch(c.id, "Mitte");
  PhoneNumber n;
  n.branch_id = b.id;
  n.number_e164 = "+493083793369";
  n.retell_agent_id = "agent_abc";
  auto created = numbers_->Create(c.id, n);
  ASSERT_TRUE(created.has_value()) << created.error().message;

  auto routed = numbers_->FindByNumber("+493083793369");
  ASSERT_TRUE(routed.has_value()) << routed.error().message;
  EXPECT_EQ(routed->company_id, c.id);
  EXPECT_EQ(routed->branch_id, b.id);
  EXPECT_EQ(routed->retell_agent_id, "agent_abc");
  EXPECT_EQ(numbers_->FindByNumber("+4930000000").error().code, ErrorCode::kNotFound);

  auto by_agent = numbers_->FindByAgentId("agent_abc");
  ASSERT_TRUE(by_agent.has_value());
  ASSERT_EQ(by_agent->size(), 1u);
  EXPECT_EQ((*by_agent)[0].id, created->id);
  EXPECT_TRUE(numbers_->FindByAgentId("agent_other").value().empty());
  EXPECT_EQ(numbers_->ListForCompany(c.id).value().size(), 1u);
}

TEST_P(TenancyRepositories, PhoneNumberIsGloballyUnique) {
  Company a = NewCompany("a");
  Company b = NewCompany("b");
  PhoneNumber n;
  n.number_e164 = "+493083793369";
  ASSERT_TRUE(numbers_->Create(a.id, n).has_value());
  auto duplicate = numbers_->Create(b.id, n);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(numbers_->FindByNumber("+493083793369").value().company_id, a.id);
}

TEST_P(TenancyRepositories, PhoneNumberMustBeE164) {
  Company c = NewCompany("c");
  PhoneNumber n;
  n.number_e164 = "030 83793369";
  EXPECT_EQ(numbers_->Create(c.id, n).error().code, ErrorCode::kInvalidArgument);
}

// ---- customers --------------------------------------------------------------------------------

TEST_P(TenancyRepositories, CustomerPhoneIsUniquePerCompanyOnly) {
  Company a = NewCompany("a");
  Company b = NewCompany("b");
  Customer erika;
  erika.name = "Erika Mustermann";
  erika.phone_e164 = "+4915112345678";
  auto in_a = customers_->Create(a.id, erika);
  ASSERT_TRUE(in_a.has_value()) << in_a.error().message;
  EXPECT_EQ(customers_->Create(a.id, erika).error().code, ErrorCode::kAlreadyExists);
  auto in_b = customers_->Create(b.id, erika);
  ASSERT_TRUE(in_b.has_value()) << in_b.error().message;
  EXPECT_NE(in_a->id, in_b->id);
  EXPECT_EQ(customers_->FindByPhone(a.id, "+4915112345678").value().id, in_a->id);
  EXPECT_EQ(customers_->FindByPhone(b.id, "+4915112345678").value().id, in_b->id);
}

TEST_P(TenancyRepositories, CustomerUpsertCreatesThenUpdatesOnlyGivenFields) {
  Company c = NewCompany("c");
  CustomerDetails details;
  details.phone_e164 = "+4915112345678";
  details.name = "Erika";
  auto created = customers_->Upsert(c.id, details);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->name, "Erika");
  EXPECT_FALSE(created->email.has_value());

  clock_.Advance(minutes(1));
  CustomerDetails more;
  more.phone_e164 = "+4915112345678";
  more.email = "erika@example.com";
  auto updated = customers_->Upsert(c.id, more);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->id, created->id);
  EXPECT_EQ(updated->name, "Erika");  // kept
  EXPECT_EQ(updated->email, "erika@example.com");
  EXPECT_EQ(updated->updated_at, clock_.Now());
  EXPECT_EQ(customers_->ListForCompany(c.id).value().size(), 1u);
}

TEST_P(TenancyRepositories, CustomerTouchLastCall) {
  Company c = NewCompany("c");
  Customer k;
  k.phone_e164 = "+4915112345678";
  auto created = customers_->Create(c.id, k);
  ASSERT_TRUE(created.has_value());
  EXPECT_FALSE(created->last_call_at.has_value());
  const SystemTimePoint at = clock_.Now() + minutes(3);
  ASSERT_TRUE(customers_->TouchLastCall(c.id, created->id, at).has_value());
  EXPECT_EQ(customers_->FindById(c.id, created->id).value().last_call_at, at);
}

// ---- tenant scoping ---------------------------------------------------------------------------

TEST_P(TenancyRepositories, NoQueryOfOneCompanyReturnsAnotherCompanysRows) {
  Company a = NewCompany("a");
  Company b = NewCompany("b");
  Branch branch_b = NewBranch(b.id, "B-Mitte");
  Service service_b = NewService(b.id, branch_b.id, "B-Service");
  PhoneNumber number;
  number.number_e164 = "+493011111111";
  number.branch_id = branch_b.id;
  PhoneNumber number_b = numbers_->Create(b.id, number).value();
  Customer customer;
  customer.phone_e164 = "+4915100000000";
  Customer customer_b = customers_->Create(b.id, customer).value();
  NewBranch(a.id, "A-Mitte");

  EXPECT_EQ(branches_->FindById(a.id, branch_b.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(branches_->FindByName(a.id, "B-Mitte").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(services_->FindById(a.id, service_b.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(numbers_->FindById(a.id, number_b.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(customers_->FindById(a.id, customer_b.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(customers_->FindByPhone(a.id, "+4915100000000").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(services_->ListForBranch(a.id, branch_b.id).value().empty());
  EXPECT_TRUE(services_->ListForCompany(a.id).value().empty());
  EXPECT_TRUE(numbers_->ListForCompany(a.id).value().empty());
  EXPECT_TRUE(customers_->ListForCompany(a.id).value().empty());
  auto a_branches = branches_->ListForCompany(a.id).value();
  ASSERT_EQ(a_branches.size(), 1u);
  EXPECT_EQ(a_branches[0].name, "A-Mitte");

  // Writes through company A cannot reach B's rows either.
  Branch hijack = branch_b;
  hijack.name = "hijacked";
  EXPECT_EQ(branches_->Update(a.id, hijack.id, tenancy::SetTo(hijack)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(branches_->FindById(b.id, branch_b.id).value().name, "B-Mitte");
  EXPECT_EQ(services_->Update(a.id, service_b.id, tenancy::SetTo(service_b)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(customers_->TouchLastCall(a.id, customer_b.id, clock_.Now()).error().code,
            ErrorCode::kNotFound);
  // Upsert by A of B's customer's number makes A's own customer; B's stays untouched.
  CustomerDetails details;
  details.phone_e164 = "+4915100000000";
  details.name = "A's view";
  EXPECT_EQ(customers_->Upsert(a.id, details).value().company_id, a.id);
  EXPECT_EQ(customers_->FindById(b.id, customer_b.id).value().name, "");
}

TEST_P(TenancyRepositories, RowsCannotReferenceAnotherCompanysBranch) {
  Company a = NewCompany("a");
  Company b = NewCompany("b");
  Branch branch_b = NewBranch(b.id, "B-Mitte");
  Service s;
  s.name = "Sneaky";
  s.branch_id = branch_b.id;
  EXPECT_EQ(services_->Create(a.id, s).error().code, ErrorCode::kNotFound);
  PhoneNumber n;
  n.number_e164 = "+493022222222";
  n.branch_id = branch_b.id;
  EXPECT_EQ(numbers_->Create(a.id, n).error().code, ErrorCode::kNotFound);
}

// ---- transactions -----------------------------------------------------------------------------

TEST_P(TenancyRepositories, RepositoryWritesInAFailedTransactionLeaveNothing) {
  auto done = db().WithTransaction([&](Session&) -> Status {
    Company c;
    c.name = "Doomed";
    c.slug = "doomed";
    auto company = companies_->Create(c);
    if (!company) return tl::unexpected(company.error());
    Branch b;
    b.name = "Doomed branch";
    if (auto branch = branches_->Create(company->id, b); !branch) {
      return tl::unexpected(branch.error());
    }
    EXPECT_TRUE(companies_->FindBySlug("doomed").has_value());  // visible inside
    return Fail(ErrorCode::kConflict, "abort");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_TRUE(companies_->List().value().empty());
  EXPECT_EQ(companies_->FindBySlug("doomed").error().code, ErrorCode::kNotFound);
}

TEST_P(TenancyRepositories, RepositoryWritesInACommittedTransactionPersist) {
  auto done = db().WithTransaction([&](Session&) -> Result<CompanyId> {
    Company c = NewCompany("kept");
    auto branch = NewBranch(c.id, "Kept");
    if (branch.id.value == 0) return Fail(ErrorCode::kInternal, "branch not created");
    return c.id;
  });
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(branches_->ListForCompany(*done).value().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, TenancyRepositories, testing::AllBackends(),
                         testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, PostgresTenancyRepositories,
                         ::testing::Values(std::string("postgresql")), testing::BackendName);

}  // namespace
}  // namespace callgate::storage
