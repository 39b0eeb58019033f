#include "tools/migrate_data.hpp"

#include <gtest/gtest.h>

#include "storage/session.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate::tools {
namespace {

using storage::testing::TestDatabase;

class MigrateDataTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto source = TestDatabase::Create("sqlite");
    ASSERT_TRUE(source.has_value()) << source.error().message;
    source_ = std::move(*source);
    ASSERT_TRUE(source_->Migrate(clock_).has_value());
    const auto reason = storage::testing::BackendUnavailableReason(GetParam());
    if (!reason.empty()) {
      if (std::getenv("CI") != nullptr) FAIL() << reason;
      GTEST_SKIP() << reason;
    }
    auto target = TestDatabase::Create(GetParam());
    ASSERT_TRUE(target.has_value()) << target.error().message;
    target_ = std::move(*target);
    ASSERT_TRUE(target_->Migrate(clock_).has_value());

    auto demo = ParseTenantJson(DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(ImportTenants(*demo, source_->database(), clock_).has_value());
    storage::SqlCallRepository calls(source_->database(), clock_);
    storage::SqlWebhookEventRepository events(source_->database(), clock_);
    for (int i = 0; i < 7; ++i) {
      calls::CallUpdate u;
      u.retell_call_id = "call-" + std::to_string(i);
      u.status = "ended";
      u.transcript = "Agent: Grüß Gott\nUser: Jürgen hier";
      u.metadata_json = R"({"b": 2, "a": [1, 2]})";
      u.duration_ms = 1000 * i;
      ASSERT_TRUE(calls.Upsert(tenancy::CompanyId(1), u).has_value());
      calls::WebhookEventRecord e{tenancy::CompanyId(1),
                                  "retell",
                                  "call_ended",
                                  "retell:call_ended:call-" + std::to_string(i),
                                  "{}",
                                  "processed"};
      ASSERT_TRUE(events.Record(e).has_value());
    }
  }

  static bool AllMatch(const std::vector<TableReport>& reports) {
    for (const auto& r : reports) {
      if (!r.Matches()) return false;
    }
    return true;
  }

  callgate::testing::FakeClock clock_;
  std::unique_ptr<TestDatabase> source_;
  std::unique_ptr<TestDatabase> target_;
};

TEST_P(MigrateDataTest, CopiesEverythingAndVerifies) {
  std::vector<std::string> progress;
  MigrateDataOptions options;
  options.batch_size = 3;
  options.progress = [&](const std::string& line) { progress.push_back(line); };
  auto reports = MigrateData(source_->database(), target_->database(), options);
  ASSERT_TRUE(reports.has_value()) << reports.error().message;
  EXPECT_TRUE(AllMatch(*reports));
  for (const auto& r : *reports) {
    EXPECT_EQ(r.source_rows, r.target_rows) << r.table;
    if (r.table == "calls") {
      EXPECT_EQ(r.copied, 7);
    }
    if (r.table == "phone_numbers") {
      EXPECT_EQ(r.target_rows, 2);
    }
  }
  EXPECT_FALSE(progress.empty());
  // The copy keeps ids, and new rows in the target do not collide with them.
  storage::SqlCallRepository calls(target_->database(), clock_);
  calls::CallUpdate u;
  u.retell_call_id = "after-migration";
  auto fresh = calls.Upsert(tenancy::CompanyId(1), u);
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_GT(fresh->id.value, 7);
}

TEST_P(MigrateDataTest, ReRunningCopiesNothingAgain) {
  ASSERT_TRUE(MigrateData(source_->database(), target_->database(), {}).has_value());
  auto again = MigrateData(source_->database(), target_->database(), {});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(AllMatch(*again));
  for (const auto& r : *again) EXPECT_EQ(r.copied, 0) << r.table;
}

TEST_P(MigrateDataTest, ReportsACorruptedTarget) {
  ASSERT_TRUE(MigrateData(source_->database(), target_->database(), {}).has_value());
  ASSERT_TRUE(target_->database()
                  .Run([](storage::Session& s) -> Status {
                    s.Execute("UPDATE phone_numbers SET number_e164 = '+4940000000' WHERE id = 1");
                    s.Execute("UPDATE calls SET duration_ms = 42 WHERE retell_call_id = 'call-3'");
                    s.Execute("DELETE FROM webhook_events WHERE dedupe_key LIKE '%call-5'");
                    return Ok();
                  })
                  .has_value());
  MigrateDataOptions verify;
  verify.verify_only = true;
  auto reports = MigrateData(source_->database(), target_->database(), verify);
  ASSERT_TRUE(reports.has_value());
  std::map<std::string, std::vector<std::string>> bad;
  for (const auto& r : *reports) {
    if (!r.Matches()) bad[r.table] = r.differences;
  }
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_NE(bad["phone_numbers"].front().find("+4940000000"), std::string::npos);
  EXPECT_NE(bad["calls"].front().find("checksum"), std::string::npos);
  EXPECT_NE(bad["webhook_events"].front().find("row count"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Targets, MigrateDataTest, storage::testing::AllBackendsAndPgBouncer(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::tools
