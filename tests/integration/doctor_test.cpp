// callgate doctor against the Cal.com stand-in: a good tenant passes, a tenant with a rejected
// key or a missing event type fails with a fix, and so do a bad environment, pending
// migrations, an unreachable Redis and a missing master key in production. The real binary's
// exit status and --json output too.

#include "app/doctor.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "calcom/fake/fake_calcom.hpp"
#include "crypto/keyring.hpp"
#include "redis/client.hpp"
#include "redis/testing/test_redis.hpp"
#include "storage/database.hpp"
#include "storage/sealed_columns.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace callgate {
namespace {

// The master key of the production-mode cases (base64 of 32 bytes, not the development key).
constexpr const char* kProductionKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

namespace fs = std::filesystem;
using Status = app::DoctorCheck::Status;

// "good" books event types the stand-in has (1001, 1002); "broken" (1003: an event type belongs
// to one company) has a key Cal.com rejects (the stand-in accepts only keys starting with
// cal_); "stale" names event type 4242, which the
// account does not have, and has two branches with a number mapped to neither.
constexpr const char* kGood = R"({"companies":[
  {"name":"Praxis Gut","slug":"good","calcom_api_key":"cal_good_key",
   "branches":[{"name":"Mitte","phone_numbers":["+49 30 1111111"]}],
   "services":[{"name":"Erstberatung","duration_minutes":30,"calcom_event_type_id":1001},
               {"name":"Kurz","duration_minutes":15,"calcom_event_type_id":1002}]}]})";
constexpr const char* kBroken = R"({"companies":[
  {"name":"Praxis Kaputt","slug":"broken","calcom_api_key":"revoked_key",
   "branches":[{"name":"Nord","phone_numbers":["+49 30 2222222"]}],
   "services":[{"name":"Beratung","duration_minutes":60,"calcom_event_type_id":1003}]}]})";
constexpr const char* kStale = R"({"companies":[
  {"name":"Salon Alt","slug":"stale","calcom_api_key":"cal_stale_key",
   "branches":[{"name":"Ost"},{"name":"West"}],
   "services":[{"name":"Haarschnitt","duration_minutes":30,"calcom_event_type_id":4242}]}]})";

class DoctorTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    calcom::fake::FakeCalcomOptions options;
    auto series = options.event_types.front();  // 1007: six weekly occurrences
    series.id = 1007;
    series.slug = "kurs";
    series.recurrence_count = 6;
    options.event_types.push_back(series);
    fake_ = std::make_unique<calcom::fake::FakeCalcom>(options);
    ASSERT_TRUE(fake_->Start().has_value());
    clock_.SetNow(SystemClock().Now());  // the clock check compares with PostgreSQL's
  }
  void TearDown() override {
    if (fake_) fake_->Stop();
    DatabaseTest::TearDown();
  }

  // Seeds as a production deployment would: sealed under that deployment's master key.
  void ImportSealedWith(const char* tenants_json, const std::string& key_base64) {
    auto keyring = crypto::KeyringFromText(key_base64);
    ASSERT_TRUE(keyring.has_value()) << keyring.error().message;
    storage::DatabaseOptions options;
    options.pool_size = 1;
    options.keyring = *keyring;
    auto database = storage::Database::Open(test_database().url(), options);
    ASSERT_TRUE(database.has_value()) << database.error().message;
    auto tenants = tools::ParseTenantJson(tenants_json);
    ASSERT_TRUE(tenants.has_value()) << tenants.error().message;
    ASSERT_TRUE(tools::ImportTenants(*tenants, **database, clock_).has_value());
  }

  void Import(const char* tenants_json) {
    auto tenants = tools::ParseTenantJson(tenants_json);
    ASSERT_TRUE(tenants.has_value()) << tenants.error().message;
    ASSERT_TRUE(tools::ImportTenants(*tenants, db(), clock_).has_value());
  }

  app::Environment Env() {
    return {{"CALLGATE_DATABASE_URL", test_database().UrlText()},
            {"CALCOM_BASE_URL", fake_->base_url()},
            {"RETELL_API_KEY", "key_platform"}};
  }

  const app::DoctorCheck& Find(const std::vector<app::DoctorCheck>& checks,
                               const std::string& name) {
    for (const auto& c : checks) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no check " << name << " in:\n" << app::DoctorText(checks);
    static const app::DoctorCheck kNone;
    return kNone;
  }

  std::unique_ptr<calcom::fake::FakeCalcom> fake_;
};

