// `callgate backup` under webhook load and `callgate restore` (SQLite): every webhook acknowledged
// before the backup started is in the restored database; restore refuses a corrupt backup and
// one from a newer schema without touching the database; PostgreSQL is pointed at pg_dump.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "app/application.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "http/testing/test_client.hpp"
#include "retell/signature.hpp"
#include "storage/migrator.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const Secret kRetellKey("backup-test-retell-key");

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCallgate(const std::string& database_url, const std::string& args) {
  const std::string cmd =
      "cd / && env -i PATH=/usr/bin:/bin CALLGATE_LOG_FORMAT=text "
      "CALLGATE_DATABASE_URL='" +
      database_url + "' '" + std::string(CALLGATE_BINARY) + "' " + args + " 2>&1";
  CommandResult result;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) result.output.append(buf.data(), n);
    const int status = ::pclose(p);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return result;
}

std::string CallStarted(const std::string& call_id) {
  return json{{"event", "call_started"},
              {"call",
               {{"call_type", "phone_call"},
                {"from_number", "+4915112345678"},
                {"to_number", "+493083793369"},
                {"direction", "inbound"},
                {"call_id", call_id},
                {"agent_id", "agent_1"},
                {"call_status", "ongoing"},
                {"start_timestamp", 1714608475945}}}}
      .dump();
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = storage::testing::TestDatabase::Create("sqlite");
    ASSERT_TRUE(database.has_value()) << database.error().message;
    database_ = std::move(*database);
    ASSERT_TRUE(database_->Migrate(clock_).has_value());
    auto demo = tools::ParseTenantJson(tools::DemoTenantJson());
    ASSERT_TRUE(demo.has_value());
    ASSERT_TRUE(tools::ImportTenants(*demo, database_->database(), clock_).has_value());
    dir_ = fs::temp_directory_path() / ("cg-backup-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    StopServer();
    fs::remove_all(dir_);
  }

  void StartServer() {
    fake_ = std::make_unique<calcom::fake::FakeCalcom>();
    ASSERT_TRUE(fake_->Start().has_value());
    app::Config config;
    config.listen_port = 0;
    config.workers = 0;
    config.calcom_base_url = fake_->base_url();
    config.database_url = database_->UrlText();
    config.retell_api_key = kRetellKey;
    auto application = app::Application::Create(config, clock_);
    ASSERT_TRUE(application.has_value()) << application.error().message;
    app_ = std::move(*application);
    ASSERT_TRUE(app_->Start().has_value());
  }
  void StopServer() {
    if (app_) app_->Stop();
    app_.reset();
    if (fake_) fake_->Stop();
    fake_.reset();
  }

  // Posts call_started webhooks with ids call-0, call-1, … until `stop`; records the
  // acknowledged (200) ones in order.
  void Load(std::atomic<bool>& stop) {
    http::testing::TestClient client(app_->port());
    for (int i = 0; !stop.load(); ++i) {
      const std::string id = "call-" + std::to_string(i);
      const std::string body = CallStarted(id);
      http::Headers headers;
      headers.Add("Content-Type", "application/json");
      headers.Add("X-Retell-Signature",
                  retell::SignRetellPayload(body, kRetellKey, ToUnixMillis(clock_.Now())));
      auto r = client.Post("/webhooks/retell", body, headers);
      if (r && r->status == 200) {
        std::lock_guard lock(mutex_);
        acknowledged_.push_back(id);
        changed_.notify_all();
      }
    }
  }
  // False when the server stopped acknowledging (bounded, so a broken server fails the test
  // instead of hanging it).
  bool WaitForAcknowledged(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(2),
                             [&] { return acknowledged_.size() >= n; });
  }
  std::vector<std::string> Acknowledged() {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

  std::set<std::string> CallIds() {
    std::set<std::string> ids;
    auto db = storage::Database::Open(database_->url());
    EXPECT_TRUE(db.has_value());
    if (!db) return ids;
    auto ok = (*db)->Run([&](storage::Session& s) -> Status {
      s.Query("retell_call_id", "FROM calls", {},
              [&](const storage::Row& r) { ids.insert(r.String("retell_call_id")); });
      return Ok();
    });
    EXPECT_TRUE(ok.has_value());
    return ids;
  }

  SystemClock clock_;
  std::unique_ptr<storage::testing::TestDatabase> database_;
  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
  std::unique_ptr<app::Application> app_;
  fs::path dir_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> acknowledged_;
};

