// http_load: a closed-loop HTTP/1.1 load generator for the ratio report (bench/ratios), so that
// callgate and its baselines (nginx returning a static 200, GET /health) are measured by the
// same client with the same connections.
//
// N threads, each with one keep-alive connection to 127.0.0.1:port, send one request after
// another for warm-up + measured seconds; only answers that complete inside the measured window
// count. Latency = time from sending a request to reading its whole answer.
//
// Modes:
//   get       GET --path (nginx, /health); good = status 200
//   function  signed Retell custom function (POST /api/retell/<function>, default body shape
//             name/call/args), the same body for every request of a connection (one call id per
//             connection); good = 200 with "success":true. Answers with "source":"cache" are
//             counted separately (the cached check-availability case).
//   webhook   signed call_started webhook (POST /webhooks/retell) with a unique call id per
//             request, so every one is stored (not a duplicate); good = 200 "recorded".
//   costs     no network: CPU time of the per-request pieces callgate and this client share
//             (HMAC-SHA256 signing/verification of a body, JSON parse/dump), in microseconds.
//
// Open loop (--rate=R): each connection sends at its share of R requests per second, and a
// request's latency counts from when it was due, not from when it went out (a slow answer that
// holds up the next request shows up as latency: no coordinated omission).
//
// Idle connections (--idle=N): before the load, N more keep-alive connections are opened, each
// answers one GET /health, and they stay open and silent until the load has ended: the server
// holds them (memory, file descriptors) while it serves the load.
//
// Signatures are made with the current time (Retell allows ±5 minutes), so a run may last at
// most a few minutes.
//
// Options: --port=N --mode=get|function|webhook|costs --path=/health --connections=8
//          --seconds=5 --warmup=1 --key=K --to=+493083793369 --function=check-availability
//          --args='{"service":...}' --rate=R (open loop) --idle=N --json (one JSON object
//          instead of the text line)

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "core/clock.hpp"
#include "http/testing/test_client.hpp"
#include "retell/signature.hpp"

namespace {

using namespace callgate;
using bench::kCaller;
using bench::Ms;
using bench::Percentile;
using http::testing::ClientResponse;
using http::testing::RawConnection;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::string mode = "get";
  std::string path = "/health";
  int connections = 8;
  double seconds = 5;
  double warmup = 1;
  std::string key = "bench-platform-key";
  std::string to = "+493083793369";
  std::string function = "check-availability";
  std::string args = R"({"service":"Erstberatung","date":"morgen","time":"10 Uhr"})";
  double rate = 0;  // requests per second over all connections; 0 = closed loop
  int idle = 0;     // extra keep-alive connections held open, silent, during the load
  bool json_output = false;
};

long long NowMs() { return ToUnixMillis(SystemClock().Now()); }

std::string Post(const Options& o, const std::string& target, const std::string& body) {
  std::string out =
      "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
      "\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n" +
      "X-Retell-Signature: " + retell::SignRetellPayload(body, Secret(o.key), NowMs()) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string FunctionBody(const Options& o, const std::string& call_id) {
  return bench::FunctionCallBody(o.function, call_id, o.to, json::parse(o.args));
}

// A call_started webhook the way Retell sends it (the call object of a live call).
std::string WebhookBody(const Options& o, const std::string& call_id, long long start_ms) {
  return R"({"event":"call_started","call":{"call_type":"phone_call","from_number":")" +
         std::string(kCaller) + R"(","to_number":")" + o.to +
         R"(","direction":"inbound","call_id":")" + call_id +
         R"(","agent_id":"agent_bench","agent_version":1,"call_status":"ongoing",)"
         R"("start_timestamp":)" +
         std::to_string(start_ms) +
         R"(,"metadata":{},"retell_llm_dynamic_variables":{"customer_name":"Erika"}}})";
}

struct Totals {
  std::vector<double> latency_ms;  // measured window only; sorted at the end
  long long good = 0;
  long long all = 0;  // good answers including the warm-up (for CPU per request)
  long long errors = 0;
  long long cached = 0;
  long long reconnects = 0;
  std::string first_error;
};