TEST_P(DoctorTest, GoodTenantPassesEveryCheck) {
  Import(kGood);
  const auto checks = app::RunDoctor(Env(), clock_);
  EXPECT_TRUE(app::DoctorPassed(checks)) << app::DoctorText(checks);
  for (const char* name : {"environment", "database", "migrations", "clock", "redis", "master_key",
                           "proxy", "sealed_columns", "retell_key[good]", "calcom_key[good]",
                           "event_types[good]", "phone_numbers[good]"}) {
    EXPECT_EQ(Find(checks, name).status, Status::kOk) << name << ": " << Find(checks, name).detail;
  }
  EXPECT_NE(Find(checks, "event_types[good]").detail.find("2 active services"), std::string::npos);
}

TEST_P(DoctorTest, RejectedCalcomKeyFailsWithTheFixAndOnlyForThatTenant) {
  Import(kGood);
  Import(kBroken);
  const auto checks = app::RunDoctor(Env(), clock_);
  EXPECT_FALSE(app::DoctorPassed(checks));
  const auto& key = Find(checks, "calcom_key[broken]");
  EXPECT_EQ(key.status, Status::kFail);
  EXPECT_NE(key.detail.find("rejects the company key"), std::string::npos) << key.detail;
  EXPECT_NE(key.fix.find("calcom_api_key"), std::string::npos) << key.fix;
  EXPECT_EQ(key.detail.find("revoked_key"), std::string::npos) << "the key leaked: " << key.detail;
  EXPECT_EQ(Find(checks, "event_types[broken]").status, Status::kFail);
  EXPECT_EQ(Find(checks, "calcom_key[good]").status, Status::kOk);
  EXPECT_EQ(Find(checks, "event_types[good]").status, Status::kOk);
}

TEST_P(DoctorTest, MissingEventTypeAndUnmappedNumberFail) {
  Import(kStale);
  // A number of the company with no branch, which cannot decide between Ost and West.
  ASSERT_TRUE(db().Run([](storage::Session& s) -> callgate::Status {
                    s.Execute(
                        "INSERT INTO phone_numbers (company_id, number_e164, created_at, "
                        "updated_at) SELECT id, '+493033333333', created_at, updated_at FROM "
                        "companies WHERE slug = 'stale'");
                    return Ok();
                  })
                  .has_value());
  const auto checks = app::RunDoctor(Env(), clock_);
  EXPECT_FALSE(app::DoctorPassed(checks));
  EXPECT_EQ(Find(checks, "calcom_key[stale]").status, Status::kOk);
  const auto& types = Find(checks, "event_types[stale]");
  EXPECT_EQ(types.status, Status::kFail);
  EXPECT_NE(types.detail.find("'Haarschnitt' names event type 4242"), std::string::npos)
      << types.detail;
  const auto& numbers = Find(checks, "phone_numbers[stale]");
  EXPECT_EQ(numbers.status, Status::kFail);
  EXPECT_NE(numbers.detail.find("+493033333333"), std::string::npos) << numbers.detail;
}

TEST_P(DoctorTest, ARecurringEventTypeFailsWithTheFix) {
  Import(R"({"companies":[
    {"name":"Physio Serie","slug":"series","calcom_api_key":"cal_series_key",
     "branches":[{"name":"Kiel","phone_numbers":["+49 431 4444444"]}],
     "services":[{"name":"Einzeltermin","duration_minutes":30,"calcom_event_type_id":1001},
                 {"name":"Kurs","duration_minutes":30,"calcom_event_type_id":1007}]}]})");
  const auto checks = app::RunDoctor(Env(), clock_);
  EXPECT_FALSE(app::DoctorPassed(checks));
  const auto& types = Find(checks, "event_types[series]");
  EXPECT_EQ(types.status, Status::kFail);
  EXPECT_NE(types.detail.find("'Kurs' names event type 1007, which is recurring"),
            std::string::npos)
      << types.detail;
  EXPECT_EQ(types.detail.find("Einzeltermin"), std::string::npos) << types.detail;
  EXPECT_NE(types.fix.find("non-recurring"), std::string::npos) << types.fix;
}

