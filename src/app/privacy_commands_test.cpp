// The privacy purge as the daily job runs it, with the fake clock: what it deletes, its
// counters per kind, its audit entry, and the audit log's own retention.
#include "app/privacy_commands.hpp"

#include <gtest/gtest.h>

#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::app {
namespace {

using std::chrono::hours;

class PrivacyPurgeTest : public storage::testing::DatabaseTest {};

TEST_P(PrivacyPurgeTest, CountsWhatItDeletedPerKindAndAuditsItself) {
  storage::SqlCompanyRepository companies(db(), clock_);
  tenancy::Company c;
  c.name = "Praxis";
  c.slug = "praxis";
  c.retention_days = 7;
  auto company = companies.Create(c);
  ASSERT_TRUE(company.has_value()) << company.error().message;
  storage::SqlCallRepository calls(db(), clock_);
  calls::CallUpdate u;
  u.retell_call_id = "call-old";
  u.status = "ended";
  u.started_at = clock_.Now();
  u.transcript = "User: Hallo";
  u.final_transcript = true;
  ASSERT_TRUE(calls.Upsert(company->id, u).has_value());
  privacy::SqlAuditLog audit(db(), clock_);
  ASSERT_TRUE(
      audit.Append({0, company->id.value, "user:1", "customers.list", "", "", {}, {}}).has_value());

  observability::Metrics metrics;
  const PrivacyPurgeSettings settings{30};
  clock_.Advance(hours(24 * 8));  // the call is due, the audit entry is not
  auto first = PurgePersonalData(db(), audit, clock_, settings, &metrics);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->calls_cleared, 1);
  EXPECT_EQ(first->audit_events_deleted, 0);
  clock_.Advance(hours(24 * 31));  // now both audit entries are older than 30 days
  auto second = PurgePersonalData(db(), audit, clock_, settings, &metrics);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->calls_cleared, 0);
  EXPECT_EQ(second->audit_events_deleted, 2);  // customers.list and the first purge's entry

  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "call_content"}}), 1);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "customers"}}), 0);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "audit_events"}}), 2);
  auto entries = audit.List({});
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);  // the second purge's own entry
  EXPECT_EQ((*entries)[0].action, "privacy.purge");
  EXPECT_EQ((*entries)[0].actor, "system");
  EXPECT_EQ((*entries)[0].detail, "calls_cleared=0 customers_deleted=0 audit_events_deleted=2");
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyPurgeTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::app
