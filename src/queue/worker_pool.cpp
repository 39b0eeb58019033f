#include "queue/worker_pool.hpp"

#include <unistd.h>

#include <exception>
#include <optional>
#include <string_view>

#include "observability/log.hpp"
#include "observability/metrics.hpp"

namespace callgate::queue {
namespace {

namespace obs = observability;
using std::chrono::milliseconds;

// After a wake-up finds nothing (the enqueuing transaction has not committed yet), poll again
// after 1, 2, 4, … up to this many ms before falling back to the poll interval.
constexpr milliseconds kLongestFastRetry{64};

std::string DefaultWorkerName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid());
}

std::string ErrorText(const Error& error) {
  return std::string(ErrorCodeName(error.code)) + ": " + error.message;
}

Status RunHandler(const JobRegistry::Entry& entry, const Job& job) {
  try {
    return entry.handler(job);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("handler threw: ") + e.what());
  } catch (...) {
    return Fail(ErrorCode::kInternal, "handler threw a non-standard exception");
  }
}

// A failed hook that keeps failing runs at most this many times for one job; then the job moves
// to failed_jobs with the hook's error too, for an operator (`callgate jobs retry`).
constexpr int kFailedHookRuns = 10;

// What ends a run whose outcome was never recorded (see RunOne).
constexpr std::string_view kNoOutcome = "ended without a recorded outcome";

// The error a job's last_error text ("<code>: <message>") was made from.
std::optional<Error> ErrorFromText(std::string_view text) {
  const auto colon = text.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  for (ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kUnauthenticated, ErrorCode::kPermissionDenied,
        ErrorCode::kNotFound, ErrorCode::kAlreadyExists, ErrorCode::kConflict,
        ErrorCode::kPayloadTooLarge, ErrorCode::kRateLimited, ErrorCode::kUnavailable,
        ErrorCode::kTimeout, ErrorCode::kInternal}) {
    if (ErrorCodeName(code) == text.substr(0, colon)) {
      return Error{code, std::string(text.substr(colon + 2))};
    }
  }
  return std::nullopt;
}

// The type's failed hook; Ok when there is none. Exceptions are its errors.
Status RunFailedHook(const JobRegistry::Entry* entry, const Job& job, const Error& error) {
  if (entry == nullptr || !entry->failed) return Ok();
  try {
    return entry->failed(job, error);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("failed hook threw: ") + e.what());
  } catch (...) {
    return Fail(ErrorCode::kInternal, "failed hook threw a non-standard exception");
  }
}

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

std::string_view JobOutcomeName(JobOutcome outcome) noexcept {
  switch (outcome) {
    case JobOutcome::kCompleted:
      return "completed";
    case JobOutcome::kRetried:
      return "retried";
    case JobOutcome::kFailed:
      return "failed";
    case JobOutcome::kHookFailed:
      return "hook_failed";
    case JobOutcome::kReleased:
      return "released";
    case JobOutcome::kLeaseLost:
      return "lease_lost";
    case JobOutcome::kUnrecorded:
      return "unrecorded";
  }
  return "completed";
}

WorkerPool::WorkerPool(JobBackend& backend, const JobRegistry& registry, const Clock& clock,
                       WorkerPoolOptions options, observability::Metrics* metrics)
    : backend_(backend),
      registry_(registry),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics) {
  if (options_.name.empty()) options_.name = DefaultWorkerName();
  reserve_.queues = options_.queues;
  reserve_.lease = registry_.LongestLease();
  reserve_.lease_by_type = registry_.LeaseByType();
  if (metrics_ != nullptr) {
    metrics_->Describe("callgate_jobs_total", "Jobs run by workers, by type and outcome.");
  }
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

Status WorkerPool::Start() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (!threads_.empty()) return Fail(ErrorCode::kConflict, "worker pool already started");
  if (options_.concurrency == 0) {
    return Fail(ErrorCode::kInvalidArgument, "worker concurrency must be at least 1");
  }
  if (options_.queues.empty()) return Fail(ErrorCode::kInvalidArgument, "no queues to serve");
  for (const auto& queue : options_.queues) {
    if (!IsKnownQueue(queue)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown queue \"" + queue + "\" (use high, default or low)");
    }
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    wake_tokens_ = 0;
  }
  backend_.SetWakeCallback([this] { Wake(); });
  for (std::size_t i = 0; i < options_.concurrency; ++i) {
    threads_.emplace_back([this, i] { Loop(i); });
  }
  std::string queues;
  for (const auto& q : options_.queues) queues += (queues.empty() ? "" : ",") + q;
  obs::LogInfo(
      "workers_started",
      {{"worker", options_.name}, {"concurrency", options_.concurrency}, {"queues", queues}});
  return Ok();
}

