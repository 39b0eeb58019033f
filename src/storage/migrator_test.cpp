#include "storage/migrator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "core/digest.hpp"
#include "storage/session.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using testing::DatabaseTest;
using testing::TestDatabase;

const std::vector<std::string> kSchemaTables = {
    "api_tokens",    "appointments", "branches",       "callback_requests",
    "calls",         "companies",    "customers",      "failed_jobs",
    "jobs",          "job_outbox",   "phone_numbers",  "scheduler_locks",
    "services",      "users",        "webhook_events", "audit_events",
    "config_version"};

// Table → columns, read from the database catalog.
std::map<std::string, std::set<std::string>> Columns(Database& db) {
  std::map<std::string, std::set<std::string>> out;
  auto read = db.Run([&](Session& s) -> Status {
    if (s.dialect() == Dialect::kPostgresql) {
      s.Query(
          "table_name, column_name",
          "FROM information_schema.columns WHERE table_schema = current_schema()", {},
          [&](const Row& row) { out[row.String("table_name")].insert(row.String("column_name")); });
    } else {
      s.Query("m.name AS table_name, p.name AS column_name",
              "FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
              "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
              {}, [&](const Row& row) {
                out[row.String("table_name")].insert(row.String("column_name"));
              });
    }
    return Ok();
  });
  EXPECT_TRUE(read.has_value()) << read.error().message;
  return out;
}

class MigratorTest : public DatabaseTest {
 protected:
  bool MigrateOnSetUp() const override { return false; }

  std::vector<Migration> Embedded() {
    auto migrations = EmbeddedMigrations(db().dialect());
    EXPECT_TRUE(migrations.has_value());
    return migrations.value_or(std::vector<Migration>{});
  }

  // Applies the embedded migrations older than `version` (a database as an earlier release
  // left it); the test then applies all of them.
  void MigrateBefore(int version) {
    std::vector<Migration> before, all = Embedded();
    for (const auto& m : all) {
      if (m.version < version) before.push_back(m);
    }
    ASSERT_LT(before.size(), all.size());
    ASSERT_TRUE(Migrator(db(), before, clock_).Migrate().has_value());
  }
};

TEST_P(MigratorTest, AppliesEverythingToAnEmptyDatabase) {
  Migrator migrator(db(), Embedded(), clock_);
  auto before = migrator.Status();
  ASSERT_TRUE(before.has_value()) << before.error().message;
  ASSERT_FALSE(before->empty());
  for (const auto& state : *before) EXPECT_FALSE(state.applied()) << state.name;
  EXPECT_FALSE(migrator.IsCurrent().value());

  auto applied = migrator.Migrate();
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->size(), before->size());
  EXPECT_EQ(applied->front(), 1);

  auto after = migrator.Status();
  ASSERT_TRUE(after.has_value());
  for (const auto& state : *after) {
    EXPECT_TRUE(state.applied()) << state.name;
    EXPECT_EQ(state.applied_at, clock_.Now());
    EXPECT_TRUE(state.known);
  }
  EXPECT_EQ(after->front().name, "initial_schema");
  EXPECT_TRUE(migrator.IsCurrent().value());
}

TEST_P(MigratorTest, ReapplyingIsANoOp) {
  Migrator migrator(db(), Embedded(), clock_);
  ASSERT_TRUE(migrator.Migrate().has_value());
  auto again = migrator.Migrate();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->empty());
  auto rows = db().Run([](Session& s) -> Result<std::int64_t> {
    std::int64_t n = 0;
    s.Query("COUNT(*) AS n", "FROM schema_migrations", {}, [&](const Row& r) { n = r.Int64("n"); });
    return n;
  });
  EXPECT_EQ(rows.value(), static_cast<std::int64_t>(Embedded().size()));
}

TEST_P(MigratorTest, StatusIsReadOnlyOnAnEmptyDatabase) {
  Migrator migrator(db(), Embedded(), clock_);
  ASSERT_TRUE(migrator.Status().has_value());
  EXPECT_FALSE(Columns(db()).contains("schema_migrations"));
}

TEST_P(MigratorTest, CreatesEveryTableOfTheSchema) {
  Migrator migrator(db(), Embedded(), clock_);
  ASSERT_TRUE(migrator.Migrate().has_value());
  const auto columns = Columns(db());
  for (const auto& table : kSchemaTables) {
    EXPECT_TRUE(columns.contains(table)) << table;
    auto counted = db().Run([&](Session& s) -> Status {
      s.Query("COUNT(*) AS n", "FROM " + table, {}, [](const Row&) {});
      return Ok();
    });
    EXPECT_TRUE(counted.has_value()) << table << ": " << counted.error().message;
  }
  EXPECT_TRUE(columns.contains("schema_migrations"));
  // Every tenant table carries company_id.
  for (const char* table : {"branches", "services", "phone_numbers", "customers", "calls",
                            "appointments", "callback_requests"}) {
    EXPECT_TRUE(columns.at(table).contains("company_id")) << table;
  }
}