TEST_P(DoctorTest, ClockSkewAgainstPostgresqlFails) {
  clock_.SetNow(SystemClock().Now() - std::chrono::minutes(3));
  const auto checks = app::RunDoctor(Env(), clock_);
  const auto& check = Find(checks, "clock");
  if (GetParam() == "sqlite") {
    EXPECT_EQ(check.status, Status::kOk) << "the embedded database shares the host's clock";
  } else {
    EXPECT_EQ(check.status, Status::kFail) << check.detail;
    EXPECT_NE(check.fix.find("timedatectl"), std::string::npos);
  }
}

TEST_P(DoctorTest, MissingRetellKeyAndProxySettingsAreReported) {
  ImportSealedWith(kGood, kProductionKey);
  auto env = Env();
  env["CALLGATE_MASTER_KEY"] = kProductionKey;
  // Only APP_ENV=local runs without RETELL_API_KEY; a company without its own key then has none.
  env.erase("RETELL_API_KEY");
  EXPECT_EQ(Find(app::RunDoctor(env, clock_), "retell_key[good]").status, Status::kFail);

  env["RETELL_API_KEY"] = "key_platform";
  env["APP_ENV"] = "production";
  env["CALCOM_WEBHOOK_SECRET"] = "whsec";
  auto checks = app::RunDoctor(env, clock_);
  EXPECT_EQ(Find(checks, "retell_key[good]").status, Status::kOk);
  const auto& proxy = Find(checks, "proxy");
  EXPECT_EQ(proxy.status, Status::kWarning) << proxy.detail;
  EXPECT_NE(proxy.fix.find("TRUSTED_PROXIES"), std::string::npos);

  env["TRUSTED_PROXIES"] = "127.0.0.1/32";
  checks = app::RunDoctor(env, clock_);
  EXPECT_EQ(Find(checks, "proxy").status, Status::kOk);
  EXPECT_TRUE(app::DoctorPassed(checks)) << app::DoctorText(checks);
}

TEST_P(DoctorTest, InvalidEnvironmentIsTheOnlyCheck) {
  auto env = Env();
  env["CALLGATE_WORKERS"] = "many";
  const auto checks = app::RunDoctor(env, clock_);
  ASSERT_EQ(checks.size(), 1u) << app::DoctorText(checks);
  EXPECT_EQ(checks[0].name, "environment");
  EXPECT_EQ(checks[0].status, Status::kFail);
  EXPECT_NE(checks[0].detail.find("CALLGATE_WORKERS"), std::string::npos);
}

TEST_P(DoctorTest, UnknownCallgateVariableWarnsWithoutFailing) {
  Import(kGood);
  auto env = Env();
  env["CALLGATE_WORKRES"] = "4";
  const auto checks = app::RunDoctor(env, clock_);
  const auto& environment = Find(checks, "environment");
  EXPECT_EQ(environment.status, Status::kWarning);
  EXPECT_NE(environment.detail.find("CALLGATE_WORKRES"), std::string::npos);
  EXPECT_TRUE(app::DoctorPassed(checks)) << app::DoctorText(checks);
}

