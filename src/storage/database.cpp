#include "storage/database.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/blocking.hpp"
#include "observability/log.hpp"
#include "storage/group_commit.hpp"
#include "storage/session.hpp"

namespace callgate::storage {
namespace {

// The connection this thread is using for a Database, so that repository calls made inside a
// Run/WithTransaction callback join it instead of borrowing a second connection (which would
// see none of the open transaction's writes, and could deadlock a pool of one).
struct Frame {
  const Database* database;
  Session* session;
  bool in_transaction;
  int savepoints;
  bool read_only = false;  // in_transaction is ReadSnapshot's: nothing may be written in it
};

thread_local std::vector<Frame> active_frames;

// A lock with a timed wait, made of a mutex and a condition variable (for std::unique_lock with
// std::defer_lock and try_lock_for). std::timed_mutex would do, but libstdc++ 12 waits in
// try_lock_for with pthread_mutex_clocklock, which GCC 12's ThreadSanitizer does not intercept: it
// then reports every unlock as "unlock of an unlocked mutex" and cannot see races around the lock
// at all.
class TimedLock {
 public:
  bool try_lock_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!free_.wait_for(lock, timeout, [this] { return !held_; })) return false;
    held_ = true;
    return true;
  }
  void unlock() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    free_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable free_;
  bool held_ = false;  // guarded by mutex_
};

Frame* FindFrame(const Database* database) {
  for (auto it = active_frames.rbegin(); it != active_frames.rend(); ++it) {
    if (it->database == database) return &*it;
  }
  return nullptr;
}

class FrameScope {
 public:
  FrameScope(const Database* database, Session* session) {
    active_frames.push_back(Frame{database, session, false, 0, false});
  }
  ~FrameScope() { active_frames.pop_back(); }
  FrameScope(const FrameScope&) = delete;
  FrameScope& operator=(const FrameScope&) = delete;
};

const char* BeginStatement(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN";
}

// Runs fn; every exception becomes an Error.
Status Guarded(Session& session, const std::function<Status(Session&)>& fn) {
  try {
    return fn(session);
  } catch (...) {
    return tl::unexpected(ErrorFromCurrentException(!session.IsConnected()));
  }
}

Status RunStatement(Session& session, std::string_view sql) {
  return Guarded(session, [&](Session& s) -> Status {
    s.Execute(sql);
    return Ok();
  });
}

// Database::ReadSnapshot's transaction: one snapshot for all its statements, no write lock.
const char* SnapshotBeginStatement(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "BEGIN DEFERRED"
                                     : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

// `begin` ... COMMIT around fn on a session with no open transaction.
Status RunTransaction(Frame& frame, const std::function<Status(Session&)>& fn, const char* begin,
                      bool read_only = false) {
  Session& session = *frame.session;
  if (auto begun = RunStatement(session, begin); !begun) return begun;
  frame.in_transaction = true;
  frame.read_only = read_only;
  Status result = Guarded(session, fn);
  if (result) result = RunStatement(session, "COMMIT");
  if (!result) (void)RunStatement(session, "ROLLBACK");  // best effort; the error is `result`
  frame.in_transaction = false;
  frame.read_only = false;
  return result;
}

// Database::ReadSnapshot on a connection with no open transaction.
Status RunSnapshot(Frame& frame, const std::function<Status(Session&)>& fn) {
  return RunTransaction(frame, fn, SnapshotBeginStatement(frame.session->dialect()),
                        /*read_only=*/true);
}

// SAVEPOINT ... RELEASE around fn inside an open transaction, so a failed statement in fn
// rolls back only fn's work and leaves the outer transaction usable (PostgreSQL would
// otherwise reject every later statement until ROLLBACK).
Status RunSavepoint(Frame& frame, const std::function<Status(Session&)>& fn) {
  Session& session = *frame.session;
  const std::string name = "cg_sp_" + std::to_string(++frame.savepoints);
  Status result = RunStatement(session, "SAVEPOINT " + name);
  if (result) {
    result = Guarded(session, fn);
    if (result) {
      result = RunStatement(session, "RELEASE SAVEPOINT " + name);
    } else {
      (void)RunStatement(session, "ROLLBACK TO SAVEPOINT " + name);
      (void)RunStatement(session, "RELEASE SAVEPOINT " + name);
    }
  }
  --frame.savepoints;
  return result;
}

}  // namespace