TEST_P(MigratorTest, FailedMigrationLeavesNoTraceAndIsRetried) {
  std::vector<Migration> migrations = {
      {1, "first", "CREATE TABLE first_table (id BIGINT PRIMARY KEY);"},
      {2, "broken",
       "CREATE TABLE half_done (id BIGINT PRIMARY KEY);\n"
       "INSERT INTO half_done (id) VALUES (1);\n"
       "SELECT * FROM no_such_table;"},
  };
  Migrator broken(db(), migrations, clock_);
  auto failed = broken.Migrate();
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("0002_broken.sql"), std::string::npos)
      << failed.error().message;

  auto columns = Columns(db());
  EXPECT_TRUE(columns.contains("first_table"));
  EXPECT_FALSE(columns.contains("half_done"));  // rolled back with its transaction
  auto status = broken.Status();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE((*status)[0].applied());
  EXPECT_FALSE((*status)[1].applied());

  migrations[1].sql = "CREATE TABLE half_done (id BIGINT PRIMARY KEY);";
  Migrator fixed(db(), migrations, clock_);
  auto applied = fixed.Migrate();
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(*applied, std::vector<int>{2});
}

TEST_P(MigratorTest, RunsScriptsVerbatim) {
  // Semicolons and colons inside literals and comments must neither split statements nor be
  // taken for placeholders.
  std::vector<Migration> migrations = {
      {1, "tricky",
       "-- note: this comment has a colon; and a semicolon\n"
       "CREATE TABLE tricky (id BIGINT PRIMARY KEY, body TEXT NOT NULL);\n"
       "INSERT INTO tricky (id, body) VALUES (1, 'a;b:c');\n"
       "/* block; comment: */ INSERT INTO tricky (id, body) VALUES (2, 'it''s');\n"}};
  Migrator migrator(db(), migrations, clock_);
  ASSERT_TRUE(migrator.Migrate().has_value());
  auto bodies = db().Run([](Session& s) -> Result<std::string> {
    std::string out;
    s.Query("body", "FROM tricky ORDER BY id", {},
            [&](const Row& r) { out += r.String("body") + "|"; });
    return out;
  });
  EXPECT_EQ(bodies.value(), "a;b:c|it's|");
}

TEST_P(MigratorTest, ReportsVersionsUnknownToThisBinary) {
  std::vector<Migration> newer = {{1, "a", "CREATE TABLE a (id BIGINT);"},
                                  {2, "b", "CREATE TABLE b (id BIGINT);"}};
  ASSERT_TRUE(Migrator(db(), newer, clock_).Migrate().has_value());
  Migrator older(db(), {newer[0]}, clock_);
  auto status = older.Status();
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->size(), 2u);
  EXPECT_FALSE((*status)[1].known);
  EXPECT_EQ((*status)[1].name, "b");
  EXPECT_TRUE(older.IsCurrent().value());
}