// One connection's loop.
void RunConnection(const Options& o, int index, SteadyClock::time_point measure_from,
                   SteadyClock::time_point stop_at, Totals& out, std::mutex& mutex) {
  Totals mine;
  mine.latency_ms.reserve(1 << 16);
  std::optional<RawConnection> connection;
  std::string fixed;  // the request bytes when every request is the same
  const std::string prefix =
      "bench-" + std::to_string(::getpid()) + "-" + std::to_string(index) + "-";
  if (o.mode == "get") {
    fixed = "GET " + o.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
            "\r\nConnection: keep-alive\r\n\r\n";
  } else if (o.mode == "function") {
    fixed = Post(o, "/api/retell/" + o.function, FunctionBody(o, prefix + "fn"));
  }
  long long sequence = 0;
  auto note_error = [&](const std::string& what) {
    ++mine.errors;
    if (mine.first_error.empty()) mine.first_error = what;
  };
  // Open loop: this connection's requests are due every `interval`, staggered between
  // connections.
  const auto interval = o.rate > 0 ? std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(o.connections / o.rate))
                                   : SteadyClock::duration::zero();
  auto due = SteadyClock::now() + interval * index / std::max(o.connections, 1);
  while (true) {
    if (o.rate > 0) {
      if (due >= stop_at) break;
      std::this_thread::sleep_until(due);
    }
    const auto t0 = o.rate > 0 ? due : SteadyClock::now();
    due += interval;
    if (t0 >= stop_at) break;
    std::string built;
    if (o.mode == "webhook") {
      const long long now = NowMs();
      built = Post(o, "/webhooks/retell", WebhookBody(o, prefix + std::to_string(++sequence), now));
    }
    const std::string& request = o.mode == "webhook" ? built : fixed;
    if (!connection) {
      auto connected = RawConnection::Connect(o.port);
      if (!connected) {
        note_error("connect: " + connected.error().message);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      connection.emplace(std::move(*connected));
      ++mine.reconnects;
    }
    auto sent = connection->Send(request);
    Result<ClientResponse> response = sent ? connection->ReadResponse(std::chrono::seconds(20))
                                           : Result<ClientResponse>(tl::unexpected(sent.error()));
    const auto t1 = SteadyClock::now();
    if (!response) {
      connection.reset();
      if (t0 >= measure_from && t1 <= stop_at) note_error(response.error().message);
      continue;
    }
    if (auto close = response->headers.Get("Connection"); close && (*close == "close")) {
      connection.reset();
    }
    bool good = response->status == 200;
    if (good && o.mode == "function") {
      good = response->body.find("\"success\":true") != std::string::npos;
      if (response->body.find("\"source\":\"cache\"") != std::string::npos && t0 >= measure_from &&
          t1 <= stop_at) {
        ++mine.cached;
      }
    } else if (good && o.mode == "webhook") {
      good = response->body.find("recorded") != std::string::npos;
    }
    if (good) ++mine.all;
    if (t0 < measure_from || t1 > stop_at) continue;
    if (good) {
      ++mine.good;
      mine.latency_ms.push_back(Ms(t1 - t0));
    } else {
      note_error(std::to_string(response->status) + " " + response->body.substr(0, 300));
    }
  }
  std::lock_guard lock(mutex);
  out.latency_ms.insert(out.latency_ms.end(), mine.latency_ms.begin(), mine.latency_ms.end());
  out.good += mine.good;
  out.all += mine.all;
  out.errors += mine.errors;
  out.cached += mine.cached;
  out.reconnects += mine.reconnects;
  if (out.first_error.empty()) out.first_error = mine.first_error;
}

// Opens `count` keep-alive connections, each answering one GET /health; the number that did.
int OpenIdle(const Options& o, int count, std::vector<RawConnection>& held) {
  const std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
                              "\r\nConnection: keep-alive\r\n\r\n";
  int open = 0;
  for (int i = 0; i < count; ++i) {
    auto connected = RawConnection::Connect(o.port);
    if (!connected) continue;
    if (!connected->Send(request)) continue;
    auto answer = connected->ReadResponse(std::chrono::seconds(10));
    if (!answer || answer->status != 200) continue;
    held.push_back(std::move(*connected));
    ++open;
  }
  return open;
}

int RunLoad(const Options& o) {
  Totals totals;
  std::mutex mutex;
  std::vector<RawConnection> idle;
  const int idle_open = OpenIdle(o, o.idle, idle);
  if (idle_open < o.idle) {
    totals.errors += o.idle - idle_open;
    totals.first_error = "only " + std::to_string(idle_open) + " of " + std::to_string(o.idle) +
                         " idle connections opened";
  }
  const auto start = SteadyClock::now();
  const auto measure_from = start + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(o.warmup));
  const auto stop_at = measure_from + std::chrono::duration_cast<SteadyClock::duration>(
                                          std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] { RunConnection(o, c, measure_from, stop_at, totals, mutex); });
  }
  for (auto& t : threads) t.join();
  std::sort(totals.latency_ms.begin(), totals.latency_ms.end());
  const double rate = static_cast<double>(totals.good) / o.seconds;
  const auto& l = totals.latency_ms;
  if (o.json_output) {
    const json result = {{"mode", o.mode},
                         {"connections", o.connections},
                         {"seconds", o.seconds},
                         {"requests", totals.good},
                         {"all_requests", totals.all},
                         {"errors", totals.errors},
                         {"cached", totals.cached},
                         {"connects", totals.reconnects},
                         {"idle_connections", idle_open},
                         {"rate", o.rate},
                         {"per_second", rate},
                         {"p50_ms", Percentile(l, 0.50)},
                         {"p90_ms", Percentile(l, 0.90)},
                         {"p99_ms", Percentile(l, 0.99)},
                         {"max_ms", l.empty() ? 0.0 : l.back()},
                         {"first_error", totals.first_error}};
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::printf(
        "%-8s %3d conns %5.1f s  %9.0f req/s  p50 %7.3f  p90 %7.3f  p99 %7.3f  max %7.3f ms"
        "  errors %lld  cached %lld\n",
        o.mode.c_str(), o.connections, o.seconds, rate, Percentile(l, 0.50), Percentile(l, 0.90),
        Percentile(l, 0.99), l.empty() ? 0.0 : l.back(), totals.errors, totals.cached);
    if (!totals.first_error.empty()) {
      std::printf("  first error: %s\n", totals.first_error.c_str());
    }
  }
  return totals.errors == 0 && totals.good > 0 ? 0 : 1;
}

