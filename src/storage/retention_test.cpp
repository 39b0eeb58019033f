// Retention with the fake clock: call content goes after retention_days (billing data stays),
// stale customers go after customer_retention_days, on both backends.
#include "storage/retention.hpp"

#include <gtest/gtest.h>

#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using std::chrono::hours;
using tenancy::CompanyId;
constexpr auto kDay = hours(24);

class RetentionTest : public testing::DatabaseTest {
 protected:
  CompanyId NewCompany(const std::string& slug, int retention_days, int customer_days) {
    SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = slug;
    c.slug = slug;
    c.retention_days = retention_days;
    c.customer_retention_days = customer_days;
    auto created = companies.Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    EXPECT_EQ(created->retention_days, retention_days);
    return created ? created->id : CompanyId(0);
  }

  calls::Call NewCall(CompanyId company, const std::string& id,
                      std::optional<tenancy::CustomerId> customer = std::nullopt) {
    SqlCallRepository calls(db(), clock_);
    calls::CallUpdate u;
    u.retell_call_id = id;
    u.customer_id = customer;
    u.status = "ended";
    u.started_at = clock_.Now();
    u.ended_at = clock_.Now() + std::chrono::minutes(3);
    u.duration_ms = 180000;
    u.transcript = "User: Mein Knie tut weh.";
    u.final_transcript = true;
    u.transcript_object_json = "[]";
    u.summary = "Knieschmerzen";
    u.analysis_json = "{}";
    u.recording_url = "https://example.org/rec.wav";
    u.retell_cost_cents = 42;
    auto call = calls.Upsert(company, u);
    EXPECT_TRUE(call.has_value()) << call.error().message;
    return call.value_or(calls::Call{});
  }

  tenancy::Customer NewCustomer(CompanyId company, const std::string& phone) {
    SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer c;
    c.phone_e164 = phone;
    c.name = "Kunde " + phone;
    auto created = customers.Create(company, c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(tenancy::Customer{});
  }

  PurgeReport Purge(int batch = 500) {
    auto report = PurgeExpired(db(), clock_.Now(), batch);
    EXPECT_TRUE(report.has_value()) << report.error().message;
    return report.value_or(PurgeReport{});
  }
};

TEST_P(RetentionTest, CallContentGoesAfterRetentionDaysAndBillingDataStays) {
  const CompanyId short_lived = NewCompany("kurz", 7, 365);
  const CompanyId default_company = NewCompany("standard", 30, 365);
  const auto a = NewCall(short_lived, "call-a");
  const auto b = NewCall(default_company, "call-b");

  clock_.Advance(6 * kDay);
  EXPECT_EQ(Purge().calls_cleared, 0);
  clock_.Advance(2 * kDay);  // 8 days: due for the 7-day company only
  EXPECT_EQ(Purge(1).calls_cleared, 1);
  SqlCallRepository calls(db(), clock_);
  auto cleared = calls.FindById(short_lived, a.id);
  ASSERT_TRUE(cleared.has_value());
  EXPECT_FALSE(cleared->transcript.has_value());
  EXPECT_FALSE(cleared->transcript_object_json.has_value());
  EXPECT_FALSE(cleared->summary.has_value());
  EXPECT_FALSE(cleared->analysis_json.has_value());
  EXPECT_FALSE(cleared->recording_url.has_value());
  EXPECT_EQ(cleared->duration_ms, 180000);
  EXPECT_EQ(cleared->retell_cost_cents, 42);
  EXPECT_TRUE(cleared->started_at.has_value());
  auto kept = calls.FindById(default_company, b.id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->transcript.has_value());

  clock_.Advance(30 * kDay);
  EXPECT_EQ(Purge().calls_cleared, 1);
  EXPECT_EQ(Purge().calls_cleared, 0);  // idempotent
}

TEST_P(RetentionTest, StaleCustomersAreDeletedAndUnlinkedOthersStay) {
  const CompanyId company = NewCompany("praxis", 30, 100);
  const auto stale = NewCustomer(company, "+4915111111111");
  const auto recent_caller = NewCustomer(company, "+4915122222222");
  const auto with_appointment = NewCustomer(company, "+4915133333333");
  const auto call = NewCall(company, "call-stale", stale.id);
  SqlAppointmentRepository appointments(db(), clock_);
  booking::Appointment future;
  future.customer_id = with_appointment.id;
  future.starts_at = clock_.Now() + 200 * kDay;
  future.ends_at = future.starts_at + hours(1);
  future.status = "booked";
  ASSERT_TRUE(appointments.Create(company, future).has_value());

  clock_.Advance(90 * kDay);
  SqlCustomerRepository customers(db(), clock_);
  ASSERT_TRUE(customers.TouchLastCall(company, recent_caller.id, clock_.Now()).has_value());
  EXPECT_EQ(Purge().customers_deleted, 0);
  clock_.Advance(20 * kDay);  // 110 days after creation, 20 after the recent call
  EXPECT_EQ(Purge().customers_deleted, 1);
  EXPECT_FALSE(customers.FindById(company, stale.id).has_value());
  EXPECT_TRUE(customers.FindById(company, recent_caller.id).has_value());
  EXPECT_TRUE(customers.FindById(company, with_appointment.id).has_value());
  SqlCallRepository calls(db(), clock_);
  auto unlinked = calls.FindById(company, call.id);
  ASSERT_TRUE(unlinked.has_value());
  EXPECT_FALSE(unlinked->customer_id.has_value());
}

TEST_P(RetentionTest, RetentionDaysAreValidated) {
  SqlCompanyRepository companies(db(), clock_);
  tenancy::Company c;
  c.name = "x";
  c.slug = "x";
  c.retention_days = 0;
  EXPECT_FALSE(companies.Create(c).has_value());
  c.retention_days = 30;
  auto created = companies.Create(c);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->customer_retention_days, 365);
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, testing::AllBackends(), testing::BackendName);

}  // namespace
}  // namespace callgate::storage
