#pragma once
// RedisJobQueue: the queue driver for several instances sharing Redis, with the database as the
// durable entry point (transactional outbox).
//
// Enqueue writes an `job_outbox` row through the application database, so inside
// Database::WithTransaction it commits or rolls back with the caller's data. A relay (a thread
// started by Start(), or RelayOnce()) copies committed outbox rows to Redis and then deletes
// them. Copying is idempotent (a marker key per outbox id, kept for `relay_marker_ttl`), so a
// relay that dies between the Redis push and the delete, or two relays racing, never create a
// job twice. Nothing is lost when the process dies after commit: the row waits for any relay.
//
// Redis layout under `key_prefix` (one logical database, not Redis Cluster):
//   q:<queue>          list of ready job ids (LPUSH to enqueue, RPOP to reserve: FIFO)
//   delayed:<queue>    sorted set id → due time (ms), for delayed jobs and retry backoff
//   reserved:<queue>   sorted set id → lease end (ms); expired entries are reclaimed
//   job:<id>           hash with the job's fields and the current reservation token
//   relayed:<id>       outbox marker (see above)
// Each state change is one Lua script, so it is atomic. Job ids are the outbox row ids.
// Failed jobs go to the database's failed_jobs table like with the database driver.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "queue/common.hpp"
#include "queue/job_backend.hpp"

namespace callgate::storage {
class Database;
}
namespace callgate::redis {
class ClientPool;
}

namespace callgate::queue {

struct RedisQueueOptions {
  std::string key_prefix = "callgate:queue:";
  // How often the relay looks for committed outbox rows when nothing woke it (real time).
  std::chrono::milliseconds relay_interval{200};
  // Outbox rows copied per relay round trip.
  std::size_t relay_batch = 100;
  // How long the relay remembers an outbox id it has copied (dedupe window, Clock time).
  std::chrono::milliseconds relay_marker_ttl{std::chrono::hours(24)};
};

class RedisJobQueue final : public JobBackend {
 public:
  // Everything passed by reference must outlive the queue.
  RedisJobQueue(storage::Database& db, redis::ClientPool& redis, const Clock& clock,
                RedisQueueOptions options = {});
  // Stop().
  ~RedisJobQueue() override;

  // Inserts the outbox row (joining the caller's transaction) and wakes the relay. kUnavailable
  // only when the database is down; Redis being down delays the job, it does not fail it.
  Result<std::int64_t> Enqueue(const NewJob& job) override;
  Result<std::optional<Job>> Reserve(const ReserveOptions& options) override;
  Status Complete(const Job& job) override;
  Status Retry(const Job& job, std::chrono::milliseconds delay, std::string_view error) override;
  // Records the job in failed_jobs (committed first), then removes it from Redis. If the
  // process dies in between, the job is reclaimed after its lease and recorded again
  // (at-least-once: a duplicate failed_jobs row is possible, a lost one is not).
  Status MoveToFailed(const Job& job, std::string_view error) override;
  Status Release(const Job& job) override;
  // Redis depths plus failed_jobs and job_outbox counts from the database.
  Result<QueueStats> Stats() override;
  void SetWakeCallback(std::function<void()> wake) override;

  // Starts the relay thread. Idempotent.
  Status Start() override;
  // Stops the relay thread after one last relay attempt. Idempotent.
  void Stop() override;

  // Copies up to relay_batch committed outbox rows to Redis and deletes them; returns how many
  // rows it handled. kUnavailable when Redis or the database is down (rows stay in the outbox).
  // Thread-safe; used by the relay thread, tests and benchmarks.
  Result<std::size_t> RelayOnce();

 private:
  void RelayLoop();
  void WakeWorkers();
  std::string Key(std::string_view suffix) const;

  storage::Database& db_;
  redis::ClientPool& redis_;
  const Clock& clock_;
  const RedisQueueOptions options_;

  internal::WakeHook wake_;

  std::mutex relay_mutex_;
  std::condition_variable relay_wake_;
  bool relay_pending_ = false;   // guarded by relay_mutex_: an enqueue happened since last round
  bool relay_stopping_ = false;  // guarded by relay_mutex_
  std::thread relay_thread_;
};

}  // namespace callgate::queue