struct Database::Impl {
  DatabaseUrl url;
  DatabaseOptions options;
  // SQLite has one writer at a time. Its busy handler waits for the write lock by sleeping (1, 2,
  // 5, 10 … ms), so concurrent transactions of this process queue here instead and take the lock
  // the moment it is free. Other processes (a CLI command) still meet the busy timeout.
  TimedLock sqlite_writer;

  Status Transaction(Frame& frame, const std::function<Status(Session&)>& fn) {
    const char* begin = BeginStatement(url.dialect);
    if (url.dialect != Dialect::kSqlite) return RunTransaction(frame, fn, begin);
    std::unique_lock writer(sqlite_writer, std::defer_lock);
    if (!writer.try_lock_for(options.sqlite_busy_timeout)) return tl::unexpected(WriterBusy());
    return RunTransaction(frame, fn, begin);
  }

  // Group commit (WithGroupedTransaction, storage/group_commit.hpp).
  struct GroupedItem : GroupCommit::Waiter {
    explicit GroupedItem(const std::function<Status(Session&)>* f) : fn(f) {}
    const std::function<Status(Session&)>* fn;
    Status result = Ok();
  };
  // A transaction queued by WithGroupedTransactionLater: owns its callback and hands the
  // outcome on once its batch is written.
  struct LaterItem final : GroupedItem {
    LaterItem(std::function<Status(Session&)> f, std::function<void(Status)> d)
        : GroupedItem(&own), own(std::move(f)), done(std::move(d)) {}
    void Written() override {
      try {
        done(std::move(result));
      } catch (...) {
        // Handing the outcome on must not throw (GroupCommit::Waiter::Written).
      }
    }
    std::function<Status(Session&)> own;
    std::function<void(Status)> done;
  };
  // Destroyed first (~Impl): what is queued later is written while the pool still exists.
  std::unique_ptr<GroupCommit> group = std::make_unique<GroupCommit>(kMaxGroupedTransactions);
  // The batches of WithGroupedTransaction and WithGroupedTransactionLater (set by Database).
  GroupCommit::Write write_group;

  void SetUpGroup(const Database* database) {
    write_group = [this, database](const std::vector<GroupCommit::Waiter*>& waiters) {
      std::vector<GroupedItem*> batch;
      batch.reserve(waiters.size());
      for (GroupCommit::Waiter* w : waiters) batch.push_back(static_cast<GroupedItem*>(w));
      WriteGroup(database, batch);
      return true;  // this group commit writes no follow-on batches
    };
  }

  Status Grouped(const std::function<Status(Session&)>& fn) {
    GroupedItem mine(&fn);
    group->Submit(mine, write_group);
    return std::move(mine.result);
  }

  static void FailAll(const std::vector<GroupedItem*>& batch, const Error& error) {
    for (GroupedItem* item : batch) item->result = tl::unexpected(error);
  }

  // One transaction around the batch's callbacks; sets every item's result.
  void WriteGroup(const Database* database, const std::vector<GroupedItem*>& batch) {
    auto session = Acquire();
    if (!session) return FailAll(batch, session.error());
    {
      FrameScope scope(database, session->get());
      Frame& frame = active_frames.back();
      if (batch.size() == 1) {
        const observability::ScopedRequestId request(
            observability::ScopedRequestId::Borrowed{batch.front()->request_id});
        batch.front()->result = Transaction(frame, *batch.front()->fn);
      } else {
        const observability::ScopedRequestId shared(
            observability::ScopedRequestId::Borrowed{""});  // BEGIN and COMMIT serve them all
        WriteBatch(frame, batch);
      }
    }
    Release(std::move(*session));
  }

