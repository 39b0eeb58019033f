#pragma once
// The queue's operator commands and the pieces `serve` shares with them:
//   callgate worker --queues high,default,low --concurrency N    (RunWorkerCommand)
//   callgate jobs stats | failed | retry <id|all> | forget <id>  (RunJobsCommand)
//   callgate jobs resume-booking <appointment id> --company <id>
// plus the translation of Config into queue settings, the Redis pool, and the job handlers of
// this build (registered by the Application), so `serve` and `worker` run the same jobs the same
// way.

#include <cstddef>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/queue_runtime.hpp"

namespace callgate::observability {
class Metrics;
}
namespace callgate::redis {
class ClientPool;
}
namespace callgate::storage {
class Database;
}

namespace callgate::app {

// Queue settings from the configuration: driver from CALLGATE_QUEUE_DRIVER, in-process
// workers from CALLGATE_WORKERS (all queues), scheduler on. Callers adjust workers as needed.
queue::QueueRuntimeSettings QueueSettingsFromConfig(const Config& config);

// A Redis pool for CALLGATE_REDIS_URL, or nullptr when it is empty. kInvalidArgument for a bad
// URL. Connects lazily (an unreachable Redis fails the first command, not this call).
Result<std::unique_ptr<redis::ClientPool>> OpenRedis(const Config& config, const Clock& clock);

// Parses "high,default,low" (order = priority). kInvalidArgument for an unknown or repeated
// queue or an empty list.
Result<std::vector<std::string>> ParseQueueList(std::string_view text);

struct WorkerCommandOptions {
  std::string queues = "high,default,low";
  int concurrency = 2;
  int poll_interval_ms = 1000;
  bool no_scheduler = false;
};

// Runs workers (and the scheduler) until SIGTERM/SIGINT, then shuts down gracefully (running
// jobs finish). Needs a current schema (`callgate migrate`). Returns the process exit code.
int RunWorkerCommand(const Config& config, const Clock& clock, const WorkerCommandOptions& options);

struct JobsCommandOptions {
  std::string action;  // stats | failed | retry | forget | resume-booking
  std::string target;  // retry: an id or "all"; forget: an id; resume-booking: an appointment id
  std::size_t limit = 50;
  std::int64_t company = 0;  // resume-booking: the appointment's company
};

// One `callgate jobs` action; prints to stdout, errors to stderr. Returns the exit code
// (0 ok, 1 failure or unknown id, 2 bad usage).
int RunJobsCommand(const Config& config, const Clock& clock, const JobsCommandOptions& options);

}  // namespace callgate::app
