#include "storage/testing/test_database.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "crypto/testing/test_keyring.hpp"
#include "storage/migrator.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::storage::testing {
namespace {

constexpr const char* kAdminUrlVariable = "CALLGATE_TEST_POSTGRES_ADMIN_URL";
constexpr const char* kPgBouncerUrlVariable = "CALLGATE_TEST_PGBOUNCER_URL";

std::string RandomSuffix() {
  static thread_local std::mt19937_64 random(std::random_device{}() ^
                                             static_cast<std::uint64_t>(::getpid()));
  constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t value = random();
  std::string out;
  for (int i = 0; i < 16; ++i, value >>= 4) out.push_back(kHex[value & 0xf]);
  return out;
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// Runs one statement on the admin database (CREATE/DROP DATABASE cannot run in a
// transaction, which is fine: Run is autocommit).
Status RunAdmin(const std::string& admin_url, const std::string& sql) {
  auto url = ParseDatabaseUrl(admin_url);
  if (!url) return tl::unexpected(url.error());
  DatabaseOptions options;
  options.pool_size = 1;
  auto admin = Database::Open(*url, options);
  if (!admin) return tl::unexpected(admin.error());
  return (*admin)->Run([&](Session& s) -> Status {
    s.Execute(sql);
    return Ok();
  });
}

}  // namespace

std::string BackendUnavailableReason(std::string_view backend) {
  if (backend == "sqlite") return "";
  if (backend == "postgresql") {
    if (Env(kAdminUrlVariable) == nullptr) {
      return std::string(kAdminUrlVariable) +
             " is not set (run the tests through scripts/services run ...)";
    }
    return "";
  }
  if (backend == "pgbouncer") {
    if (auto reason = BackendUnavailableReason("postgresql"); !reason.empty()) return reason;
    if (Env(kPgBouncerUrlVariable) == nullptr) {
      return std::string(kPgBouncerUrlVariable) +
             " is not set (run the tests through scripts/services run ...)";
    }
    return "";
  }
  return "unknown backend \"" + std::string(backend) + "\"";
}

Result<std::unique_ptr<TestDatabase>> TestDatabase::Create(std::string_view backend,
                                                           DatabaseOptions options) {
  if (auto reason = BackendUnavailableReason(backend); !reason.empty()) {
    return Fail(ErrorCode::kUnavailable, reason);
  }
  std::unique_ptr<TestDatabase> test(new TestDatabase());
  if (backend == "sqlite") {
    const auto dir = std::filesystem::temp_directory_path() / ("callgate-test-" + RandomSuffix());
    test->sqlite_dir_ = dir.string();
    // The directory is created by Database::Open (parent of the file), which is under test too.
    auto url = ParseDatabaseUrl("sqlite://" + (dir / "test.db").string());
    if (!url) return tl::unexpected(url.error());
    test->url_ = *url;
  } else {
    test->postgres_admin_ = Env(kAdminUrlVariable);
    auto url = ParseDatabaseUrl(test->postgres_admin_);
    if (!url) return tl::unexpected(url.error());
    url->database = "cg_" + RandomSuffix();
    if (auto created = RunAdmin(test->postgres_admin_, "CREATE DATABASE " + url->database);
        !created) {
      return tl::unexpected(created.error());
    }
    test->url_ = *url;
    if (backend == "pgbouncer") {
      // Same database, reached through the pooler (transaction mode routes any database name).
      auto bouncer = ParseDatabaseUrl(Env(kPgBouncerUrlVariable));
      if (!bouncer) return tl::unexpected(bouncer.error());
      test->url_.host = bouncer->host;
      test->url_.port = bouncer->port;
    }
  }
  // Tests encrypt like production, under the public test key (crypto/testing/test_keyring.hpp).
  if (!options.keyring) options.keyring = crypto::testing::TestKeyring();
  auto database = Database::Open(test->url_, options);
  if (!database) return tl::unexpected(database.error());
  test->database_ = std::move(*database);
  return test;
}

TestDatabase::~TestDatabase() {
  database_.reset();  // close our connections before dropping
  if (!sqlite_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_dir_, ec);
  }
  if (!postgres_admin_.empty() && !url_.database.empty()) {
    (void)RunAdmin(postgres_admin_, "DROP DATABASE IF EXISTS " + url_.database + " WITH (FORCE)");
  }
}

Status TestDatabase::Migrate(const Clock& clock) {
  auto migrations = EmbeddedMigrations(database_->dialect());
  if (!migrations) return tl::unexpected(migrations.error());
  Migrator migrator(*database_, std::move(*migrations), clock);
  auto applied = migrator.Migrate();
  if (!applied) return tl::unexpected(applied.error());
  return Ok();
}

void DatabaseTest::SetUp() {
  const std::string& backend = GetParam();
  if (auto reason = BackendUnavailableReason(backend); !reason.empty()) {
    if (Env("CI") != nullptr) GTEST_FAIL() << backend << " must run under CI: " << reason;
    GTEST_SKIP() << reason;
  }
  auto created = TestDatabase::Create(backend);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  test_database_ = std::move(*created);
  if (MigrateOnSetUp()) {
    auto migrated = test_database_->Migrate(clock_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
  }
}

void DatabaseTest::TearDown() { test_database_.reset(); }

TableAway::TableAway(Database& database, std::string table)
    : database_(database), table_(std::move(table)) {
  auto renamed = database_.Run([&](Session& s) -> Status {
    s.Execute("ALTER TABLE " + table_ + " RENAME TO " + table_ + "_away");
    return Ok();
  });
  EXPECT_TRUE(renamed.has_value()) << renamed.error().message;
  away_ = renamed.has_value();
}

TableAway::~TableAway() {
  if (!away_) return;
  auto back = database_.Run([&](Session& s) -> Status {
    s.Execute("ALTER TABLE " + table_ + "_away RENAME TO " + table_);
    return Ok();
  });
  EXPECT_TRUE(back.has_value()) << back.error().message;
}

std::string TestDatabase::UrlText() const {
  if (url_.dialect == Dialect::kSqlite) return "sqlite://" + url_.path;
  return "postgresql://" + url_.user + "@" + url_.host + ":" + std::to_string(url_.port) + "/" +
         url_.database;
}

tenancy::CompanyId NewCompany(Database& database, const Clock& clock, const std::string& slug) {
  SqlCompanyRepository companies(database, clock);
  tenancy::Company c;
  c.name = "Praxis " + slug;
  c.slug = slug;
  auto created = companies.Create(c);
  EXPECT_TRUE(created.has_value()) << created.error().message;
  return created ? created->id : tenancy::CompanyId(0);
}

std::int64_t SessionsWaitingForALock(Database& database) {
  std::int64_t n = -1;
  auto done = database.Run([&](Session& s) -> Status {
    s.Query("COUNT(*) AS n",
            "FROM pg_stat_activity WHERE datname = current_database() AND "
            "wait_event_type = 'Lock'",
            {}, [&](const Row& row) { n = row.Int64("n"); });
    return Ok();
  });
  EXPECT_TRUE(done.has_value()) << done.error().message;
  return n;
}

bool WaitUntilOneWaitsForALock(Database& database) {
  bool waits = SessionsWaitingForALock(database) == 1;
  for (int i = 0; i < 2000 && !waits; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    waits = SessionsWaitingForALock(database) == 1;
  }
  return waits;
}

}  // namespace callgate::storage::testing