void WorkerPool::Stop() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (threads_.empty()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  backend_.SetWakeCallback({});
  obs::LogInfo("workers_stopped", {{"worker", options_.name}});
}

void WorkerPool::Wake() {
  {
    std::lock_guard lock(mutex_);
    if (wake_tokens_ < options_.concurrency) ++wake_tokens_;
  }
  wake_.notify_one();
}

Result<std::optional<JobOutcome>> WorkerPool::RunOnce() {
  return RunOne(options_.name + ":direct", /*releasing_on_stop=*/false);
}

void WorkerPool::Loop(std::size_t index) {
  const std::string worker_id = options_.name + ":" + std::to_string(index);
  milliseconds fast_retry{0};
  bool failing = false;
  while (!stopping()) {
    auto ran = RunOne(worker_id, /*releasing_on_stop=*/true);
    milliseconds wait = options_.poll_interval;
    if (!ran) {
      if (!failing) {
        obs::LogWarn("worker_poll_failed", {{"worker", worker_id}, {"error", ran.error().message}});
      }
      failing = true;
      fast_retry = milliseconds(0);
      wait = options_.error_backoff;
    } else {
      if (failing) obs::LogInfo("worker_poll_recovered", {{"worker", worker_id}});
      failing = false;
      if (ran->has_value()) continue;  // drain while there is work
      if (fast_retry.count() > 0 && fast_retry <= kLongestFastRetry) {
        wait = fast_retry;
        fast_retry *= 2;
      } else {
        fast_retry = milliseconds(0);
      }
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [&] { return stopping_ || wake_tokens_ > 0; });
    if (stopping_) break;
    if (wake_tokens_ > 0) {
      --wake_tokens_;
      fast_retry = milliseconds(1);
    }
  }
}

