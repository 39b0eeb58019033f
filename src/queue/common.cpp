#include "queue/common.hpp"

#include <unistd.h>

#include <atomic>
#include <random>

#include "core/masking.hpp"
#include "observability/log.hpp"
#include "storage/session.hpp"

namespace callgate::queue::internal {

Status ValidateNewJob(const NewJob& job) {
  if (job.type.empty() || job.type.size() > 100) {
    return Fail(ErrorCode::kInvalidArgument, "job type must have 1 to 100 characters");
  }
  if (!IsKnownQueue(job.queue)) {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown queue \"" + job.queue + "\" (use high, default or low)");
  }
  if (job.delay.count() < 0) return Fail(ErrorCode::kInvalidArgument, "negative job delay");
  return Ok();
}

std::string PayloadOrEmptyObject(const std::string& payload_json) {
  return payload_json.empty() ? std::string("{}") : payload_json;
}

std::string RequestIdFor(const NewJob& job) {
  if (!job.request_id.empty()) return job.request_id;
  return std::string(observability::CurrentRequestId());
}

std::string NewReservationToken(std::string_view worker_id) {
  // The nonce tells apart processes that reuse a pid (a restarted worker must never match a
  // reservation its crashed predecessor left behind).
  static const std::string nonce = [] {
    std::mt19937_64 random(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
    constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t value = random();
    std::string out;
    for (int i = 0; i < 12; ++i, value >>= 4) out.push_back(kHex[value & 0xf]);
    return out;
  }();
  static std::atomic<std::uint64_t> counter{0};
  return std::string(worker_id) + "/" + nonce + "-" + std::to_string(++counter);
}

std::chrono::milliseconds LeaseFor(const ReserveOptions& options, std::string_view type) {
  if (auto it = options.lease_by_type.find(type); it != options.lease_by_type.end()) {
    return it->second;
  }
  return options.lease;
}

std::string StoredError(std::string_view error) { return MaskPersonalData(error); }

std::int64_t InsertFailedJob(storage::Session& session, const Job& job, std::string_view error,
                             SystemTimePoint now) {
  return session.InsertReturningId(
      "INSERT INTO failed_jobs (job_id, queue, type, payload, attempts, error, request_id, "
      "failed_at, created_at, updated_at) VALUES (:job_id, :queue, :type, :payload, :attempts, "
      ":error, :request_id, :failed_at, :created_at, :updated_at) RETURNING id",
      storage::Params()
          .Add(job.id)
          .Add(job.queue)
          .Add(job.type)
          .Add(PayloadOrEmptyObject(job.payload_json))
          .Add(job.attempts)
          .Add(StoredError(error))
          .Add(job.request_id.empty() ? std::optional<std::string>()
                                      : std::optional<std::string>(job.request_id))
          .Add(now)
          .Add(now)
          .Add(now));
}

std::int64_t CountFailedJobs(storage::Session& session) {
  std::int64_t count = 0;
  session.Query("COUNT(*) AS n", "FROM failed_jobs", {},
                [&](const storage::Row& row) { count = row.Int64("n"); });
  return count;
}

Status LeaseLost(const Job& job) {
  return Fail(ErrorCode::kConflict,
              "job " + std::to_string(job.id) + ": lease lost (reclaimed by another worker)");
}

}  // namespace callgate::queue::internal
