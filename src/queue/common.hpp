#pragma once
// Internal to the queue module: validation, reservation tokens and the failed_jobs SQL that
// both drivers share. Call the Session functions inside Database::Run/WithTransaction.

#include <chrono>
#include <functional>
#include <mutex>
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

// An error text as the queue stores it (failed_jobs.error, jobs.last_error, a Redis job's
// last_error): MaskPersonalData'd, since third-party texts (Cal.com's messages, …) may carry a
// phone number or an e-mail address and the stored text is shown in the dashboard.
std::string StoredError(std::string_view error);

// Inserts a failed_jobs row for `job` (driver-independent copy of its fields, the error as
// StoredError); returns its id.
std::int64_t InsertFailedJob(storage::Session& session, const Job& job, std::string_view error,
                             SystemTimePoint now);

// Rows in failed_jobs.
std::int64_t CountFailedJobs(storage::Session& session);

// kConflict: `job`'s reservation is no longer this worker's (its lease ran out and another
// worker reserved it), so the outcome is not recorded.
Status LeaseLost(const Job& job);

// The workers' wake-up callback (JobBackend::SetWakeCallback), set and fired from any thread;
// fired outside the lock so the callback may call back into the queue.
class WakeHook {
 public:
  void Set(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }
  void Fire() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      wake = wake_;
    }
    if (wake) wake();
  }

 private:
  std::mutex mutex_;
  std::function<void()> wake_;  // guarded by mutex_
};

}  // namespace callgate::queue::internal
