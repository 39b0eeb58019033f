#include "queue/maintenance.hpp"

#include <gtest/gtest.h>

#include <string>

#include "queue/database_job_queue.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::queue {
namespace {

using storage::Params;
using storage::Session;

class WebhookEventCleanupTest : public storage::testing::DatabaseTest {
 protected:
  // A webhook event received `age` before now with `status` (of `company`, if given).
  void AddEvent(const std::string& key, std::chrono::hours age, const std::string& status,
                std::optional<std::int64_t> company = std::nullopt) {
    const auto received = clock_.Now() - age;
    auto added = db().Run([&](Session& s) -> Status {
      s.Execute(
          "INSERT INTO webhook_events (company_id, source, event, dedupe_key, payload, "
          "received_at, status, created_at, updated_at) VALUES (:c, 'retell', 'call_ended', "
          ":key, '{}', :received, :status, :created, :updated)",
          Params().Add(company).Add(key).Add(received).Add(status).Add(received).Add(received));
      return Ok();
    });
    ASSERT_TRUE(added.has_value()) << added.error().message;
  }

  // A company keeping call content for `retention_days`; returns its id.
  std::int64_t AddCompany(const std::string& slug, int retention_days) {
    storage::SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = slug;
    c.slug = slug;
    c.retention_days = retention_days;
    auto created = companies.Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id.value : 0;
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    auto listed = db().Run([&](Session& s) -> Status {
      s.Query("dedupe_key", "FROM webhook_events ORDER BY dedupe_key", {},
              [&](const storage::Row& row) { keys.push_back(row.String("dedupe_key")); });
      return Ok();
    });
    EXPECT_TRUE(listed.has_value());
    return keys;
  }
};

TEST_P(WebhookEventCleanupTest, DeletesOnlyOldFinishedEventsInBatches) {
  const std::chrono::hours old(24 * 31);
  const std::chrono::hours fresh(24 * 29);
  for (int i = 0; i < 7; ++i) AddEvent("old-processed-" + std::to_string(i), old, "processed");
  AddEvent("old-ignored", old, "ignored");
  AddEvent("old-failed", old, "failed");
  AddEvent("old-received", old, "received");
  AddEvent("fresh-processed", fresh, "processed");

  // 8 rows to delete in batches of 3: 3 + 3 + 2.
  auto deleted = DeleteFinishedWebhookEvents(db(), clock_.Now() - std::chrono::hours(24 * 30), 3);
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(*deleted, 8);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"fresh-processed", "old-failed", "old-received"}));

  // An exact multiple of the batch ends too, and a second run finds nothing.
  AddEvent("old-a", old, "processed");
  AddEvent("old-b", old, "ignored");
  deleted = DeleteFinishedWebhookEvents(db(), clock_.Now() - std::chrono::hours(24 * 30), 2);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 2);
  deleted = DeleteFinishedWebhookEvents(db(), clock_.Now() - std::chrono::hours(24 * 30));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 0);
  EXPECT_EQ(Keys().size(), 3u);
}

// A company that keeps call content for fewer days has the raw bodies (transcripts and all)
// deleted as soon: only its own, only finished ones; other companies and events of no company
// keep the general retention.
TEST_P(WebhookEventCleanupTest, ACompanysShorterRetentionDeletesItsEventsSooner) {
  const std::int64_t brief = AddCompany("brief", 2);
  const std::int64_t usual = AddCompany("usual", 30);
  const std::chrono::hours day(24);
  AddEvent("brief-3-days", 3 * day, "processed", brief);
  AddEvent("brief-3-days-ignored", 3 * day, "ignored", brief);
  AddEvent("brief-3-days-failed", 3 * day, "failed", brief);
  AddEvent("brief-1-day", day, "processed", brief);
  AddEvent("usual-3-days", 3 * day, "processed", usual);
  AddEvent("nobody-3-days", 3 * day, "processed");
  auto deleted = DeleteWebhookEventsPastCompanyRetention(db(), clock_.Now(), 1);
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"brief-1-day", "brief-3-days-failed", "nobody-3-days",
                                              "usual-3-days"}));
  deleted = DeleteWebhookEventsPastCompanyRetention(db(), clock_.Now());
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 0);
}

TEST_P(WebhookEventCleanupTest, TheRegisteredLowPriorityJobKeepsThirtyDays) {
  AddEvent("day-31", std::chrono::hours(24 * 31), "processed");
  AddEvent("day-29", std::chrono::hours(24 * 29), "processed");
  // And a company's fewer days.
  AddEvent("brief-day-3", std::chrono::hours(24 * 3), "processed", AddCompany("brief", 2));
  JobRegistry registry;
  DatabaseSchedulerLock lock(db(), clock_, "test");
  DatabaseJobQueue queue(db(), clock_);
  Scheduler scheduler(lock, queue, clock_);
  ASSERT_TRUE(RegisterMaintenanceJobs(registry, scheduler, db(), clock_).has_value());
  const auto* entry = registry.Find(kCleanupWebhookEventsJob);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(registry.MakeJob(kCleanupWebhookEventsJob, "{}").queue, "low");
  Job job;
  job.type = std::string(kCleanupWebhookEventsJob);
  job.payload_json = "{}";
  ASSERT_TRUE(entry->handler(job).has_value());
  EXPECT_EQ(Keys(), std::vector<std::string>{"day-29"});
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookEventCleanupTest,
                         storage::testing::AllBackendsAndPgBouncer(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::queue