  // BEGIN IMMEDIATE, each callback in its own savepoint, COMMIT.
  void WriteBatch(Frame& frame, const std::vector<GroupedItem*>& batch) {
    Session& session = *frame.session;
    std::unique_lock writer(sqlite_writer, std::defer_lock);
    if (!writer.try_lock_for(options.sqlite_busy_timeout)) return FailAll(batch, WriterBusy());
    if (auto begun = RunStatement(session, BeginStatement(session.dialect())); !begun) {
      return FailAll(batch, begun.error());
    }
    frame.in_transaction = true;
    bool any_ok = false;
    for (GroupedItem* item : batch) {
      {
        const observability::ScopedRequestId request(
            observability::ScopedRequestId::Borrowed{item->request_id});
        item->result = RunSavepoint(frame, *item->fn);
      }
      if (item->result) {
        any_ok = true;
      } else if (!session.InTransaction()) {
        // The database ended the transaction by itself (SQLite does after a full disk, say):
        // nothing of the batch is written, so every callback that succeeded or has not run yet
        // (its result is still Ok) fails with this one's error.
        Error lost = item->result.error();
        lost.message = "the transaction was rolled back: " + lost.message;
        for (GroupedItem* other : batch) {
          if (other == item || other->result) other->result = tl::unexpected(lost);
        }
        frame.in_transaction = false;
        return;
      }
    }
    const Status committed = any_ok ? RunStatement(session, "COMMIT") : Status(Ok());
    if (!any_ok || !committed) (void)RunStatement(session, "ROLLBACK");
    frame.in_transaction = false;
    if (committed) return;
    for (GroupedItem* item : batch) {
      if (item->result) item->result = tl::unexpected(committed.error());
    }
  }

  Error WriterBusy() const {
    return Error{ErrorCode::kUnavailable, "database: the write lock stayed busy for " +
                                              std::to_string(options.sqlite_busy_timeout.count()) +
                                              " ms"};
  }

  // Checkpoints off the commit path (DatabaseOptions::sqlite_checkpoint_frames): a commit that
  // leaves the log over the threshold wakes the checkpoint thread, which copies the log into
  // the database file on its own connection while writers go on (PASSIVE never blocks them);
  // the next write after a complete checkpoint starts the log again from its beginning.
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_wake;
  bool checkpoint_due = false;                // guarded by checkpoint_mutex
  bool checkpoint_stop = false;               // guarded by checkpoint_mutex
  std::atomic<bool> checkpoint_asked{false};  // set from a commit until the thread has run
  std::mutex checkpoint_running;              // held while a checkpoint of this Database runs
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> failed_checkpoints{0};
  std::atomic<std::uint64_t> commit_checkpoints{0};
  std::thread checkpointer;

  bool ChecksOwnCheckpoints() const {
    return url.dialect == Dialect::kSqlite && !url.IsInMemory() &&
           options.sqlite_checkpoint_frames > 0;
  }

  // The commit hook of every pooled connection; runs on the committing thread, which (in a
  // transaction) still holds sqlite_writer. When the checkpoint thread fell so far behind that
  // the log holds kCommitCheckpointFactor times the threshold, this commit waits for a running
  // checkpoint pass and checkpoints itself, holding this process's other writers off: the log
  // cannot grow past that bound by more than the commits of other processes.
  static constexpr std::size_t kCommitCheckpointFactor = 4;
  void AfterCommit(int frames, const std::function<void()>& checkpoint_here) {
    const auto n = static_cast<std::size_t>(frames);
    if (n < options.sqlite_checkpoint_frames) return;
    if (n >= kCommitCheckpointFactor * options.sqlite_checkpoint_frames) {
      std::lock_guard running(checkpoint_running);
      checkpoint_here();
      ++commit_checkpoints;
      return;
    }
    if (checkpoint_asked.exchange(true)) return;  // already asked, not yet run
    {
      std::lock_guard lock(checkpoint_mutex);
      checkpoint_due = true;
    }
    checkpoint_wake.notify_one();
  }

