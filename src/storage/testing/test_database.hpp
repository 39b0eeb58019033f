#pragma once
// Test support for code that talks to a database: a fresh, empty database per test on either
// backend, and a GoogleTest fixture parameterised over the backends.
//
//   class MyRepoTest : public storage::testing::DatabaseTest {};
//   TEST_P(MyRepoTest, Works) { SqlFooRepository repo(db(), clock_); ... }
//   INSTANTIATE_TEST_SUITE_P(Backends, MyRepoTest, storage::testing::AllBackends(),
//                            storage::testing::BackendName);
//
// Test names then end in /sqlite and /postgresql. PostgreSQL needs CALLGATE_TEST_POSTGRES_ADMIN_URL
// (scripts/services start <dir> writes it); without it PostgreSQL tests are skipped, unless the
// environment variable CI is set, in which case they fail. A third backend, "pgbouncer", is the
// same PostgreSQL database reached through PgBouncer in transaction pool mode
// (CALLGATE_TEST_PGBOUNCER_URL, also written by scripts/services); AllBackendsAndPgBouncer().

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/testing/fake_clock.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"
#include "tenancy/model.hpp"

namespace callgate::storage::testing {

// A database that exists only for the lifetime of this object: a new SQLite file in a fresh
// temporary directory, or a new PostgreSQL database "cg_<random>" created through the admin URL
// and dropped WITH (FORCE) on destruction, so test processes can run in parallel.
class TestDatabase {
 public:
  // `backend` is "sqlite", "postgresql" or "pgbouncer". Without options.keyring the database
  // encrypts with crypto::testing::TestKeyring(). kUnavailable (with the reason) when the
  // backend is not configured in this environment; other errors when creating it failed.
  static Result<std::unique_ptr<TestDatabase>> Create(std::string_view backend,
                                                      DatabaseOptions options = {});
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Database& database() { return *database_; }
  const DatabaseUrl& url() const { return url_; }
  // The URL as configuration text (CALLGATE_DATABASE_URL), for starting an app on this database.
  // Test databases have no password.
  std::string UrlText() const;

  // Applies the migrations compiled into the binary.
  Status Migrate(const Clock& clock);

 private:
  TestDatabase() = default;

  DatabaseUrl url_;
  std::unique_ptr<Database> database_;
  std::string sqlite_dir_;      // removed on destruction
  std::string postgres_admin_;  // admin URL, to drop the database
};

// Empty when `backend` can run here, else why not (e.g. the env variable is unset).
std::string BackendUnavailableReason(std::string_view backend);

// Fixture: SetUp creates a migrated TestDatabase for GetParam() ("sqlite"/"postgresql"),
// skipping (or failing under CI) when the backend is not configured.
class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Override to get an empty, unmigrated database.
  virtual bool MigrateOnSetUp() const { return true; }

  Database& db() { return test_database_->database(); }
  TestDatabase& test_database() { return *test_database_; }

  callgate::testing::FakeClock clock_;

 private:
  std::unique_ptr<TestDatabase> test_database_;
};

// While it lives, `table` is renamed away: what a lost or unwritable table looks like to the code
// under test. It is renamed back when this ends, however the test ends.
class TableAway {
 public:
  TableAway(Database& database, std::string table);
  ~TableAway();
  TableAway(const TableAway&) = delete;
  TableAway& operator=(const TableAway&) = delete;

 private:
  Database& database_;
  std::string table_;
  bool away_ = false;
};

// PostgreSQL: how many sessions of this database wait for a lock now.
std::int64_t SessionsWaitingForALock(Database& database);

// PostgreSQL: waits (polling, at most ~20 s) until exactly one session of this database waits
// for a lock — a statement a test made wait on a row another transaction holds. False when none
// did in time.
bool WaitUntilOneWaitsForALock(Database& database);

// A new company "Praxis <slug>" with slug `slug`, a test's tenant; a failed store fails the test
// (and gives company id 0).
tenancy::CompanyId NewCompany(Database& database, const Clock& clock, const std::string& slug);

// Both backends, for INSTANTIATE_TEST_SUITE_P.
inline auto AllBackends() {
  return ::testing::Values(std::string("sqlite"), std::string("postgresql"));
}

// Both backends plus PostgreSQL through PgBouncer (transaction pool mode), for code whose
// PgBouncer compatibility matters (data migration, queue, migrations).
inline auto AllBackendsAndPgBouncer() {
  return ::testing::Values(std::string("sqlite"), std::string("postgresql"),
                           std::string("pgbouncer"));
}

// Names instantiations by backend, so test names end in /sqlite and /postgresql.
inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace callgate::storage::testing