// Microseconds per call of fn, over about 0.3 s.
template <typename Fn>
double MicrosPerCall(Fn&& fn) {
  long long n = 0;
  const auto start = SteadyClock::now();
  auto elapsed = SteadyClock::duration::zero();
  while (elapsed < std::chrono::milliseconds(300)) {
    for (int i = 0; i < 100; ++i) fn();
    n += 100;
    elapsed = SteadyClock::now() - start;
  }
  return std::chrono::duration<double, std::micro>(elapsed).count() / static_cast<double>(n);
}

int RunCosts(const Options& o) {
  const Secret key(o.key);
  const std::string webhook = WebhookBody(o, "bench-costs-1", NowMs());
  const std::string function = FunctionBody(o, "bench-costs-1");
  const std::string header = retell::SignRetellPayload(webhook, key, NowMs());
  volatile std::size_t sink = 0;
  const json costs = {
      {"sign_webhook_us",
       MicrosPerCall([&] { sink = sink + retell::SignRetellPayload(webhook, key, 1).size(); })},
      {"verify_webhook_us", MicrosPerCall([&] {
         sink =
             sink +
             retell::VerifyRetellSignature(header, webhook, key, SystemClock().Now()).has_value();
       })},
      {"parse_webhook_us", MicrosPerCall([&] { sink = sink + json::parse(webhook).size(); })},
      {"parse_function_us", MicrosPerCall([&] { sink = sink + json::parse(function).size(); })},
      {"webhook_bytes", webhook.size()},
      {"function_bytes", function.size()}};
  if (o.json_output) {
    std::printf("%s\n", costs.dump().c_str());
  } else {
    std::printf("%s\n", costs.dump(2).c_str());
  }
  return 0;
}

bool ParseOptions(int argc, char** argv, Options& o) {
  const auto option = [&o](const std::string& name, const std::string& value) {
    if (name == "port") {
      o.port = static_cast<std::uint16_t>(std::atoi(value.c_str()));
    } else if (name == "mode") {
      o.mode = value;
    } else if (name == "path") {
      o.path = value;
    } else if (name == "connections") {
      o.connections = std::atoi(value.c_str());
    } else if (name == "seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (name == "warmup") {
      o.warmup = std::atof(value.c_str());
    } else if (name == "key") {
      o.key = value;
    } else if (name == "to") {
      o.to = value;
    } else if (name == "function") {
      o.function = value;
    } else if (name == "rate") {
      o.rate = std::atof(value.c_str());
    } else if (name == "idle") {
      o.idle = std::atoi(value.c_str());
    } else if (name == "args") {
      if (!json::accept(value)) return false;
      o.args = value;
    } else {
      return false;
    }
    return true;
  };
  const auto flag = [&o](const std::string& name) {
    if (name != "json") return false;
    o.json_output = true;
    return true;
  };
  if (!bench::ParseArgs(argc, argv, option, flag)) return false;
  const bool known =
      o.mode == "get" || o.mode == "function" || o.mode == "webhook" || o.mode == "costs";
  return known && (o.mode == "costs" || o.port != 0) && o.connections > 0 && o.seconds > 0 &&
         o.warmup >= 0 && o.seconds + o.warmup <= 240 && o.rate >= 0 && o.idle >= 0 &&
         o.idle <= 10'000;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: http_load --port=N [--mode=get|function|webhook|costs] [--path=/health] "
                 "[--connections=8] [--seconds=5] [--warmup=1] [--key=K] [--to=+493083793369] "
                 "[--function=check-availability] [--args=JSON] [--rate=R] [--idle=N] [--json]\n");
    return 2;
  }
  return o.mode == "costs" ? RunCosts(o) : RunLoad(o);
}
