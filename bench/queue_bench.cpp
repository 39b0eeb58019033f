// queue_bench: the job queue's cost against the database's own write rate, measured in one run
// on the same machine (DESIGN.md: benchmarks report ratios, not absolute numbers).
//
//   raw_insert/<db>            single-row autocommit INSERT through storage::Database (baseline)
//   enqueue/<driver>/<db>      JobQueue::Enqueue outside a transaction (the database write plus
//                              the driver's work; the Redis driver writes the outbox row)
//   drain/<driver>/<db>        jobs/second through a 2-thread WorkerPool (reserve, run a no-op
//                              handler, complete), including the Redis relay
//   latency/<driver>/<db>      enqueue → handler start with idle in-process workers (manual time:
//                              the reported time is the mean; p50/p99 are counters)
// Databases: a temporary SQLite file always; PostgreSQL when CALLGATE_TEST_POSTGRES_ADMIN_URL is
// set. The Redis driver runs when CALLGATE_TEST_REDIS_URL is set (scripts/services start <dir>).
// Build Release for meaningful numbers. At the end a table prints every rate as a ratio of the
// same database's raw insert rate.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "observability/log.hpp"
#include "queue/database_job_queue.hpp"
#include "queue/redis_job_queue.hpp"
#include "queue/worker_pool.hpp"
#include "redis/client_pool.hpp"
#include "redis/redis_url.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"

namespace {

using namespace callgate;
using std::chrono::milliseconds;

SystemClock g_clock;

struct Backend {
  std::string name;  // sqlite | postgresql
  std::unique_ptr<storage::testing::TestDatabase> test_database;
  storage::Database& db() { return test_database->database(); }
};

std::vector<std::unique_ptr<Backend>> g_backends;
std::unique_ptr<redis::ClientPool> g_redis;
int g_prefix_counter = 0;

std::string FreshPrefix() {
  return "bench:" + std::to_string(::getpid()) + ":" + std::to_string(++g_prefix_counter) + ":";
}

void ClearQueueTables(storage::Database& db) {
  (void)db.Run([](storage::Session& s) -> Status {
    s.Execute("DELETE FROM jobs");
    s.Execute("DELETE FROM job_outbox");
    return Ok();
  });
}

void DeleteRedisKeys(const std::string& prefix) {
  if (!g_redis) return;
  std::string cursor = "0";
  do {
    auto page = g_redis->Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
    if (!page) return;
    cursor = page->array().at(0).string();
    for (const auto& key : page->array().at(1).array()) g_redis->Command({"DEL", key.string()});
  } while (cursor != "0");
}

// The driver under test, with its own Redis key prefix.
struct Driver {
  std::unique_ptr<queue::JobBackend> backend;
  std::string prefix;

