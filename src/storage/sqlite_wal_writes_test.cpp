#include "storage/sqlite_wal_writes.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::storage {
namespace {

namespace fs = std::filesystem;

// A database file of its own, removed however the test ends; no checkpoint during the test, so
// the log only grows and every write to it is a commit's.
class SqliteWalWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("callgate-walw-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    url_ = "sqlite://" + (dir_ / "w.db").string();
    db_ = OpenDatabase();
    ASSERT_TRUE(db_->Run([](Session& s) -> Status {
      s.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
      s.Execute("INSERT INTO t (body) VALUES ('first')");
      return Ok();
    }));
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Database> OpenDatabase(
      std::chrono::milliseconds busy_timeout = DatabaseOptions().sqlite_busy_timeout) {
    DatabaseOptions options;
    options.sqlite_checkpoint_frames = 1'000'000;
    options.sqlite_busy_timeout = busy_timeout;
    auto url = ParseDatabaseUrl(url_);
    EXPECT_TRUE(url.has_value());
    auto opened = Database::Open(*url, options);
    EXPECT_TRUE(opened.has_value()) << opened.error().message;
    return opened ? std::move(*opened) : nullptr;
  }

  // One transaction writing `rows` rows of most of a page each: at least `rows` frames.
  Status WriteRows(Database& db, int rows) {
    const std::string body(3000, 'x');
    return db.WithTransaction([&](Session& s) -> Status {
      for (int i = 0; i < rows; ++i)
        s.Execute("INSERT INTO t (body) VALUES (:b)", Params().Add(body));
      return Ok();
    });
  }

  // Rows as a connection of another Database (another pool) sees them.
  std::int64_t RowsSeenElsewhere() {
    auto other = OpenDatabase();
    auto n = other->Run([](Session& s) -> Result<std::int64_t> {
      std::int64_t count = -1;
      s.Query("COUNT(*) AS n", "FROM t", {}, [&](const Row& row) { count = row.Int64("n"); });
      return count;
    });
    EXPECT_TRUE(n.has_value()) << n.error().message;
    return n.value_or(-1);
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

// A reader on an older snapshot (a long export, possibly in another process) does not make
// TruncateLog hold the write lock, and every writer with it, while it waits for that reader:
// the log is left for later, and truncated once the reader is gone.
TEST_F(SqliteWalWritesTest, TruncatingTheLogDoesNotWaitForAReaderOnAnOlderSnapshot) {
  // A busy timeout longer than the reader below stays: a TRUNCATE that waited for it would
  // still be waiting when the reader gives up.
  auto db = OpenDatabase(std::chrono::seconds(60));
  std::promise<void> reading;
  std::atomic<bool> truncated{false};
  std::atomic<bool> gave_up{false};
  std::thread reader([&] {
    auto read = db_->ReadSnapshot([&](Session& s) -> Status {
      s.Query("COUNT(*) AS n", "FROM t", {}, [](const Row&) {});
      reading.set_value();
      for (int i = 0; i < 2000 && !truncated.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // 20 s at most
      }
      gave_up = !truncated.load();
      return Ok();
    });
    EXPECT_TRUE(read.has_value()) << read.error().message;
  });
  reading.get_future().wait();
  ASSERT_TRUE(WriteRows(*db, 5).has_value());  // frames the reader's snapshot does not see
  const auto done = db->TruncateLog();
  truncated = true;
  reader.join();
  EXPECT_TRUE(done.has_value()) << done.error().message;
  EXPECT_FALSE(gave_up) << "TruncateLog waited for the reader";
  const fs::path wal = dir_ / "w.db-wal";
  EXPECT_GT(fs::file_size(wal), 0u);  // left for later

  ASSERT_TRUE(db->TruncateLog().has_value());
  EXPECT_EQ(fs::file_size(wal), 0u);
  EXPECT_EQ(RowsSeenElsewhere(), 6);
}

TEST_F(SqliteWalWritesTest, ACommitOfManyPagesIsOneWrite) {
  ASSERT_TRUE(InstallSqliteWalWrites());
  const auto before = SqliteWalWritesSoFar();
  ASSERT_TRUE(WriteRows(*db_, 20));
  const auto after = SqliteWalWritesSoFar();
  // Two writes per frame asked for (header and page), at least one frame per row.
  EXPECT_GE(after.requested - before.requested, 40u);
  EXPECT_EQ(after.issued - before.issued, 1u);
  EXPECT_EQ(RowsSeenElsewhere(), 21);
}

TEST_F(SqliteWalWritesTest, ASavepointOverManyChangedPagesKeepsItsJournalInMemory) {
  ASSERT_TRUE(InstallSqliteWalWrites());
  const auto before = SqliteWalWritesSoFar();
  // 40 pages changed before the savepoint and again inside it: ~160 KiB of statement journal,
  // past SQLite's default of 64 KiB in memory.
  const std::string body(3000, 'x');
  const std::string other(3000, 'y');
  ASSERT_TRUE(db_->WithTransaction([&](Session& s) -> Status {
    for (int i = 0; i < 40; ++i) {
      s.Execute("INSERT INTO t (body) VALUES (:b)", Params().Add(body));
    }
    auto nested = db_->WithTransaction([&](Session& inner) -> Status {
      inner.Execute("UPDATE t SET body = :b", Params().Add(other));
      return Ok();
    });
    return nested;
  }));
  EXPECT_EQ(SqliteWalWritesSoFar().statement_journal_files - before.statement_journal_files, 0u);
  EXPECT_EQ(RowsSeenElsewhere(), 41);
}

TEST_F(SqliteWalWritesTest, ACommitWhoseWriteFailsFailsAndLeavesNothing) {
  ASSERT_TRUE(InstallSqliteWalWrites());
  const auto log_bytes = fs::file_size(dir_ / "w.db-wal");
  // Files may grow by 16 KiB more: the commit's ~80 KiB of frames do not fit.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = static_cast<rlim_t>(log_bytes + 16 * 1024);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const Status failed = WriteRows(*db_, 20);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(failed.has_value()) << "a commit that was not written reported success";
  EXPECT_EQ(RowsSeenElsewhere(), 1);
  // The database goes on: the same rows commit once the file may grow.
  ASSERT_TRUE(WriteRows(*db_, 20));
  EXPECT_EQ(RowsSeenElsewhere(), 21);
  auto check = db_->Run([](Session& s) -> Result<std::string> {
    std::string out;
    s.Rows("PRAGMA integrity_check", "integrity_check", {},
           [&](const Row& row) { out = row.String("integrity_check"); });
    return out;
  });
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(*check, "ok");
}

}  // namespace
}  // namespace callgate::storage