Result<std::optional<JobOutcome>> WorkerPool::RunOne(const std::string& worker_id,
                                                     bool releasing_on_stop) {
  ReserveOptions reserve = reserve_;
  reserve.worker_id = worker_id;
  auto reserved = backend_.Reserve(reserve);
  if (!reserved) return tl::unexpected(reserved.error());
  if (!reserved->has_value()) return std::optional<JobOutcome>();
  const Job& job = **reserved;
  obs::ScopedRequestId request_scope(job.request_id);

  if (releasing_on_stop && stopping()) {
    auto released = backend_.Release(job);
    const JobOutcome outcome = released ? JobOutcome::kReleased : JobOutcome::kUnrecorded;
    obs::LogInfo("job_released", {{"job_id", job.id}, {"type", job.type}});
    Count(job, outcome);
    return std::optional<JobOutcome>(outcome);
  }

  const JobRegistry::Entry* entry = registry_.Find(job.type);
  const JobOptions options = entry != nullptr ? entry->options : JobOptions{};
  const SteadyTimePoint started = clock_.Steady();
  Status result;
  if (job.attempts > options.tries) {
    // The last try has no recorded outcome: its worker crashed or overran the lease, or its
    // failed hook could not run. Straight to the failure, with the last error recorded.
    std::string lost = "the last try (" + std::to_string(options.tries) + ") " +
                       std::string(kNoOutcome) +
                       " (its worker crashed or overran its lease, or the failed hook could not "
                       "run)";
    if (job.last_error.find(kNoOutcome) != std::string::npos) {
      lost = job.last_error;  // said once
    } else if (!job.last_error.empty()) {
      lost = job.last_error + "; then " + lost;
    }
    result = Fail(ErrorCode::kTimeout, std::move(lost));
  } else if (entry == nullptr) {
    result = Fail(ErrorCode::kInternal, "no handler registered for job type \"" + job.type + "\"");
  } else {
    result = RunHandler(*entry, job);
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(clock_.Steady() - started);
  return std::optional<JobOutcome>(Finish(job, entry, options, result, elapsed));
}

JobOutcome WorkerPool::Finish(const Job& job, const JobRegistry::Entry* entry,
                              const JobOptions& options, const Status& result,
                              milliseconds elapsed) {
  const double duration_ms = Millis(elapsed);
  if (elapsed > options.timeout) {
    obs::LogWarn("job_timeout_exceeded", {{"job_id", job.id},
                                          {"type", job.type},
                                          {"duration_ms", duration_ms},
                                          {"timeout_ms", options.timeout.count()}});
  }
  JobOutcome outcome;
  Status recorded;
  if (result) {
    recorded = backend_.Complete(job);
    outcome = JobOutcome::kCompleted;
    if (recorded) {
      obs::LogInfo("job_completed", {{"job_id", job.id},
                                     {"type", job.type},
                                     {"queue", job.queue},
                                     {"attempt", job.attempts},
                                     {"duration_ms", duration_ms}});
    }
  } else if (job.attempts < options.tries) {
    const milliseconds delay = options.BackoffAfter(job.attempts);
    recorded = backend_.Retry(job, delay, ErrorText(result.error()));
    outcome = JobOutcome::kRetried;
    if (recorded) {
      obs::LogWarn("job_retry_scheduled", {{"job_id", job.id},
                                           {"type", job.type},
                                           {"attempt", job.attempts},
                                           {"tries", options.tries},
                                           {"delay_ms", delay.count()},
                                           {"error", ErrorText(result.error())}});
    }
  } else {
    // The hook first, the move after it: a job in failed_jobs whose hook never ran (a crash or
    // a store error in between) would leave what it held, such as a slot, to an operator. A run
    // after the last try hands the hook the handler's last error, not the worker's text.
    const bool rerun = job.attempts > options.tries;
    const Error for_hook =
        rerun ? ErrorFromText(job.last_error).value_or(result.error()) : result.error();
    const Status hooked = RunFailedHook(entry, job, for_hook);
    const int hook_runs = job.attempts - options.tries + 1;
    if (!hooked && hook_runs < kFailedHookRuns) {
      // Queued again; its next run comes back to the hook (see RunOne). The error kept is the
      // handler's, so a hook failing again does not make it grow.
      const std::string error =
          rerun && !job.last_error.empty() ? job.last_error : ErrorText(result.error());
      const milliseconds delay = options.BackoffAfter(job.attempts);
      recorded = backend_.Retry(job, delay, error);
      outcome = JobOutcome::kHookFailed;
      obs::LogError("job_failed_hook_failed", {{"job_id", job.id},
                                               {"type", job.type},
                                               {"attempts", job.attempts},
                                               {"delay_ms", delay.count()},
                                               {"error", error},
                                               {"hook_error", ErrorText(hooked.error())}});
    } else {
      std::string error = ErrorText(result.error());
      if (!hooked) {
        error += "; its failed hook gave up after " + std::to_string(hook_runs) +
                 " runs: " + ErrorText(hooked.error());
      }
      recorded = backend_.MoveToFailed(job, error);
      outcome = JobOutcome::kFailed;
      if (recorded) {
        obs::LogError(
            hooked ? "job_failed" : "job_failed_hook_gave_up",
            {{"job_id", job.id}, {"type", job.type}, {"attempts", job.attempts}, {"error", error}});
      }
    }
  }
  if (!recorded) {
    // kConflict: the lease expired and another worker has the job now; anything else: the
    // store failed, and the lease will hand the job out again. Either way it is not lost.
    obs::LogWarn("job_outcome_not_recorded", {{"job_id", job.id},
                                              {"type", job.type},
                                              {"outcome", JobOutcomeName(outcome)},
                                              {"error", recorded.error().message}});
    outcome = recorded.error().code == ErrorCode::kConflict ? JobOutcome::kLeaseLost
                                                            : JobOutcome::kUnrecorded;
  }
  Count(job, outcome);
  return outcome;
}

void WorkerPool::Count(const Job& job, JobOutcome outcome) {
  if (metrics_ == nullptr) return;
  metrics_->Increment("callgate_jobs_total",
                      {{"type", job.type}, {"outcome", std::string(JobOutcomeName(outcome))}});
}

}  // namespace callgate::queue
