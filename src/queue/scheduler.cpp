#include "queue/scheduler.hpp"

#include "observability/log.hpp"
#include "redis/client_pool.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

namespace obs = observability;
using storage::Params;
using storage::Session;

}  // namespace

DatabaseSchedulerLock::DatabaseSchedulerLock(storage::Database& db, const Clock& clock,
                                             std::string owner)
    : db_(db), clock_(clock), owner_(std::move(owner)) {}

Result<bool> DatabaseSchedulerLock::ClaimAndRun(std::string_view name, SystemTimePoint start,
                                                SystemTimePoint end,
                                                const std::function<Status()>& fire) {
  const SystemTimePoint now = clock_.Now();
  return db_.WithTransaction([&](Session& s) -> Result<bool> {
    // PostgreSQL: a concurrent claimer waits on the row lock and then re-checks the condition
    // against the committed row, so exactly one UPDATE (or INSERT) succeeds per period.
    long long claimed = s.Execute(
        "UPDATE scheduler_locks SET owner = :owner, locked_until = :end, updated_at = :now "
        "WHERE name = :name AND locked_until <= :start",
        Params().Add(owner_).Add(end).Add(now).Add(name).Add(start));
    if (claimed == 0) {
      claimed = s.Execute(
          "INSERT INTO scheduler_locks (name, owner, locked_until, updated_at) "
          "VALUES (:name, :owner, :end, :now) ON CONFLICT (name) DO NOTHING",
          Params().Add(name).Add(owner_).Add(end).Add(now));
    }
    if (claimed == 0) return false;
    if (auto fired = fire(); !fired) return tl::unexpected(fired.error());  // rolls back
    return true;
  });
}

RedisSchedulerLock::RedisSchedulerLock(redis::ClientPool& redis, const Clock& clock,
                                       std::string owner, std::string key_prefix)
    : redis_(redis), clock_(clock), owner_(std::move(owner)), key_prefix_(std::move(key_prefix)) {}

Result<bool> RedisSchedulerLock::ClaimAndRun(std::string_view name, SystemTimePoint start,
                                             SystemTimePoint end,
                                             const std::function<Status()>& fire) {
  const std::string key =
      key_prefix_ + "sched:" + std::string(name) + ":" + std::to_string(ToUnixMillis(start));
  // Keep the key until the period is over (plus a margin for clock skew between instances).
  const auto ttl = std::max<long long>(ToUnixMillis(end) - ToUnixMillis(clock_.Now()), 0) + 60000;
  auto set = redis_.Command({"SET", key, owner_, "NX", "PX", std::to_string(ttl)});
  if (!set) return tl::unexpected(set.error());
  if (set->IsNil()) return false;
  if (auto fired = fire(); !fired) {
    (void)redis_.Command({"DEL", key});
    return tl::unexpected(fired.error());
  }
  return true;
}

Scheduler::Scheduler(SchedulerLock& lock, JobQueue& queue, const Clock& clock,
                     SchedulerOptions options)
    : lock_(lock), queue_(queue), clock_(clock), options_(options) {}

Scheduler::~Scheduler() { Stop(); }

Status Scheduler::Add(PeriodicTask task) {
  if (task.name.empty()) return Fail(ErrorCode::kInvalidArgument, "periodic task needs a name");
  if (task.period < std::chrono::seconds(1)) {
    return Fail(ErrorCode::kInvalidArgument,
                "periodic task \"" + task.name + "\": period must be at least 1 s");
  }
  std::lock_guard lock(mutex_);
  for (const Entry& entry : entries_) {
    if (entry.task.name == task.name) {
      return Fail(ErrorCode::kAlreadyExists, "periodic task \"" + task.name + "\" added twice");
    }
  }
  entries_.push_back(Entry{std::move(task)});
  return Ok();
}

std::size_t Scheduler::RunDue() {
  std::lock_guard lock(mutex_);
  const long long now = ToUnixMillis(clock_.Now());
  std::size_t fired = 0;
  for (Entry& entry : entries_) {
    const long long period = entry.task.period.count();
    const long long start = now - now % period;
    if (entry.done_period_start == start) continue;
    auto claimed = lock_.ClaimAndRun(entry.task.name, FromUnixMillis(start),
                                     FromUnixMillis(start + period), [&]() -> Status {
                                       auto id = queue_.Enqueue(entry.task.job);
                                       if (!id) return tl::unexpected(id.error());
                                       return Ok();
                                     });
    if (!claimed) {
      obs::LogWarn("scheduled_task_failed",
                   {{"task", entry.task.name}, {"error", claimed.error().message}});
      continue;
    }
    entry.done_period_start = start;
    if (*claimed) {
      ++fired;
      obs::LogInfo(
          "scheduled_task_enqueued",
          {{"task", entry.task.name}, {"type", entry.task.job.type}, {"period_start_ms", start}});
    }
  }
  return fired;
}

Status Scheduler::Start() {
  std::lock_guard lock(thread_mutex_);
  if (thread_.joinable()) return Ok();
  stopping_ = false;
  thread_ = std::thread([this] {
    while (true) {
      RunDue();
      std::unique_lock wait_lock(thread_mutex_);
      if (wake_.wait_for(wait_lock, options_.tick, [&] { return stopping_; })) break;
    }
  });
  return Ok();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(thread_mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace callgate::queue