  void RunCheckpoints() {
    std::unique_ptr<Session> own;  // opened at the first checkpoint
    while (true) {
      {
        std::unique_lock lock(checkpoint_mutex);
        checkpoint_wake.wait(lock, [&] { return checkpoint_due || checkpoint_stop; });
        if (checkpoint_stop) return;
        checkpoint_due = false;
      }
      try {
        if (!own) own = Session::Connect(url, options);
        // Checkpoints of one database do not run at once (the second would fail at once).
        // Lock order: sqlite_writer before checkpoint_running, as in AfterCommit.
        {
          // The bulk of the log, while transactions go on committing.
          std::lock_guard running(checkpoint_running);
          own->Execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
        // Under steady writing the first pass never ends level with the log, and the log only
        // starts again from its beginning after a checkpoint that did: so the frames committed
        // meanwhile (few) are copied with this process's writers held off for that moment.
        std::unique_lock writer(sqlite_writer, std::defer_lock);
        if (writer.try_lock_for(options.sqlite_busy_timeout)) {
          std::lock_guard running(checkpoint_running);
          own->Execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
        ++checkpoints;
      } catch (...) {
        // A busy or broken connection: the next commit over the threshold asks again, on a
        // fresh connection.
        own.reset();
        ++failed_checkpoints;
      }
      checkpoint_asked = false;
    }
  }

  void StopCheckpoints() {
    if (!checkpointer.joinable()) return;
    {
      std::lock_guard lock(checkpoint_mutex);
      checkpoint_stop = true;
    }
    checkpoint_wake.notify_one();
    checkpointer.join();
  }

  ~Impl() {
    group.reset();
    StopCheckpoints();
  }

  std::mutex mutex;
  std::condition_variable available;
  std::vector<std::unique_ptr<Session>> idle;  // guarded by mutex
  std::size_t open_count = 0;                  // idle + borrowed; guarded by mutex

  Result<std::unique_ptr<Session>> Acquire() {
    {
      std::unique_lock lock(mutex);
      const bool ready = available.wait_for(lock, options.acquire_timeout, [&] {
        return !idle.empty() || open_count < options.pool_size;
      });
      if (!ready) {
        return Fail(ErrorCode::kUnavailable, "database: all " + std::to_string(options.pool_size) +
                                                 " connections busy for " +
                                                 std::to_string(options.acquire_timeout.count()) +
                                                 " ms");
      }
      if (!idle.empty()) {
        auto session = std::move(idle.back());
        idle.pop_back();
        return session;
      }
      ++open_count;  // reserve the slot, connect outside the lock
    }
    try {
      auto session = Session::Connect(url, options);
      if (ChecksOwnCheckpoints()) {
        session->OnWalCommit([this](int frames, const std::function<void()>& checkpoint_here) {
          AfterCommit(frames, checkpoint_here);
        });
      }
      return session;
    } catch (...) {
      Error error = ErrorFromCurrentException(/*connection_lost=*/true);
      error.message = "cannot connect to " + url.Redacted() + ": " + error.message;
      Release(nullptr);
      return tl::unexpected(std::move(error));
    }
  }

  // Returns a session to the pool; a null or disconnected one frees its slot instead, so the
  // next Acquire opens a fresh connection.
  void Release(std::unique_ptr<Session> session) {
    const bool keep = session != nullptr && session->IsConnected();
    std::unique_ptr<Session> discard;
    {
      std::lock_guard lock(mutex);
      if (keep) {
        idle.push_back(std::move(session));
      } else {
        discard = std::move(session);
        --open_count;
      }
    }
    available.notify_one();
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->SetUpGroup(this); }

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const DatabaseUrl& url, DatabaseOptions options) {
  if (url.IsInMemory()) options.pool_size = 1;
  options.pool_size = std::max<std::size_t>(options.pool_size, 1);
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->options = options;
  std::unique_ptr<Database> database(new Database(std::move(impl)));
  // Fail fast on a wrong URL or an unreachable server; the connection then stays pooled.
  auto first = database->impl_->Acquire();
  if (!first) return tl::unexpected(first.error());
  database->impl_->Release(std::move(*first));
  if (database->impl_->ChecksOwnCheckpoints()) {
    try {
      Impl& started = *database->impl_;
      started.checkpointer = std::thread([&started] { started.RunCheckpoints(); });
    } catch (const std::system_error& e) {
      return Fail(ErrorCode::kUnavailable,
                  std::string("database: cannot start the checkpoint thread: ") + e.what());
    }
  }
  return database;
}

Status Database::TruncateLog() {
  if (impl_->url.dialect != Dialect::kSqlite || impl_->url.IsInMemory()) return Ok();
  std::lock_guard running(impl_->checkpoint_running);
  return Run([](Session& s) -> Status {
    // PASSIVE first: it copies what it can without waiting. When a reader's older snapshot
    // (a long export, a backup) keeps frames back, TRUNCATE would hold the write lock while it
    // waits for that reader, up to the busy timeout, and every writer with it: leave the log
    // then (the caller sees its size).
    std::int64_t log = 0, copied = 0;
    s.Rows("PRAGMA wal_checkpoint(PASSIVE)", "busy, log, checkpointed", {}, [&](const Row& r) {
      log = r.Int64("log");
      copied = r.Int64("checkpointed");
    });
    if (copied < log) return Ok();
    s.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
    return Ok();
  });
}

std::uint64_t Database::checkpoints() const noexcept { return impl_->checkpoints.load(); }
std::uint64_t Database::failed_checkpoints() const noexcept {
  return impl_->failed_checkpoints.load();
}
std::uint64_t Database::commit_checkpoints() const noexcept {
  return impl_->commit_checkpoints.load();
}

Dialect Database::dialect() const noexcept { return impl_->url.dialect; }

const DatabaseUrl& Database::url() const noexcept { return impl_->url; }

std::size_t Database::pool_size() const noexcept { return impl_->options.pool_size; }
const crypto::Keyring* Database::keyring() const noexcept { return impl_->options.keyring.get(); }

// (The group is gone only while the Database is being destroyed.)
std::size_t Database::grouped_waiting() const { return impl_->group ? impl_->group->waiting() : 0; }
std::uint64_t Database::grouped_batches() const {
  return impl_->group ? impl_->group->batches() : 0;
}
std::uint64_t Database::grouped_transactions() const {
  return impl_->group ? impl_->group->items() : 0;
}

bool Database::InsideRun() const noexcept { return FindFrame(this) != nullptr; }

Status Database::Ping() {
  return Run([](Session& session) -> Status {
    session.Execute("SELECT 1");
    return Ok();
  });
}

void Database::WithGroupedTransactionLater(std::function<Status(Session&)> fn,
                                           std::function<void(Status)> done) {
  if (FindFrame(this) == nullptr && impl_->url.dialect == Dialect::kSqlite) {
    impl_->group->SubmitLater(std::make_unique<Impl::LaterItem>(std::move(fn), std::move(done)),
                              impl_->write_group);
    return;
  }
  done(Execute(Mode::kGrouped, fn));
}

Status Database::Execute(Mode mode, const std::function<Status(Session&)>& fn) {
  MayBlock("database");
  if (mode == Mode::kGrouped) {
    if (FindFrame(this) == nullptr && impl_->url.dialect == Dialect::kSqlite) {
      return impl_->Grouped(fn);
    }
    mode = Mode::kTransaction;
  }
  if (Frame* frame = FindFrame(this)) {
    if (frame->in_transaction && frame->read_only && mode != Mode::kSnapshot &&
        mode != Mode::kAutocommit && mode != Mode::kJoined) {
      return Fail(ErrorCode::kInternal, "database: a transaction inside a read snapshot");
    }
    if (frame->in_transaction && !frame->read_only && mode == Mode::kSnapshot) {
      // The outer transaction's statements may already have seen other moments.
      return Fail(ErrorCode::kInternal, "database: a read snapshot inside a transaction");
    }
    if (frame->in_transaction) {
      return mode == Mode::kJoined ? Guarded(*frame->session, fn) : RunSavepoint(*frame, fn);
    }
    if (mode == Mode::kTransaction) return impl_->Transaction(*frame, fn);
    if (mode == Mode::kSnapshot) return RunSnapshot(*frame, fn);
    return Guarded(*frame->session, fn);
  }

  auto session = impl_->Acquire();
  if (!session) return tl::unexpected(session.error());
  Status result;
  {
    FrameScope scope(this, session->get());
    Frame& frame = active_frames.back();
    if (mode == Mode::kTransaction) {
      result = impl_->Transaction(frame, fn);
    } else if (mode == Mode::kSnapshot) {
      result = RunSnapshot(frame, fn);
    } else {
      result = Guarded(**session, fn);
    }
  }
  impl_->Release(std::move(*session));
  return result;
}

}  // namespace callgate::storage
