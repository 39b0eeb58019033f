#include "queue/database_job_queue.hpp"

#include "queue/common.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

using storage::Dialect;
using storage::Params;
using storage::Row;
using storage::Session;

constexpr std::string_view kJobColumns =
    "id, queue, type, payload, attempts, request_id, last_error, created_at";

Job DecodeJob(const Row& row) {
  Job job;
  job.id = row.Int64("id");
  job.queue = row.String("queue");
  job.type = row.String("type");
  job.payload_json = row.String("payload");
  job.attempts = row.Int("attempts");
  job.request_id = row.OptionalString("request_id").value_or("");
  job.last_error = row.OptionalString("last_error").value_or("");
  job.created_at = row.Time("created_at");
  return job;
}

// The oldest due job of `queue`, locked for this transaction on PostgreSQL (rows other workers
// hold are skipped, not waited for).
std::optional<Job> SelectDue(Session& session, std::string_view queue, SystemTimePoint now,
                             bool lock) {
  std::string rest =
      "FROM jobs WHERE queue = :queue AND available_at <= :now AND "
      "(reserved_until IS NULL OR reserved_until <= :now2) ORDER BY available_at, id LIMIT 1";
  if (lock && session.dialect() == Dialect::kPostgresql) rest += " FOR UPDATE SKIP LOCKED";
  std::optional<Job> job;
  session.Query(kJobColumns, rest, Params().Add(queue).Add(now).Add(now),
                [&](const Row& row) { job = DecodeJob(row); });
  return job;
}

bool AnyDue(Session& session, const ReserveOptions& options, SystemTimePoint now) {
  for (const auto& queue : options.queues) {
    if (SelectDue(session, queue, now, /*lock=*/false)) return true;
  }
  return false;
}

}  // namespace

DatabaseJobQueue::DatabaseJobQueue(storage::Database& db, const Clock& clock)
    : db_(db), clock_(clock) {}

void DatabaseJobQueue::SetWakeCallback(std::function<void()> wake) { wake_.Set(std::move(wake)); }

void DatabaseJobQueue::WakeWorkers() { wake_.Fire(); }

Result<std::int64_t> DatabaseJobQueue::Enqueue(const NewJob& job) {
  if (auto valid = internal::ValidateNewJob(job); !valid) return tl::unexpected(valid.error());
  const SystemTimePoint now = clock_.Now();
  const std::string request_id = internal::RequestIdFor(job);
  auto id = db_.Run([&](Session& s) -> Result<std::int64_t> {
    return s.InsertReturningId(
        "INSERT INTO jobs (queue, type, payload, available_at, request_id, created_at, "
        "updated_at) VALUES (:queue, :type, :payload, :available_at, :request_id, :created_at, "
        ":updated_at) RETURNING id",
        Params()
            .Add(job.queue)
            .Add(job.type)
            .Add(internal::PayloadOrEmptyObject(job.payload_json))
            .Add(now + job.delay)
            .Add(request_id.empty() ? std::optional<std::string>() : request_id)
            .Add(now)
            .Add(now));
  });
  if (id && job.delay.count() == 0) WakeWorkers();
  return id;
}

Result<std::optional<Job>> DatabaseJobQueue::Reserve(const ReserveOptions& options) {
  const SystemTimePoint now = clock_.Now();
  if (db_.dialect() == Dialect::kSqlite) {
    // An empty poll must not take SQLite's single write lock (it would stall webhook writes).
    auto any = db_.Run([&](Session& s) -> Result<bool> { return AnyDue(s, options, now); });
    if (!any) return tl::unexpected(any.error());
    if (!*any) return std::optional<Job>();
  }
  const std::string token = internal::NewReservationToken(options.worker_id);
  return db_.WithTransaction([&](Session& s) -> Result<std::optional<Job>> {
    for (const auto& queue : options.queues) {
      std::optional<Job> job = SelectDue(s, queue, now, /*lock=*/true);
      if (!job) continue;
      const SystemTimePoint until = now + internal::LeaseFor(options, job->type);
      s.Execute(
          "UPDATE jobs SET attempts = attempts + 1, reserved_until = :until, reserved_by = "
          ":token, available_at = :available_at, updated_at = :now WHERE id = :id",
          Params().Add(until).Add(token).Add(until).Add(now).Add(job->id));
      job->attempts += 1;
      job->reserved_until = until;
      job->reservation = token;
      return job;
    }
    return std::optional<Job>();
  });
}