// Values stored before their column was sealed (an upgraded deployment: names before 6 December
// 2026) are counted until `keys rotate` seals them: a warning with the fix, not a failure.
TEST_P(DoctorTest, ClearTextInSealedColumnsWarnsUntilRotated) {
  Import(kGood);
  ASSERT_TRUE(db().Run([](storage::Session& s) -> callgate::Status {
                    s.Execute(
                        "INSERT INTO customers (company_id, name, phone_e164, email, notes, "
                        "created_at, updated_at) SELECT id, 'Erika Alt', '+4915100000001', "
                        "'erika@example.org', '', 0, 0 FROM companies WHERE slug = 'good'");
                    return Ok();
                  })
                  .has_value());
  auto checks = app::RunDoctor(Env(), clock_);
  const auto& sealed = Find(checks, "sealed_columns");
  EXPECT_EQ(sealed.status, Status::kWarning) << sealed.detail;
  EXPECT_NE(sealed.detail.find("2 value(s) stored in clear text (customers.name 1, "
                               "customers.email 1)"),
            std::string::npos)
      << sealed.detail;
  EXPECT_NE(sealed.fix.find("callgate keys rotate"), std::string::npos) << sealed.fix;
  EXPECT_TRUE(app::DoctorPassed(checks)) << app::DoctorText(checks);

  auto rotated = storage::ResealAll(db());
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message;
  EXPECT_EQ(rotated->resealed, 2);  // the name and the e-mail; the empty notes stay ''
  checks = app::RunDoctor(Env(), clock_);
  EXPECT_EQ(Find(checks, "sealed_columns").status, Status::kOk)
      << Find(checks, "sealed_columns").detail;
}

TEST_P(DoctorTest, PendingMigrationsFailAndSkipTheTenants) {
  auto fresh = storage::testing::TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh.has_value());
  auto env = Env();
  env["CALLGATE_DATABASE_URL"] = (*fresh)->UrlText();
  const auto checks = app::RunDoctor(env, clock_);
  const auto& migrations = Find(checks, "migrations");
  EXPECT_EQ(migrations.status, Status::kFail);
  EXPECT_NE(migrations.fix.find("callgate migrate"), std::string::npos);
  EXPECT_EQ(Find(checks, "tenants").status, Status::kFail);
}

TEST_P(DoctorTest, MissingSqliteFileFailsWithoutCreatingIt) {
  const fs::path missing =
      fs::temp_directory_path() / ("cg-doctor-none-" + std::to_string(::getpid())) / "x.db";
  auto env = Env();
  env["CALLGATE_DATABASE_URL"] = "sqlite://" + missing.string();
  const auto checks = app::RunDoctor(env, clock_);
  const auto& database = Find(checks, "database");
  EXPECT_EQ(database.status, Status::kFail);
  EXPECT_NE(database.fix.find("callgate migrate"), std::string::npos);
  EXPECT_FALSE(fs::exists(missing.parent_path()));
}