TEST_F(BackupTest, BackupUnderWebhookLoadRestoresEverythingAcknowledgedBeforeIt) {
  StartServer();
  std::atomic<bool> stop{false};
  std::thread load([&] { Load(stop); });
  const bool loaded = WaitForAcknowledged(40);
  const auto before_backup = Acknowledged();
  const std::string file = (dir_ / "callgate.backup").string();
  auto backup = RunCallgate(database_->UrlText(), "backup " + file);
  const std::size_t at_backup_end = Acknowledged().size();
  // Writes go on after the backup; the restore must bring back the earlier state only.
  const bool kept_going = WaitForAcknowledged(at_backup_end + 20);
  stop = true;
  load.join();
  StopServer();
  ASSERT_TRUE(loaded && kept_going) << "the server stopped acknowledging webhooks";
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  EXPECT_NE(backup.output.find("integrity ok"), std::string::npos) << backup.output;
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::group_all, fs::perms::none);
  EXPECT_FALSE(fs::exists(file + ".partial"));

  const auto all_acknowledged = Acknowledged();
  ASSERT_EQ(CallIds().size(), all_acknowledged.size());
  auto restore = RunCallgate(database_->UrlText(), "restore " + file);
  ASSERT_EQ(restore.exit_code, 0) << restore.output;

  const auto restored = CallIds();
  for (const auto& id : before_backup) {
    EXPECT_TRUE(restored.contains(id)) << id << " was acknowledged before the backup";
  }
  // The copy is one snapshot: the calls it holds are a prefix of the acknowledged ones (plus at
  // most the one webhook in flight when the backup ended: committed, not yet acknowledged).
  EXPECT_LE(restored.size(), at_backup_end + 1);
  EXPECT_LT(restored.size(), all_acknowledged.size());
  for (std::size_t i = 0; i < restored.size(); ++i) {
    EXPECT_TRUE(restored.contains(all_acknowledged[i])) << all_acknowledged[i];
  }
  const std::string pre_restore = database_->url().path + ".pre-restore";
  ASSERT_TRUE(fs::exists(pre_restore));
  // The server works on the restored database.
  StartServer();
  http::testing::TestClient client(app_->port());
  auto health = client.Get("/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

TEST_F(BackupTest, RestoreRefusesCorruptAndNewerBackupsAndChangesNothing) {
  const auto url = database_->UrlText();
  const std::string good = (dir_ / "good.backup").string();
  ASSERT_EQ(RunCallgate(url, "backup " + good).exit_code, 0);

  const std::string garbage = (dir_ / "garbage.backup").string();
  std::ofstream(garbage) << "this is not an SQLite database, only text pretending to be one\n";
  auto corrupt = RunCallgate(url, "restore " + garbage);
  EXPECT_EQ(corrupt.exit_code, 1) << corrupt.output;
  EXPECT_NE(corrupt.output.find("nothing was changed"), std::string::npos) << corrupt.output;

  // A backup made by a newer build: one migration this build does not have.
  const std::string newer = (dir_ / "newer.backup").string();
  fs::copy_file(good, newer);
  {
    auto db = storage::Database::Open(*storage::ParseDatabaseUrl("sqlite://" + newer));
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)
                    ->Run([](storage::Session& s) -> Status {
                      s.Execute(
                          "INSERT INTO schema_migrations (version, name, applied_at) "
                          "VALUES (9999, 'from_the_future', 0)");
                      return Ok();
                    })
                    .has_value());
  }
  auto future = RunCallgate(url, "restore " + newer);
  EXPECT_EQ(future.exit_code, 1) << future.output;
  EXPECT_NE(future.output.find("unknown to this build"), std::string::npos) << future.output;
  EXPECT_FALSE(fs::exists(database_->url().path + ".pre-restore"));

  auto missing = RunCallgate(url, "restore " + (dir_ / "none.backup").string());
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
}

TEST_F(BackupTest, MigrateDataRefusesASourceWithMigrationsPendingUntilItIsMigrated) {
  // A source an older build left (here: every migration but the newest applied) would bring
  // rows in as that build stored them: migrate-data asks for `callgate migrate` on it first.
  auto older = storage::testing::TestDatabase::Create("sqlite");
  ASSERT_TRUE(older.has_value()) << older.error().message;
  auto migrations = storage::EmbeddedMigrations(storage::Dialect::kSqlite);
  ASSERT_TRUE(migrations.has_value()) << migrations.error().message;
  ASSERT_GT(migrations->size(), 1u);
  migrations->erase(std::max_element(migrations->begin(), migrations->end(),
                                     [](const storage::Migration& a, const storage::Migration& b) {
                                       return a.version < b.version;
                                     }));
  ASSERT_TRUE(storage::Migrator((*older)->database(), *migrations, clock_).Migrate().has_value());
  const auto url = (*older)->UrlText();
  const std::string target = "sqlite://" + (dir_ / "copy.db").string();
  const std::string copy = "migrate-data --from '" + url + "' --to '" + target + "'";
  auto refused = RunCallgate(url, copy);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("callgate migrate"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(dir_ / "copy.db"));  // the target was not even opened

  ASSERT_EQ(RunCallgate(url, "migrate").exit_code, 0);
  auto copied = RunCallgate(url, copy);
  EXPECT_EQ(copied.exit_code, 0) << copied.output;
  EXPECT_TRUE(fs::exists(dir_ / "copy.db"));
}

TEST_F(BackupTest, PostgresqlIsPointedAtPgDump) {
  auto backup = RunCallgate("postgresql://callgate@127.0.0.1:5432/callgate",
                            "backup " + (dir_ / "x").string());
  EXPECT_EQ(backup.exit_code, 2) << backup.output;
  EXPECT_NE(backup.output.find("pg_dump"), std::string::npos) << backup.output;
}

}  // namespace
}  // namespace callgate
