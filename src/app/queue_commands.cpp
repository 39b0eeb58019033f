#include "app/queue_commands.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>

#include "app/application.hpp"
#include "app/command_database.hpp"
#include "app/pending_booking_job.hpp"
#include "calls/call_analysis.hpp"
#include "calls/call_event_service.hpp"
#include "core/text.hpp"
#include "http/signals.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "redis/client_pool.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::app {
namespace {

namespace obs = observability;

std::string FormatTime(SystemTimePoint t) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

Result<std::int64_t> ParseId(
    std::string_view text, std::string_view what = "a failed job id (see `callgate jobs failed`)") {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "expected " + std::string(what) + ", got \"" + std::string(text) + "\"");
  }
  return id;
}

// One line per failed job; the error is cut to keep the table readable.
void PrintFailed(const std::vector<queue::FailedJob>& jobs) {
  if (jobs.empty()) {
    std::cout << "no failed jobs\n";
    return;
  }
  std::printf("%-8s %-8s %-8s %-24s %-8s %-20s %s\n", "ID", "JOB", "QUEUE", "TYPE", "TRIES",
              "FAILED_AT", "ERROR");
  for (const auto& job : jobs) {
    std::string error = job.error;
    if (error.size() > 120) error = std::string(Utf8Prefix(error, 117)) + "...";
    std::printf("%-8lld %-8lld %-8s %-24s %-8d %-20s %s\n", static_cast<long long>(job.id),
                static_cast<long long>(job.job_id), job.queue.c_str(), job.type.c_str(),
                job.attempts, FormatTime(job.failed_at).c_str(), error.c_str());
  }
}

}  // namespace

queue::QueueRuntimeSettings QueueSettingsFromConfig(const Config& config) {
  queue::QueueRuntimeSettings settings;
  settings.driver =
      config.queue_driver == QueueDriver::kRedis ? queue::Driver::kRedis : queue::Driver::kDatabase;
  settings.workers.concurrency = static_cast<std::size_t>(std::max(config.workers, 0));
  return settings;
}

Result<std::unique_ptr<redis::ClientPool>> OpenRedis(const Config& config, const Clock& clock) {
  if (config.redis_url.empty()) return std::unique_ptr<redis::ClientPool>();
  auto url = redis::ParseRedisUrl(config.redis_url);
  if (!url) return tl::unexpected(url.error());
  return std::make_unique<redis::ClientPool>(*url, redis::ClientPoolOptions{}, clock);
}

Result<std::vector<std::string>> ParseQueueList(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!queue::IsKnownQueue(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown queue \"" + std::string(name) + "\" (use high, default, low)");
    }
    if (!seen.insert(std::string(name)).second) {
      return Fail(ErrorCode::kInvalidArgument, "queue \"" + std::string(name) + "\" listed twice");
    }
    out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (out.empty()) return Fail(ErrorCode::kInvalidArgument, "no queues given");
  return out;
}

int RunWorkerCommand(const Config& config, const Clock& clock,
                     const WorkerCommandOptions& options) {
  auto queues = ParseQueueList(options.queues);
  if (!queues) return CommandFailed("callgate", "--queues", queues.error());
  if (options.concurrency < 1 || options.poll_interval_ms < 1) {
    return CommandFailed("callgate", "worker",
                         Error{ErrorCode::kInvalidArgument,
                               "--concurrency and --poll-interval-ms must be at least 1"});
  }
  http::TerminationSignalWaiter signals;  // installed before any worker thread starts
  Config worker_config = config;
  worker_config.worker_queues = *queues;
  worker_config.workers = options.concurrency;
  worker_config.worker_poll_interval_ms = options.poll_interval_ms;
  worker_config.run_scheduler = !options.no_scheduler;
  // The same composition as `serve`, so a worker runs exactly the job handlers serve registers.
  auto application = Application::Create(worker_config, clock, Application::Mode::kWorker);
  if (!application) return CommandFailed("callgate", "cannot start", application.error());
  if (auto started = (*application)->Start(); !started) {
    return CommandFailed("callgate", "cannot start workers", started.error());
  }
  std::cout << "callgate worker: " << options.concurrency << " thread(s) on " << options.queues
            << " (" << (config.queue_driver == QueueDriver::kRedis ? "redis" : "database")
            << " driver)  (Ctrl-C to stop)" << std::endl;
  const int sig = signals.Wait();
  obs::LogInfo("shutdown_requested", {{"signal", sig}});
  (*application)->Stop();
  return 0;
}