TEST_P(MigratorTest, ConcurrentMigratorsApplyEachVersionOnce) {
  const auto migrations = Embedded();
  std::vector<std::size_t> applied(3, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < applied.size(); ++i) {
    threads.emplace_back([&, i] {
      Migrator migrator(db(), migrations, clock_);
      auto result = migrator.Migrate();
      EXPECT_TRUE(result.has_value()) << result.error().message;
      if (result) applied[i] = result->size();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(applied[0] + applied[1] + applied[2], migrations.size());
}

TEST_P(MigratorTest, AgentRoleKeepsEveryUserTokenAndId) {
  // 0009 rebuilds users and api_tokens on SQLite: a database with users and tokens from before
  // keeps them, their ids, the reference between them and the id sequences.
  ASSERT_NO_FATAL_FAILURE(MigrateBefore(9));
  std::vector<std::int64_t> users;
  auto seeded = db().Run([&](Session& s) -> Status {
    const auto company = s.InsertReturningId(
        "INSERT INTO companies (name, slug, created_at, updated_at) VALUES ('A', 'a', 0, 0) "
        "RETURNING id",
        Params());
    for (int i = 1; i <= 3; ++i) {
      users.push_back(s.InsertReturningId(
          "INSERT INTO users (company_id, email, password_hash, role, created_at, updated_at) "
          "VALUES (:c, :email, '!', 'viewer', 0, 0) RETURNING id",
          Params().Add(company).Add("u" + std::to_string(i) + "@a.example")));
    }
    s.Execute("DELETE FROM users WHERE id = :id", Params().Add(users[2]));
    s.Execute(
        "INSERT INTO api_tokens (user_id, token_hash, created_at, updated_at, revoked_at) "
        "VALUES (:u, 'cafe', 0, 0, 7)",
        Params().Add(users[1]));
    return Ok();
  });
  ASSERT_TRUE(seeded.has_value()) << seeded.error().message;

  auto applied = Migrator(db(), Embedded(), clock_).Migrate();
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->front(), 9);

  std::int64_t agent = 0;
  auto after = db().Run([&](Session& s) -> Result<std::string> {
    std::string out;
    s.Query("u.id AS uid, u.email, t.revoked_at",
            "FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id", {}, [&](const Row& r) {
              out = std::to_string(r.Int64("uid")) + " " + r.String("email") + " " +
                    std::to_string(r.Int64("revoked_at"));
            });
    const auto company = s.InsertReturningId(
        "INSERT INTO companies (name, slug, created_at, updated_at) VALUES ('B', 'b', 0, 0) "
        "RETURNING id",
        Params());
    agent = s.InsertReturningId(
        "INSERT INTO users (company_id, email, password_hash, role, created_at, updated_at) "
        "VALUES (:c, 'agent@b.example', '!', 'agent', 0, 0) RETURNING id",
        Params().Add(company));
    return out;
  });
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_EQ(*after, std::to_string(users[1]) + " u2@a.example 7");
  EXPECT_GT(agent, users[2]);  // the deleted user's id is not given out again
  // The reference still holds: a token of no user is refused.
  auto orphan = db().Run([](Session& s) -> Status {
    s.Execute(
        "INSERT INTO api_tokens (user_id, token_hash, created_at, updated_at) "
        "VALUES (999, 'beef', 0, 0)");
    return Ok();
  });
  EXPECT_FALSE(orphan.has_value());
}

TEST_P(MigratorTest, DedupeKeysStoredAsGivenBeforeAreRewrittenSoTheirRedeliveriesAreDuplicates) {
  // Versions before 0017 stored every dedupe key as given; now a key above 256 bytes, or one
  // starting with '#', is stored as its digest. 0017 rewrites the rows from before, so that a
  // redelivery of such an event, recorded through the repository, is still a duplicate.
  ASSERT_NO_FATAL_FAILURE(MigrateBefore(17));
  const std::string long_key = "vapi:status-update:" + std::string(300, 'x') + ":c1";
  const std::string hash_like = "#sha256:not-a-digest";
  std::string umlauts;  // 200 characters, 400 bytes
  for (int i = 0; i < 200; ++i) umlauts += "\xc3\xa4";
  const std::string longest_plain(256, 'p');
  const std::string redelivered = "calcom:BOOKING_CREATED:" + std::string(300, 'r');
  const std::string digest_of_redelivered = "#sha256:" + Sha256Hex(redelivered);
  const std::string digest_of_other = "#sha256:" + Sha256Hex(std::string(400, 'o'));
  const std::vector<std::string> seeded = {long_key,       hash_like,   umlauts,
                                           longest_plain,  redelivered, digest_of_redelivered,
                                           digest_of_other};
  auto seed = db().Run([&](Session& s) -> Status {
    for (const auto& key : seeded) {
      s.Execute(
          "INSERT INTO webhook_events (source, event, dedupe_key, payload, received_at, status, "
          "created_at, updated_at) VALUES ('retell', 'call_started', :k, '{}', 0, 'processed', "
          "0, 0)",
          Params().Add(key));
    }
    return Ok();
  });
  ASSERT_TRUE(seed.has_value()) << seed.error().message;

  auto applied = Migrator(db(), Embedded(), clock_).Migrate();
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->front(), 17);
  std::vector<std::string> keys;
  auto read = db().Run([&](Session& s) -> Status {
    s.Query("dedupe_key", "FROM webhook_events ORDER BY id", {},
            [&](const Row& row) { keys.push_back(row.String("dedupe_key")); });
    return Ok();
  });
  ASSERT_TRUE(read.has_value()) << read.error().message;
  const std::vector<std::string> expected = {
      "#sha256:" + Sha256Hex(long_key),
      "#sha256:" + Sha256Hex(hash_like),
      "#sha256:" + Sha256Hex(umlauts),
      longest_plain,
      redelivered,  // its digest is stored already: the row keeps its key
      digest_of_redelivered,
      digest_of_other,  // a digest is not taken for a key
  };
  EXPECT_EQ(keys, expected);

  SqlWebhookEventRepository events(db(), clock_);
  for (const auto& key : {long_key, hash_like, umlauts, longest_plain, redelivered}) {
    calls::WebhookEventRecord again;
    again.source = "retell";
    again.event = "call_started";
    again.dedupe_key = key;
    again.payload_json = "{}";
    auto recorded = events.Record(again);
    ASSERT_FALSE(recorded.has_value()) << key.substr(0, 40);
    EXPECT_EQ(recorded.error().code, ErrorCode::kAlreadyExists) << key.substr(0, 40);
  }
}

TEST_P(MigratorTest, AppointmentRequestsKeepEveryAppointmentIdAndSlotIndex) {
  // 0010 rebuilds appointments on SQLite: rows from before keep their ids, the reference to the
  // appointment they were rescheduled from and the id sequence; the slot index holds requests.
  ASSERT_NO_FATAL_FAILURE(MigrateBefore(10));
  std::int64_t company = 0, service = 0;
  std::vector<std::int64_t> ids;
  const std::string insert =
      "INSERT INTO appointments (company_id, service_id, starts_at, ends_at, timezone, status, "
      "source, rescheduled_from_id, created_at, updated_at) VALUES (:c, :s, :st, :en, "
      "'Europe/Berlin', :status, 'phone_agent', :from, 0, 0) RETURNING id";
  auto seeded = db().Run([&](Session& s) -> Status {
    company = s.InsertReturningId(
        "INSERT INTO companies (name, slug, created_at, updated_at) VALUES ('A', 'a', 0, 0) "
        "RETURNING id",
        Params());
    service = s.InsertReturningId(
        "INSERT INTO services (company_id, name, duration_minutes, created_at, updated_at) "
        "VALUES (:c, 'Beratung', 30, 0, 0) RETURNING id",
        Params().Add(company));
    const std::optional<std::int64_t> none;
    ids.push_back(s.InsertReturningId(insert, Params()
                                                  .Add(company)
                                                  .Add(service)
                                                  .Add(std::int64_t{1000})
                                                  .Add(std::int64_t{2000})
                                                  .Add("rescheduled")
                                                  .Add(none)));
    ids.push_back(s.InsertReturningId(insert, Params()
                                                  .Add(company)
                                                  .Add(service)
                                                  .Add(std::int64_t{3000})
                                                  .Add(std::int64_t{4000})
                                                  .Add("booked")
                                                  .Add(std::optional(ids[0]))));
    ids.push_back(s.InsertReturningId(insert, Params()
                                                  .Add(company)
                                                  .Add(service)
                                                  .Add(std::int64_t{5000})
                                                  .Add(std::int64_t{6000})
                                                  .Add("booked")
                                                  .Add(none)));
    s.Execute("DELETE FROM appointments WHERE id = :id", Params().Add(ids[2]));
    return Ok();
  });
  ASSERT_TRUE(seeded.has_value()) << seeded.error().message;

  auto applied = Migrator(db(), Embedded(), clock_).Migrate();
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  EXPECT_EQ(applied->front(), 10);

  auto after = db().Run([&](Session& s) -> Result<std::string> {
    std::string out;
    s.Query("id, status, rescheduled_from_id", "FROM appointments ORDER BY id", {},
            [&](const Row& r) {
              out += std::to_string(r.Int64("id")) + " " + r.String("status") + " " +
                     std::to_string(r.OptionalInt64("rescheduled_from_id").value_or(0)) + "|";
            });
    return out;
  });
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_EQ(*after, std::to_string(ids[0]) + " rescheduled 0|" + std::to_string(ids[1]) +
                        " booked " + std::to_string(ids[0]) + "|");
  const auto add = [&](std::int64_t start, const char* status) {
    return db().Run([&](Session& s) -> Result<std::int64_t> {
      return s.InsertReturningId(insert, Params()
                                             .Add(company)
                                             .Add(service)
                                             .Add(start)
                                             .Add(start + 1000)
                                             .Add(status)
                                             .Add(std::optional<std::int64_t>()));
    });
  };
  auto requested = add(7000, "requested");
  ASSERT_TRUE(requested.has_value()) << requested.error().message;
  EXPECT_GT(*requested, ids[2]);  // the deleted appointment's id is not given out again
  EXPECT_FALSE(add(7000, "booked").has_value());  // the request holds its slot
  EXPECT_TRUE(add(7000, "rejected").has_value());
  EXPECT_FALSE(add(3000, "booked").has_value());  // so does the copied booking
}

INSTANTIATE_TEST_SUITE_P(Backends, MigratorTest, testing::AllBackendsAndPgBouncer(),
                         testing::BackendName);

TEST(Migrations, BothDialectsCreateTheSameTablesAndColumns) {
  if (auto reason = testing::BackendUnavailableReason("postgresql"); !reason.empty()) {
    if (std::getenv("CI") != nullptr) GTEST_FAIL() << reason;
    GTEST_SKIP() << reason;
  }
  callgate::testing::FakeClock clock;
  std::map<std::string, std::set<std::string>> columns[2];
  int i = 0;
  for (const char* backend : {"sqlite", "postgresql"}) {
    auto test_database = TestDatabase::Create(backend);
    ASSERT_TRUE(test_database.has_value()) << test_database.error().message;
    ASSERT_TRUE((*test_database)->Migrate(clock).has_value());
    columns[i++] = Columns((*test_database)->database());
  }
  columns[0].erase("sqlite_sequence");
  EXPECT_EQ(columns[0], columns[1]);
  std::set<std::string> tables;
  for (const auto& [table, unused] : columns[1]) tables.insert(table);
  std::set<std::string> expected(kSchemaTables.begin(), kSchemaTables.end());
  expected.insert("schema_migrations");
  EXPECT_EQ(tables, expected);
}

TEST(Migrations, EmbeddedCopyMatchesTheSourceTree) {
  for (Dialect dialect : {Dialect::kSqlite, Dialect::kPostgresql}) {
    auto from_disk = LoadMigrations(DefaultMigrationsDir(), dialect);
    auto embedded = EmbeddedMigrations(dialect);
    ASSERT_TRUE(from_disk.has_value()) << from_disk.error().message;
    ASSERT_TRUE(embedded.has_value());
    ASSERT_EQ(from_disk->size(), embedded->size());
    ASSERT_FALSE(embedded->empty());
    for (std::size_t i = 0; i < embedded->size(); ++i) {
      EXPECT_EQ((*from_disk)[i].version, (*embedded)[i].version);
      EXPECT_EQ((*from_disk)[i].name, (*embedded)[i].name);
      EXPECT_EQ((*from_disk)[i].sql, (*embedded)[i].sql) << "rebuild to re-embed";
    }
  }
}

TEST(Migrations, BothDialectsHaveTheSameVersions) {
  auto sqlite = EmbeddedMigrations(Dialect::kSqlite).value();
  auto postgres = EmbeddedMigrations(Dialect::kPostgresql).value();
  ASSERT_EQ(sqlite.size(), postgres.size());
  for (std::size_t i = 0; i < sqlite.size(); ++i) {
    EXPECT_EQ(sqlite[i].version, postgres[i].version);
    EXPECT_EQ(sqlite[i].name, postgres[i].name);
  }
}

class MigrationFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("callgate-migrations-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "sqlite");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& sql) {
    std::ofstream(root_ / "sqlite" / name) << sql;
  }
  std::filesystem::path root_;
};

