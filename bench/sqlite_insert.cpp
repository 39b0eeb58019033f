// sqlite_insert_bench: the embedded database's ceiling for the webhook ratio in bench/ratios —
// single-row autocommit INSERTs into a scratch table of a fresh SQLite file, through
// storage::Database like queue_bench's raw_insert baseline, so every connection has the
// settings callgate uses (WAL, synchronous=NORMAL, busy_timeout, foreign_keys).
//
// N threads (the webhook load's connection count) insert for warm-up + measured seconds; each
// row is about as wide as a stored call_started webhook (payload of --payload-bytes).
//
// Options: --file=PATH (required; created) --clients=8 --seconds=5 --warmup=1
//          --payload-bytes=400 --json

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"
#include "storage/session.hpp"

namespace {

using namespace callgate;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string file;
  int clients = 8;
  double seconds = 5;
  double warmup = 1;
  int payload_bytes = 400;
  bool json_output = false;
};

bool ParseOptions(int argc, char** argv, Options& o) {
  const auto option = [&o](const std::string& name, const std::string& value) {
    if (name == "file")
      o.file = value;
    else if (name == "clients")
      o.clients = std::atoi(value.c_str());
    else if (name == "seconds")
      o.seconds = std::atof(value.c_str());
    else if (name == "warmup")
      o.warmup = std::atof(value.c_str());
    else if (name == "payload-bytes")
      o.payload_bytes = std::atoi(value.c_str());
    else
      return false;
    return true;
  };
  const auto flag = [&o](const std::string& name) {
    if (name != "json") return false;
    o.json_output = true;
    return true;
  };
  if (!bench::ParseArgs(argc, argv, option, flag)) return false;
  return !o.file.empty() && o.clients > 0 && o.seconds > 0 && o.warmup >= 0 && o.payload_bytes > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: sqlite_insert_bench --file=PATH [--clients=8] [--seconds=5] [--warmup=1] "
                 "[--payload-bytes=400] [--json]\n");
    return 2;
  }
  auto url = storage::ParseDatabaseUrl("sqlite://" + o.file);
  if (!url) {
    std::fprintf(stderr, "sqlite_insert_bench: %s\n", url.error().message.c_str());
    return 2;
  }
  storage::DatabaseOptions options;
  options.pool_size = static_cast<std::size_t>(o.clients);
  auto db = storage::Database::Open(*url, options);
  if (!db) {
    std::fprintf(stderr, "sqlite_insert_bench: %s\n", db.error().message.c_str());
    return 1;
  }
  auto created = (*db)->Run([](storage::Session& s) -> Status {
    s.Execute(
        "CREATE TABLE IF NOT EXISTS bench_insert (id INTEGER PRIMARY KEY, company_id BIGINT NOT "
        "NULL, event TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)");
    return Ok();
  });
  if (!created) {
    std::fprintf(stderr, "sqlite_insert_bench: %s\n", created.error().message.c_str());
    return 1;
  }

  const std::string payload(static_cast<std::size_t>(o.payload_bytes), 'x');
  SystemClock clock;
  std::atomic<long long> inserted{0};
  std::atomic<long long> all{0};  // including the warm-up
  std::atomic<long long> errors{0};
  const auto start = SteadyClock::now();
  const auto measure_from = start + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(o.warmup));
  const auto stop_at = measure_from + std::chrono::duration_cast<SteadyClock::duration>(
                                          std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&] {
      long long mine = 0, bad = 0, total = 0;
      for (auto now = SteadyClock::now(); now < stop_at; now = SteadyClock::now()) {
        auto r = (*db)->Run([&](storage::Session& s) -> Status {
          s.Execute(
              "INSERT INTO bench_insert (company_id, event, payload, created_at) "
              "VALUES (:company, :event, :payload, :at)",
              storage::Params()
                  .Add(1)
                  .Add(std::string("call_started"))
                  .Add(payload)
                  .Add(clock.Now()));
          return Ok();
        });
        const auto done = SteadyClock::now();
        if (r) ++total;
        if (now < measure_from || done > stop_at) continue;
        if (r)
          ++mine;
        else
          ++bad;
      }
      inserted += mine;
      all += total;
      errors += bad;
    });
  }
  for (auto& t : threads) t.join();
  const double rate = static_cast<double>(inserted.load()) / o.seconds;
  if (o.json_output) {
    const nlohmann::json result = {{"clients", o.clients},
                                   {"seconds", o.seconds},
                                   {"requests", inserted.load()},
                                   {"all_requests", all.load()},
                                   {"errors", errors.load()},
                                   {"per_second", rate},
                                   {"file", o.file}};
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::printf("sqlite single-row INSERT: %d clients %.1f s  %.0f rows/s  errors %lld\n",
                o.clients, o.seconds, rate, errors.load());
  }
  return errors.load() == 0 ? 0 : 1;
}