int RunJobsCommand(const Config& config, const Clock& clock, const JobsCommandOptions& options) {
  auto db = OpenMigratedDatabase(config, clock, 2);
  if (!db) return CommandFailed("callgate", "cannot open the database", db.error());
  auto redis_pool = OpenRedis(config, clock);
  if (!redis_pool) return CommandFailed("callgate", "CALLGATE_REDIS_URL", redis_pool.error());
  queue::QueueRuntimeSettings settings = QueueSettingsFromConfig(config);
  settings.workers.concurrency = 0;
  settings.run_scheduler = false;
  auto runtime = queue::QueueRuntime::Create(settings, **db, redis_pool->get(), clock);
  if (!runtime) return CommandFailed("callgate", "cannot build the queue", runtime.error());
  queue::JobAdmin& admin = (*runtime)->admin();

  // Retried jobs of the Redis driver wait in the outbox; hand them over now instead of
  // leaving it to the next serve/worker relay round.
  auto relay = [&] {
    if (auto* redis_queue = dynamic_cast<queue::RedisJobQueue*>(&(*runtime)->backend())) {
      (void)redis_queue->RelayOnce();
    }
  };

  if (options.action == "stats") {
    auto stats = admin.Stats();
    if (!stats) return CommandFailed("callgate", "cannot read queue stats", stats.error());
    std::printf("%-8s %8s %8s %8s\n", "QUEUE", "READY", "DELAYED", "RESERVED");
    for (const auto& q : stats->queues) {
      std::printf("%-8s %8lld %8lld %8lld\n", q.queue.c_str(), static_cast<long long>(q.ready),
                  static_cast<long long>(q.delayed), static_cast<long long>(q.reserved));
    }
    std::printf("failed: %lld\n", static_cast<long long>(stats->failed));
    if (config.queue_driver == QueueDriver::kRedis) {
      std::printf("outbox (not yet relayed): %lld\n", static_cast<long long>(stats->outbox));
    }
    return 0;
  }
  if (options.action == "failed") {
    auto failed = admin.ListFailed(options.limit);
    if (!failed) return CommandFailed("callgate", "cannot list failed jobs", failed.error());
    PrintFailed(*failed);
    return 0;
  }
  if (options.action == "retry") {
    if (options.target == "all") {
      auto retried = admin.RetryAll();
      if (!retried) return CommandFailed("callgate", "retry failed", retried.error());
      relay();
      std::cout << "retried " << *retried << " failed job(s)\n";
      return 0;
    }
    auto id = ParseId(options.target);
    if (!id) return CommandFailed("callgate", "retry", id.error());
    auto job = admin.Retry(*id);
    if (!job) return CommandFailed("callgate", "retry", job.error());
    relay();
    std::cout << "retried failed job " << *id << " as job " << *job << "\n";
    return 0;
  }
  if (options.action == "resume-booking") {
    auto id = ParseId(options.target, "an appointment id");
    if (!id) return CommandFailed("callgate", "resume-booking", id.error());
    if (options.company <= 0) {
      return CommandFailed("callgate", "resume-booking",
                           Error{ErrorCode::kInvalidArgument, "--company must be a company id"});
    }
    storage::SqlAppointmentRepository appointments(**db, clock);
    storage::SqlServiceRepository services(**db, clock);
    QueuedPendingBookings queue((*runtime)->jobs());
    if (auto resumed =
            ResumeHeldBooking(appointments, services, queue, tenancy::CompanyId(options.company),
                              booking::AppointmentId(*id));
        !resumed) {
      return CommandFailed("callgate", "resume-booking", resumed.error());
    }
    relay();
    std::cout << "queued the booking job of appointment " << *id << " again\n";
    return 0;
  }
  if (options.action == "forget") {
    auto id = ParseId(options.target);
    if (!id) return CommandFailed("callgate", "forget", id.error());
    if (auto forgot = admin.Forget(*id); !forgot)
      return CommandFailed("callgate", "forget", forgot.error());
    std::cout << "forgot failed job " << *id << "\n";
    return 0;
  }
  std::cerr << "callgate jobs: unknown action \"" << options.action
            << "\" (stats, failed, retry, forget, resume-booking)\n";
  return 2;
}

}  // namespace callgate::app