TEST_F(MigrationFolder, LoadsFilesInVersionOrder) {
  Write("0002_second.sql", "SELECT 2;");
  Write("0001_first.sql", "SELECT 1;");
  Write("README.md", "ignored");
  auto migrations = LoadMigrations(root_, Dialect::kSqlite);
  ASSERT_TRUE(migrations.has_value()) << migrations.error().message;
  ASSERT_EQ(migrations->size(), 2u);
  EXPECT_EQ((*migrations)[0].version, 1);
  EXPECT_EQ((*migrations)[0].name, "first");
  EXPECT_EQ((*migrations)[1].sql, "SELECT 2;");
}

TEST_F(MigrationFolder, RejectsBadNamesAndDuplicateVersions) {
  Write("1_short.sql", "");
  EXPECT_EQ(LoadMigrations(root_, Dialect::kSqlite).error().code, ErrorCode::kInvalidArgument);
  std::filesystem::remove(root_ / "sqlite" / "1_short.sql");
  Write("0001_a.sql", "");
  Write("0001_b.sql", "");
  EXPECT_EQ(LoadMigrations(root_, Dialect::kSqlite).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(MigrationFolder, MissingDialectFolderIsNotFound) {
  EXPECT_EQ(LoadMigrations(root_, Dialect::kPostgresql).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace callgate::storage