  Driver(const std::string& kind, storage::Database& db) {
    if (kind == "redis") {
      queue::RedisQueueOptions options;
      options.key_prefix = prefix = FreshPrefix();
      options.relay_interval = milliseconds(50);
      backend = std::make_unique<queue::RedisJobQueue>(db, *g_redis, g_clock, options);
    } else {
      backend = std::make_unique<queue::DatabaseJobQueue>(db, g_clock);
    }
  }
  ~Driver() {
    backend.reset();
    if (!prefix.empty()) DeleteRedisKeys(prefix);
  }
};

queue::NewJob BenchJob() {
  queue::NewJob job;
  job.type = "bench";
  job.payload_json = R"({"company_id":1,"call_id":123456})";
  return job;
}

void RawInsert(benchmark::State& state, Backend* backend) {
  (void)backend->db().Run([](storage::Session& s) -> Status {
    s.Execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT, payload TEXT NOT NULL, "
        "created_at BIGINT NOT NULL)");
    s.Execute("DELETE FROM bench_raw");
    return Ok();
  });
  const std::string payload = BenchJob().payload_json;
  long long i = 0;
  for (auto _ : state) {
    auto inserted = backend->db().Run([&](storage::Session& s) -> Status {
      s.Execute("INSERT INTO bench_raw (id, payload, created_at) VALUES (:id, :payload, :at)",
                storage::Params().Add(++i).Add(payload).Add(g_clock.Now()));
      return Ok();
    });
    if (!inserted) state.SkipWithError(inserted.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

void Enqueue(benchmark::State& state, Backend* backend, std::string kind) {
  ClearQueueTables(backend->db());
  Driver driver(kind, backend->db());
  const queue::NewJob job = BenchJob();
  for (auto _ : state) {
    auto id = driver.backend->Enqueue(job);
    if (!id) state.SkipWithError(id.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
  ClearQueueTables(backend->db());
}

void Drain(benchmark::State& state, Backend* backend, std::string kind) {
  constexpr int kBatch = 500;
  ClearQueueTables(backend->db());
  Driver driver(kind, backend->db());
  std::atomic<int> done{0};
  queue::JobRegistry registry;
  (void)registry.Register("bench", [&](const queue::Job&) -> Status {
    ++done;
    return Ok();
  });
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) (void)driver.backend->Enqueue(BenchJob());
    if (auto* redis_queue = dynamic_cast<queue::RedisJobQueue*>(driver.backend.get())) {
      while (redis_queue->RelayOnce().value_or(0) > 0) {
      }
    }
    done = 0;
    queue::WorkerPoolOptions options;
    options.concurrency = 2;
    options.poll_interval = milliseconds(5);
    queue::WorkerPool pool(*driver.backend, registry, g_clock, options);
    state.ResumeTiming();
    (void)pool.Start();
    while (done.load() < kBatch) std::this_thread::sleep_for(std::chrono::microseconds(200));
    state.PauseTiming();
    pool.Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void Latency(benchmark::State& state, Backend* backend, std::string kind) {
  ClearQueueTables(backend->db());
  Driver driver(kind, backend->db());
  std::mutex mutex;
  std::condition_variable started;
  std::chrono::steady_clock::time_point started_at;
  bool has_started = false;
  queue::JobRegistry registry;
  (void)registry.Register("bench", [&](const queue::Job&) -> Status {
    std::lock_guard lock(mutex);
    started_at = std::chrono::steady_clock::now();
    has_started = true;
    started.notify_all();
    return Ok();
  });
  queue::WorkerPoolOptions options;
  options.concurrency = 2;
  options.poll_interval = milliseconds(1000);  // wake-ups, not polling, must deliver the job
  queue::WorkerPool pool(*driver.backend, registry, g_clock, options);
  (void)driver.backend->Start();
  (void)pool.Start();
  std::vector<double> samples_us;
  for (auto _ : state) {
    {
      std::lock_guard lock(mutex);
      has_started = false;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (auto id = driver.backend->Enqueue(BenchJob()); !id) {
      state.SkipWithError(id.error().message.c_str());
      break;
    }
    std::unique_lock lock(mutex);
    if (!started.wait_for(lock, std::chrono::seconds(10), [&] { return has_started; })) {
      state.SkipWithError("job did not start within 10 s");
      break;
    }
    const double seconds = std::chrono::duration<double>(started_at - t0).count();
    state.SetIterationTime(seconds);
    samples_us.push_back(seconds * 1e6);
    lock.unlock();
    // Let the worker complete it before the next sample, so samples do not overlap.
    std::this_thread::sleep_for(milliseconds(2));
  }
  pool.Stop();
  driver.backend->Stop();
  if (!samples_us.empty()) {
    std::sort(samples_us.begin(), samples_us.end());
    state.counters["p50_us"] = samples_us[samples_us.size() / 2];
    state.counters["p99_us"] =
        samples_us[std::min(samples_us.size() - 1, samples_us.size() * 99 / 100)];
  }
  ClearQueueTables(backend->db());
}

// Console output plus the rates of every run, for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const std::string name = BaseName(run.benchmark_name());
      if (auto it = run.counters.find("items_per_second"); it != run.counters.end()) {
        rates_[name] = it->second.value;
      }
      if (auto it = run.counters.find("p50_us"); it != run.counters.end()) {
        latency_us_[name] = {it->second.value, run.counters.at("p99_us").value};
      }
    }
  }

  void PrintRatios() const {
    std::printf("\nRatios against the raw single-row INSERT rate of the same database:\n");
    std::printf("%-44s %14s %10s\n", "benchmark", "per second", "x raw");
    for (const auto& [name, rate] : rates_) {
      const std::string db = name.substr(name.rfind('/') + 1);
      double raw = 0;
      for (const auto& [other, other_rate] : rates_) {
        if (other == "raw_insert/" + db) raw = other_rate;
      }
      std::printf("%-44s %14.0f %10.2f\n", name.c_str(), rate, raw > 0 ? rate / raw : 0.0);
    }
    std::printf("\nEnqueue -> start latency (idle in-process workers):\n");
    for (const auto& [name, latency] : latency_us_) {
      std::printf("%-44s p50 %8.0f us   p99 %8.0f us\n", name.c_str(), latency.first,
                  latency.second);
    }
  }

 private:
  // "enqueue/redis/sqlite/min_time:1.000/real_time" → "enqueue/redis/sqlite".
  static std::string BaseName(const std::string& name) {
    std::string out;
    std::size_t start = 0;
    while (start <= name.size()) {
      const std::size_t slash = std::min(name.find('/', start), name.size());
      const std::string part = name.substr(start, slash - start);
      if (part.find(':') != std::string::npos || part == "real_time" || part == "manual_time") {
        break;
      }
      out += (out.empty() ? "" : "/") + part;
      start = slash + 1;
    }
    return out;
  }

  std::map<std::string, double> rates_;
  std::map<std::string, std::pair<double, double>> latency_us_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  observability::ConfigureLogging(observability::LogLevel::kError, /*json=*/true);

  for (const char* name : {"sqlite", "postgresql"}) {
    if (!storage::testing::BackendUnavailableReason(name).empty()) {
      std::fprintf(stderr, "queue_bench: skipping %s (not configured)\n", name);
      continue;
    }
    auto created = storage::testing::TestDatabase::Create(name);
    if (!created || !(*created)->Migrate(g_clock)) {
      std::fprintf(stderr, "queue_bench: cannot create a %s database\n", name);
      return 1;
    }
    g_backends.push_back(std::make_unique<Backend>(Backend{name, std::move(*created)}));
  }
  if (const char* url = std::getenv("CALLGATE_TEST_REDIS_URL"); url != nullptr && *url != '\0') {
    auto parsed = redis::ParseRedisUrl(url);
    if (parsed) {
      g_redis = std::make_unique<redis::ClientPool>(*parsed, redis::ClientPoolOptions{}, g_clock);
    }
  } else {
    std::fprintf(stderr, "queue_bench: skipping the redis driver (CALLGATE_TEST_REDIS_URL)\n");
  }
  std::vector<std::string> drivers = {"database"};
  if (g_redis) drivers.push_back("redis");

  for (auto& backend : g_backends) {
    Backend* b = backend.get();
    benchmark::RegisterBenchmark(("raw_insert/" + b->name).c_str(), RawInsert, b)
        ->MinTime(1.0)
        ->UseRealTime();
    for (const auto& d : drivers) {
      const std::string suffix = d + "/" + b->name;
      // Real time throughout: the work happens in worker threads and database servers.
      benchmark::RegisterBenchmark(("enqueue/" + suffix).c_str(), Enqueue, b, d)
          ->MinTime(1.0)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("drain/" + suffix).c_str(), Drain, b, d)
          ->Iterations(4)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("latency/" + suffix).c_str(), Latency, b, d)
          ->Iterations(200)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  g_backends.clear();
  return 0;
}
