#include "queue/job_admin.hpp"

#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

using storage::Params;
using storage::Row;
using storage::Session;

constexpr std::string_view kFailedColumns =
    "id, job_id, queue, type, payload, attempts, error, request_id, failed_at";

FailedJob DecodeFailed(const Row& row) {
  FailedJob job;
  job.id = row.Int64("id");
  job.job_id = row.OptionalInt64("job_id").value_or(0);
  job.queue = row.String("queue");
  job.type = row.String("type");
  job.payload_json = row.String("payload");
  job.attempts = row.Int("attempts");
  job.error = row.String("error");
  job.request_id = row.OptionalString("request_id").value_or("");
  job.failed_at = row.Time("failed_at");
  return job;
}

Status NoSuchFailedJob(std::int64_t id) {
  return Fail(ErrorCode::kNotFound, "no failed job with id " + std::to_string(id));
}

}  // namespace

JobAdmin::JobAdmin(storage::Database& db, JobBackend& backend) : db_(db), backend_(backend) {}

Result<QueueStats> JobAdmin::Stats() { return backend_.Stats(); }

Result<std::vector<FailedJob>> JobAdmin::ListFailed(std::size_t limit) {
  return db_.Run([&](Session& s) -> Result<std::vector<FailedJob>> {
    std::vector<FailedJob> out;
    s.Query(kFailedColumns, "FROM failed_jobs ORDER BY failed_at DESC, id DESC LIMIT :limit",
            Params().Add(static_cast<long long>(limit)),
            [&](const Row& row) { out.push_back(DecodeFailed(row)); });
    return out;
  });
}

Result<std::int64_t> JobAdmin::Retry(std::int64_t failed_id) {
  return db_.WithTransaction([&](Session& s) -> Result<std::int64_t> {
    std::optional<FailedJob> failed;
    s.Query(kFailedColumns, "FROM failed_jobs WHERE id = :id", Params().Add(failed_id),
            [&](const Row& row) { failed = DecodeFailed(row); });
    if (!failed) return tl::unexpected(NoSuchFailedJob(failed_id).error());
    NewJob job;
    job.type = failed->type;
    job.queue = IsKnownQueue(failed->queue) ? failed->queue : std::string(kDefault);
    job.payload_json = failed->payload_json;
    job.request_id = failed->request_id;
    // Joins this transaction (both drivers write through the database), so the failed record
    // disappears exactly when the new job exists.
    auto id = backend_.Enqueue(job);
    if (!id) return tl::unexpected(id.error());
    s.Execute("DELETE FROM failed_jobs WHERE id = :id", Params().Add(failed_id));
    return *id;
  });
}

Result<std::size_t> JobAdmin::RetryAll() {
  auto ids = db_.Run([&](Session& s) -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> out;
    s.Query("id", "FROM failed_jobs ORDER BY id", {},
            [&](const Row& row) { out.push_back(row.Int64("id")); });
    return out;
  });
  if (!ids) return tl::unexpected(ids.error());
  std::size_t retried = 0;
  for (std::int64_t id : *ids) {
    auto job = Retry(id);
    if (!job && job.error().code == ErrorCode::kNotFound) continue;  // forgotten meanwhile
    if (!job) return tl::unexpected(job.error());
    ++retried;
  }
  return retried;
}

Status JobAdmin::Forget(std::int64_t failed_id) {
  return db_.Run([&](Session& s) -> Status {
    const long long n =
        s.Execute("DELETE FROM failed_jobs WHERE id = :id", Params().Add(failed_id));
    return n == 1 ? Ok() : NoSuchFailedJob(failed_id);
  });
}

Result<std::int64_t> DeleteFailedJobsBefore(storage::Database& db, SystemTimePoint cutoff) {
  return db.Run([&](Session& s) -> Result<std::int64_t> {
    return static_cast<std::int64_t>(
        s.Execute("DELETE FROM failed_jobs WHERE failed_at < :cutoff", Params().Add(cutoff)));
  });
}

}  // namespace callgate::queue
