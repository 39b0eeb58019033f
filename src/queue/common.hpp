#pragma once
// Internal to the queue module: validation, reservation tokens and the failed_jobs SQL that
// both drivers share. Call the Session functions inside Database::Run/WithTransaction.

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_backend.hpp"

namespace callgate::storage {
class Session;
}

namespace callgate::queue::internal {

// kInvalidArgument for an unknown queue, an empty or over-long type, a negative delay.
Status ValidateNewJob(const NewJob& job);

// The payload to store: "{}" for an empty one.
std::string PayloadOrEmptyObject(const std::string& payload_json);

// The request id to store: the job's own, else the current thread's (ScopedRequestId).
std::string RequestIdFor(const NewJob& job);

// A token unique to one reservation across processes and restarts: "<worker_id>/<nonce>-<n>".
std::string NewReservationToken(std::string_view worker_id);

// The lease for a job of `type` under `options`.
std::chrono::milliseconds LeaseFor(const ReserveOptions& options, std::string_view type);

// Inserts a failed_jobs row for `job` (driver-independent copy of its fields); returns its id.
std::int64_t InsertFailedJob(storage::Session& session, const Job& job, std::string_view error,
                             SystemTimePoint now);

// Rows in failed_jobs.
std::int64_t CountFailedJobs(storage::Session& session);

}  // namespace callgate::queue::internal
