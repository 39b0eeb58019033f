// queue_crash_helper: a worker process for the crash test (queue_crash_test.cpp). It reserves
// one job of type "crash_probe", prints "running <id> attempt <n>" on stdout, and then blocks
// forever inside the handler, holding the reservation, until the test SIGKILLs it.
//
//   queue_crash_helper --driver database|redis --database <url> [--redis <url> --prefix <p>]
//                      --lease-ms <ms>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "queue/database_job_queue.hpp"
#include "queue/redis_job_queue.hpp"
#include "queue/worker_pool.hpp"
#include "redis/client_pool.hpp"
#include "storage/database.hpp"

namespace {

using namespace callgate;

int Usage() {
  std::fprintf(stderr,
               "usage: queue_crash_helper --driver database|redis --database <url> "
               "[--redis <url> --prefix <p>] --lease-ms <ms>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string driver, database_url, redis_url, prefix;
  long long lease_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--driver")
      driver = value;
    else if (flag == "--database")
      database_url = value;
    else if (flag == "--redis")
      redis_url = value;
    else if (flag == "--prefix")
      prefix = value;
    else if (flag == "--lease-ms")
      lease_ms = std::stoll(value);
    else
      return Usage();
  }
  if ((driver != "database" && driver != "redis") || database_url.empty() || lease_ms <= 0) {
    return Usage();
  }
  SystemClock clock;
  auto url = storage::ParseDatabaseUrl(database_url);
  if (!url) return Usage();
  auto db = storage::Database::Open(*url);
  if (!db) {
    std::fprintf(stderr, "helper: %s\n", db.error().message.c_str());
    return 1;
  }
  std::unique_ptr<redis::ClientPool> redis_pool;
  std::unique_ptr<queue::JobBackend> backend;
  if (driver == "redis") {
    auto parsed = redis::ParseRedisUrl(redis_url);
    if (!parsed) return Usage();
    redis_pool = std::make_unique<redis::ClientPool>(*parsed, redis::ClientPoolOptions{}, clock);
    queue::RedisQueueOptions options;
    options.key_prefix = prefix;
    backend = std::make_unique<queue::RedisJobQueue>(**db, *redis_pool, clock, options);
  } else {
    backend = std::make_unique<queue::DatabaseJobQueue>(**db, clock);
  }

  queue::JobRegistry registry;
  queue::JobOptions options;
  options.lease = std::chrono::milliseconds(lease_ms);
  (void)registry.Register(
      "crash_probe",
      [](const queue::Job& job) -> Status {
        std::printf("running %lld attempt %d\n", static_cast<long long>(job.id), job.attempts);
        std::fflush(stdout);
        while (true) ::pause();  // "mid-job" until SIGKILL
      },
      options);
  queue::WorkerPoolOptions pool_options;
  pool_options.name = "crash-helper";
  queue::WorkerPool pool(*backend, registry, clock, pool_options);
  // The job is enqueued before this process starts; poll briefly in case it is not visible yet.
  for (int i = 0; i < 3000; ++i) {
    auto ran = pool.RunOnce();
    if (ran && ran->has_value()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "helper: no crash_probe job to run\n");
  return 1;
}