Status DatabaseJobQueue::Complete(const Job& job) {
  return db_.Run([&](Session& s) -> Status {
    const long long n = s.Execute("DELETE FROM jobs WHERE id = :id AND reserved_by = :token",
                                  Params().Add(job.id).Add(job.reservation));
    return n == 1 ? Ok() : internal::LeaseLost(job);
  });
}

Status DatabaseJobQueue::Retry(const Job& job, std::chrono::milliseconds delay,
                               std::string_view error) {
  const SystemTimePoint now = clock_.Now();
  return db_.Run([&](Session& s) -> Status {
    const long long n = s.Execute(
        "UPDATE jobs SET available_at = :available_at, reserved_until = NULL, reserved_by = NULL, "
        "last_error = :error, updated_at = :now WHERE id = :id AND reserved_by = :token",
        Params()
            .Add(now + delay)
            .Add(internal::StoredError(error))
            .Add(now)
            .Add(job.id)
            .Add(job.reservation));
    return n == 1 ? Ok() : internal::LeaseLost(job);
  });
}

Status DatabaseJobQueue::MoveToFailed(const Job& job, std::string_view error) {
  const SystemTimePoint now = clock_.Now();
  return db_.WithTransaction([&](Session& s) -> Status {
    // Delete first: it proves the reservation is still ours before anything is recorded.
    const long long n = s.Execute("DELETE FROM jobs WHERE id = :id AND reserved_by = :token",
                                  Params().Add(job.id).Add(job.reservation));
    if (n != 1) return internal::LeaseLost(job);
    internal::InsertFailedJob(s, job, error, now);
    return Ok();
  });
}

Status DatabaseJobQueue::Release(const Job& job) {
  const SystemTimePoint now = clock_.Now();
  auto released = db_.Run([&](Session& s) -> Status {
    const long long n = s.Execute(
        "UPDATE jobs SET available_at = :now, reserved_until = NULL, reserved_by = NULL, "
        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = :now2 "
        "WHERE id = :id AND reserved_by = :token",
        Params().Add(now).Add(now).Add(job.id).Add(job.reservation));
    return n == 1 ? Ok() : internal::LeaseLost(job);
  });
  if (released) WakeWorkers();
  return released;
}

Result<QueueStats> DatabaseJobQueue::Stats() {
  const SystemTimePoint now = clock_.Now();
  return db_.Run([&](Session& s) -> Result<QueueStats> {
    QueueStats stats;
    for (std::string_view name : {kHigh, kDefault, kLow}) {
      stats.queues.push_back(QueueDepth{std::string(name), 0, 0, 0});
    }
    s.Query(
        "queue, "
        "SUM(CASE WHEN reserved_until IS NOT NULL AND reserved_until > :a THEN 1 ELSE 0 END) "
        "AS reserved, "
        "SUM(CASE WHEN (reserved_until IS NULL OR reserved_until <= :b) AND available_at <= :c "
        "THEN 1 ELSE 0 END) AS ready, "
        "SUM(CASE WHEN (reserved_until IS NULL OR reserved_until <= :d) AND available_at > :e "
        "THEN 1 ELSE 0 END) AS delayed",
        "FROM jobs GROUP BY queue", Params().Add(now).Add(now).Add(now).Add(now).Add(now),
        [&](const Row& row) {
          const std::string queue = row.String("queue");
          for (auto& depth : stats.queues) {
            if (depth.queue == queue) {
              depth.ready = row.Int64("ready");
              depth.delayed = row.Int64("delayed");
              depth.reserved = row.Int64("reserved");
            }
          }
        });
    stats.failed = internal::CountFailedJobs(s);
    return stats;
  });
}

}  // namespace callgate::queue
