#pragma once
// JobBackend: a queue driver as workers and operators see it. It extends the JobQueue port
// (what producers use) with reservation under a lease, completion, retry, moving exhausted
// jobs to `failed_jobs`, and statistics. Drivers: DatabaseJobQueue (queue/database_job_queue.hpp)
// and RedisJobQueue (queue/redis_job_queue.hpp); both keep failed jobs in the database.
//
// Delivery is at-least-once: a reservation expires at its lease end, after which any worker may
// reserve the job again (crash recovery). Every call that acts on a reservation names it by the
// Job it returned; when the lease was lost meanwhile (the job was reclaimed and reserved by
// someone else) the call changes nothing and fails with kConflict.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_queue.hpp"

namespace callgate::queue {

// One reserved job, handed to its handler.
struct Job {
  std::int64_t id = 0;
  std::string queue;
  std::string type;
  std::string payload_json;
  std::string request_id;  // of the request that enqueued it; may be empty
  int attempts = 0;        // runs started so far, this one included (1 on the first run)
  std::string last_error;  // the previous attempt's error, empty on the first run
  SystemTimePoint created_at{};
  SystemTimePoint reserved_until{};  // lease end; the job may run again elsewhere after it
  std::string reservation;           // opaque token naming this reservation (driver-internal)
};

struct ReserveOptions {
  // Queues to take from, highest priority first: a job of queues[0] is always taken before any
  // job of queues[1], and so on.
  std::vector<std::string> queues = {std::string(kHigh), std::string(kDefault), std::string(kLow)};
  // Lease of a reserved job, unless its type has its own entry in lease_by_type.
  std::chrono::milliseconds lease{std::chrono::seconds(90)};
  std::map<std::string, std::chrono::milliseconds, std::less<>> lease_by_type;
  // Who reserves (host:pid:thread); stored with the reservation for operators.
  std::string worker_id = "worker";
};

struct QueueDepth {
  std::string queue;
  std::int64_t ready = 0;     // due now, waiting for a worker
  std::int64_t delayed = 0;   // due later (delayed enqueue or retry backoff)
  std::int64_t reserved = 0;  // running (lease not expired)
};

struct QueueStats {
  std::vector<QueueDepth> queues;  // high, default, low
  std::int64_t failed = 0;         // rows in failed_jobs
  std::int64_t outbox = 0;         // committed but not yet relayed to Redis (Redis driver)
};

class JobBackend : public JobQueue {
 public:
  // Reserves the next due job of the first non-empty queue in `options.queues`, oldest first,
  // with a lease of now + lease and attempts incremented; nullopt when nothing is due. Jobs
  // whose lease has expired are due again. kUnavailable when the store cannot be reached.
  // Thread-safe; concurrent callers (threads or processes) never get the same reservation.
  virtual Result<std::optional<Job>> Reserve(const ReserveOptions& options) = 0;

  // The job succeeded: removes it. kConflict when the lease was lost. Thread-safe.
  virtual Status Complete(const Job& job) = 0;

  // The attempt failed and the job will run again no earlier than now + delay; `error` is kept
  // as last_error. kConflict when the lease was lost. Thread-safe.
  virtual Status Retry(const Job& job, std::chrono::milliseconds delay, std::string_view error) = 0;

  // The job has exhausted its tries: records it in failed_jobs with `error` and removes it.
  // kConflict when the lease was lost. Thread-safe.
  virtual Status MoveToFailed(const Job& job, std::string_view error) = 0;

  // Gives a reserved job back unrun (shutdown): due now, this attempt not counted. kConflict
  // when the lease was lost. Thread-safe.
  virtual Status Release(const Job& job) = 0;

  // Depth per queue, failed count, relay backlog. kUnavailable when a store is down.
  // Thread-safe.
  virtual Result<QueueStats> Stats() = 0;

  // `wake` is called (from any thread) whenever this process may have made work available,
  // e.g. after an enqueue; workers use it to poll at once instead of after their poll
  // interval. The call may come before the enqueuing transaction commits. Pass {} to clear.
  // Thread-safe.
  virtual void SetWakeCallback(std::function<void()> wake) = 0;

  // Starts / stops background work of the driver (the Redis driver's outbox relay); no-ops for
  // the database driver. Stop() is idempotent.
  virtual Status Start() { return Ok(); }
  virtual void Stop() {}
};

}  // namespace callgate::queue
