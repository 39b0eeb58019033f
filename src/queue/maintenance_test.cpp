#include "queue/maintenance.hpp"

#include <gtest/gtest.h>

#include <string>

#include "queue/database_job_queue.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::queue {
namespace {

using storage::Params;
using storage::Session;

class WebhookEventCleanupTest : public storage::testing::DatabaseTest {
 protected:
  // A webhook event received `age` before now with `status`.
  void AddEvent(const std::string& key, std::chrono::hours age, const std::string& status) {
    const auto received = clock_.Now() - age;
    auto added = db().Run([&](Session& s) -> Status {
      s.Execute(
          "INSERT INTO webhook_events (source, event, dedupe_key, payload, received_at, status, "
          "created_at, updated_at) VALUES ('retell', 'call_ended', :key, '{}', :received, "
          ":status, :created, :updated)",
          Params().Add(key).Add(received).Add(status).Add(received).Add(received));
      return Ok();
    });
    ASSERT_TRUE(added.has_value()) << added.error().message;
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

TEST_P(WebhookEventCleanupTest, TheRegisteredLowPriorityJobKeepsThirtyDays) {
  AddEvent("day-31", std::chrono::hours(24 * 31), "processed");
  AddEvent("day-29", std::chrono::hours(24 * 29), "processed");
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
