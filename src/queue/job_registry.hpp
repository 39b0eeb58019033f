#pragma once
// JobRegistry: what a worker can run. Per job type a handler plus options (queue, tries,
// backoff, timeout, lease) and an optional hook for when the job has failed for good.
//
//   registry.Register("call_analysis", [&](const Job& job) { return analysis.Run(job); },
//                     {.queue = "default", .tries = 3});
//
// Handlers must be idempotent: delivery is at-least-once (a job whose worker crashed runs again
// after its lease, and a job that succeeded just as its lease expired may run twice).

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "queue/job_backend.hpp"

namespace callgate::queue {

struct JobOptions {
  // The queue JobRegistry::MakeJob puts jobs of this type on.
  std::string queue = std::string(kDefault);
  // Runs at most (first run included); then the job moves to failed_jobs.
  int tries = 3;
  // Wait before run n+1 after run n failed: backoff[n-1], the last entry repeating.
  std::vector<std::chrono::milliseconds> backoff = {
      std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::seconds(60)};
  // How long one run may take. Handlers cannot be interrupted, so this is a budget they must
  // keep with their own I/O timeouts; a longer run is logged (job_timeout_exceeded).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Reservation lease; 0 means timeout + 30 s. A job whose worker died runs again after it.
  std::chrono::milliseconds lease{0};

  std::chrono::milliseconds EffectiveLease() const;
  // The wait after run `attempt` (1-based) failed.
  std::chrono::milliseconds BackoffAfter(int attempt) const;
};

// Runs one job. Ok → the job is done; an error → retry with backoff, or failed when the tries
// are used up. Exceptions are caught by the worker and treated as kInternal errors.
using JobHandler = std::function<Status(const Job&)>;

// Runs when a job has failed for good, with its last error, before the job moves to
// failed_jobs (e.g. to release the slot a pending booking held, or to record the failure on the
// call whose analysis failed). Ok → the job moves to failed_jobs. An error or an exception →
// the job stays queued, due again after the type's last backoff, and that run comes straight
// back here (with the handler's last error) without running the handler: what the hook records
// is not lost to a store that was down, nor to a crash between the hook and the move. After ten
// failed runs the job moves to failed_jobs with the hook's error too (an operator's `jobs
// retry`). So a hook may run more than once for one job and must be idempotent.
using FailedHook = std::function<Status(const Job&, const Error&)>;

class JobRegistry {
 public:
  struct Entry {
    std::string type;
    JobHandler handler;
    JobOptions options;
    FailedHook failed;
  };

  // Adds a job type. kInvalidArgument for an empty type, no handler, tries < 1, an empty
  // backoff list, an unknown queue or a non-positive timeout; kAlreadyExists for a type
  // registered twice. Not thread-safe: register everything before workers start.
  Status Register(std::string type, JobHandler handler, JobOptions options = {},
                  FailedHook failed = {});

  // The entry for `type`, or nullptr. Thread-safe once registration is over.
  const Entry* Find(std::string_view type) const;

  // A NewJob of `type` on its registered queue (kDefault for an unknown type).
  NewJob MakeJob(std::string_view type, std::string payload_json) const;

  // Leases for ReserveOptions: per registered type, and the longest one as the default for
  // types this registry does not know.
  std::map<std::string, std::chrono::milliseconds, std::less<>> LeaseByType() const;
  std::chrono::milliseconds LongestLease() const;

  std::vector<std::string> Types() const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace callgate::queue