TEST_P(DoctorTest, UnreachableDatabaseAndRedisFail) {
  auto env = Env();
  env["CALLGATE_REDIS_URL"] = "redis://127.0.0.1:1/0";
  env["CALLGATE_QUEUE_DRIVER"] = "database";
  env["CALLGATE_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2";
  const auto checks = app::RunDoctor(env, clock_);
  EXPECT_EQ(Find(checks, "database").status, Status::kFail);
  EXPECT_EQ(Find(checks, "migrations").status, Status::kFail);
  const auto& redis = Find(checks, "redis");
  EXPECT_EQ(redis.status, Status::kFail);
  EXPECT_NE(redis.fix.find("CALLGATE_REDIS_URL"), std::string::npos);
}

// With the Redis queue driver a relayed job lives only in Redis: the doctor fails a Redis that
// would lose the queue on a restart (no append-only file), and passes one that keeps it. The
// test Redis runs without one; the test switches it on and restores the setting.
TEST_P(DoctorTest, TheRedisQueueNeedsARedisThatKeepsItsJobs) {
  CALLGATE_REQUIRE_TEST_REDIS();
  Import(kGood);
  redis::Client client(redis::testing::TestRedisUrl());
  auto before = client.Command({"CONFIG", "GET", "appendonly"});
  ASSERT_TRUE(before && before->IsArray() && before->array().size() == 2);
  const std::string original = before->array()[1].ToString().value_or("no");
  auto set = [&](const char* value) {
    auto r = client.Command({"CONFIG", "SET", "appendonly", value});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  };
  auto env = Env();
  env["CALLGATE_REDIS_URL"] = std::getenv(redis::testing::kRedisUrlVariable);
  env["CALLGATE_QUEUE_DRIVER"] = "redis";

  set("no");
  const auto without = app::RunDoctor(env, clock_);
  const auto& refused = Find(without, "redis");
  EXPECT_EQ(refused.status, Status::kFail) << refused.detail;
  EXPECT_NE(refused.fix.find("appendonly yes"), std::string::npos) << refused.fix;
  EXPECT_FALSE(app::DoctorPassed(without));

  set("yes");
  const auto with = app::RunDoctor(env, clock_);
  const auto& kept = Find(with, "redis");
  EXPECT_EQ(kept.status, Status::kOk) << kept.detail;
  set(original.c_str());

  // The database queue keeps its jobs itself: Redis then only needs to answer.
  env["CALLGATE_QUEUE_DRIVER"] = "database";
  set("no");
  const auto database_queue = app::RunDoctor(env, clock_);
  EXPECT_EQ(Find(database_queue, "redis").status, Status::kOk);
  set(original.c_str());
}

TEST_P(DoctorTest, MasterKeyIsRequiredOutsideLocalAndMustBe32Bytes) {
  ImportSealedWith(kGood, kProductionKey);
  const fs::path dir = fs::temp_directory_path() / ("cg-doctor-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto env = Env();
  env["APP_ENV"] = "production";
  env["RETELL_API_KEY"] = "key_retell";
  env["CALCOM_WEBHOOK_SECRET"] = "whsec";
  EXPECT_EQ(Find(app::RunDoctor(env, clock_), "master_key").status, Status::kFail);

  std::ofstream(dir / "short.key") << "c2hvcnQ=\n";  // "short"
  env["CALLGATE_MASTER_KEY_FILE"] = (dir / "short.key").string();
  const auto short_key = Find(app::RunDoctor(env, clock_), "master_key");
  EXPECT_EQ(short_key.status, Status::kFail);
  EXPECT_NE(short_key.detail.find("not base64 of 32 bytes"), std::string::npos);

  std::ofstream(dir / "master.key") << kProductionKey << "\n";
  env["CALLGATE_MASTER_KEY_FILE"] = (dir / "master.key").string();
  const auto checks = app::RunDoctor(env, clock_);
  EXPECT_EQ(Find(checks, "master_key").status, Status::kOk) << app::DoctorText(checks);
  EXPECT_TRUE(app::DoctorPassed(checks)) << app::DoctorText(checks);
  fs::remove_all(dir);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunDoctorBinary(const std::string& database_url, const std::string& calcom_url) {
  const std::string cmd =
      "cd / && env -i PATH=/usr/bin:/bin CALLGATE_LOG_FORMAT=text "
      "CALLGATE_DATABASE_URL='" +
      database_url + "' RETELL_API_KEY=key_platform CALCOM_BASE_URL='" + calcom_url + "' '" +
      std::string(CALLGATE_BINARY) + "' doctor --json 2>/dev/null";
  CommandResult result;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) result.output.append(buf.data(), n);
    const int status = ::pclose(p);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return result;
}

TEST_P(DoctorTest, BinaryExitsZeroOnlyWhenEveryCheckPasses) {
  Import(kGood);
  auto good = RunDoctorBinary(test_database().UrlText(), fake_->base_url());
  EXPECT_EQ(good.exit_code, 0) << good.output;
  auto report = nlohmann::json::parse(good.output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << good.output;
  EXPECT_TRUE(report["ok"].get<bool>());

  Import(kBroken);
  auto broken = RunDoctorBinary(test_database().UrlText(), fake_->base_url());
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  report = nlohmann::json::parse(broken.output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << broken.output;
  EXPECT_FALSE(report["ok"].get<bool>());
  bool named = false;
  for (const auto& check : report["checks"]) {
    if (check["name"] == "calcom_key[broken]") {
      named = true;
      EXPECT_EQ(check["status"], "fail");
      EXPECT_FALSE(check["fix"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(named) << broken.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, DoctorTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate
