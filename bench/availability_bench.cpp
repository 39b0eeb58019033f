// availability_bench: what the voice agent waits for when it asks "is Tuesday 10:00 free?",
// measured through the real server in one run on this machine (DESIGN.md: ratios against a
// baseline from the same run, not absolute numbers).
//
// Setup: app::Application on 127.0.0.1 port 0 with an embedded SQLite database in a temporary
// directory, the demo tenant seeded, calcom::fake::FakeCalcom as Cal.com, requests signed the
// way Retell signs them. Everything is loopback; the run is bounded (≈ 30 s with the defaults).
//
// 1. Warm: signed POST /api/retell/check-availability for a day whose slots are cached (one
//    warm-up call per client first), sent open-loop at a fixed rate by several client threads
//    over keep-alive connections. Latency is counted from the request's scheduled send time, so
//    a slow answer that delays the next request shows up as latency (no coordinated omission).
//    Baseline: GET /health on the same server at the same rate. The fake must see no slot
//    request in this phase (checked). Function calls are limited per company (120 a minute), so
//    the load goes to copies of the demo tenant, at most kRequestsPerCompany requests each.
// 2. Cold: the fake answers every API request after latency_ms (300); every request asks for
//    another (service, day), so the cache never answers. Reported: the answer time, callgate's
//    own overhead (answer − the configured latency) and the ratio answer / one direct Cal.com
//    slots request (measured against the fake in the same run). ≈ 1.0 means the day's slots are
//    one Cal.com request. get-alternatives fans out four slot queries; ≈ 1.0 means they run in
//    parallel (sequential would be ≈ 4). Cal.com requests have a budget per Cal.com account
//    (OutboundBudgetCalendarProvider: a burst of 10, then below 100 a minute; over it, slot reads
//    answer fallback slots), so every cold request comes from its own copy of the demo tenant
//    with its own Cal.com key.
//
// Options (all optional): --rate=200 --requests=1500 --clients=4 --cold=40 --cold-clients=2
//                         --alternatives=8 --latency-ms=300
// Build Release for meaningful numbers: `make bench`.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/application.hpp"
#include "bench_common.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "core/clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "observability/log.hpp"
#include "retell/signature.hpp"
#include "tools/seed_import.hpp"
#include "tools/tenant_file.hpp"

namespace {

using namespace callgate;
using bench::Ms;
using bench::Percentile;
using http::testing::ClientRequest;
using http::testing::ClientResponse;
using http::testing::RawConnection;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

const Secret kRetellKey("bench-platform-key");
constexpr const char* kZone = "Europe/Berlin";
// Function calls are limited per company and function (FunctionLimits: 120 a minute), so the
// warm load is spread over copies of the demo tenant, each taking at most this many requests.
constexpr int kRequestsPerCompany = 100;
const char* const kServices[] = {"Erstberatung", "Kontrolltermin", "Ausführliche Untersuchung"};

struct Options {
  int rate = 200;
  int requests = 1500;
  int clients = 4;
  int cold = 40;
  int cold_clients = 2;
  int alternatives = 8;
  int latency_ms = 300;
};

// One keep-alive connection; reconnects when the server closed it.
class KeepAliveClient {
 public:
  explicit KeepAliveClient(std::uint16_t port) : port_(port) {}

  Result<ClientResponse> Send(const ClientRequest& request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connection_) {
        auto connected = RawConnection::Connect(port_);
        if (!connected) return tl::unexpected(connected.error());
        connection_.emplace(std::move(*connected));
      }
      auto sent = connection_->Send(http::testing::SerializeRequest(request, port_));
      auto response = sent ? connection_->ReadResponse(std::chrono::seconds(20))
                           : Result<ClientResponse>(tl::unexpected(sent.error()));
      if (!response) {
        connection_.reset();
        if (attempt == 0 && response.error().code == ErrorCode::kUnavailable) continue;
        return response;
      }
      auto close = response->headers.Get("Connection");
      if (close && (*close == "close" || *close == "Close")) connection_.reset();
      return response;
    }
    return tl::unexpected(Error{ErrorCode::kUnavailable, "connection closed"});
  }

 private:
  std::uint16_t port_;
  std::optional<RawConnection> connection_;
};

// A signed Retell custom-function request with the default body shape (name, call, args).
// Copy k of the demo tenant (k = 0: the demo tenant itself): own name, slug and numbers.
std::string TenantJson(int k) {
  std::string text(tools::DemoTenantJson());
  if (k == 0) return text;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  const std::string n = std::to_string(k);
  replace_all("Praxis Dr. Weber", "Praxis Dr. Weber " + n);
  replace_all("praxis-weber", "praxis-weber-" + n);
  replace_all("+49 30 83793369", "+49 30 8379" + std::to_string(4000 + k));
  replace_all("+49 30 31801234", "+49 30 3180" + std::to_string(5000 + k));
  // Its own Cal.com account: the outbound budget and the circuit breaker are per account.
  replace_all("cal_test_demo", "cal_test_demo_" + n);
  // Its own event types: an event type belongs to one company (EventTypeCopies).
  for (std::int64_t id : {1001, 1002, 1003}) {
    replace_all("\"calcom_event_type_id\": " + std::to_string(id),
                "\"calcom_event_type_id\": " + std::to_string(id + 10 * k));
  }
  return text;
}

// The fake's event types for copies 0 … copies-1: the demo's 1001-1003, shifted by 10 per copy.
std::vector<calcom::fake::FakeEventType> EventTypeCopies(int copies) {
  std::vector<calcom::fake::FakeEventType> out;
  for (int k = 0; k < copies; ++k) {
    for (auto type : calcom::fake::DefaultEventTypes()) {
      type.id += 10 * k;
      out.push_back(std::move(type));
    }
  }
  return out;
}

// The E.164 number of copy k's Berlin Mitte branch (the number the caller dialled).
std::string MitteNumber(int k) {
  return k == 0 ? "+493083793369" : "+49308379" + std::to_string(4000 + k);
}

struct Caller {
  int company = 0;
  std::string call_id;
};

ClientRequest FunctionRequest(const Clock& clock, const std::string& function, const Caller& caller,
                              const json& args) {
  ClientRequest request;
  request.method = "POST";
  request.target = "/api/retell/" + function;
  request.body =
      bench::FunctionCallBody(function, caller.call_id, MitteNumber(caller.company), args);
  request.headers.Add("Content-Type", "application/json");
  request.headers.Add("Connection", "keep-alive");
  request.headers.Add("X-Retell-Signature", retell::SignRetellPayload(request.body, kRetellKey,
                                                                      ToUnixMillis(clock.Now())));
  return request;
}

// The ISO date (YYYY-MM-DD) of the n-th (from 0) day `days_ahead` or more days after today
// whose weekday is Monday … `last_weekday` (5 = Friday).
std::string Workday(const Clock& clock, int days_ahead, int n, int last_weekday = 5) {
  auto t = clock.Now() + std::chrono::hours(24 * days_ahead);
  for (int found = -1;; t += std::chrono::hours(24)) {
    auto local = ToLocal(t, kZone);
    if (local && local->weekday >= 1 && local->weekday <= last_weekday && ++found == n) {
      char text[16];
      std::snprintf(text, sizeof text, "%04d-%02d-%02d", local->year, local->month, local->day);
      return text;
    }
  }
}

// The answer is a 200 with success true and the expected slot source (live | cache).
bool Good(const Result<ClientResponse>& r, const char* source) {
  if (!r || r->status != 200) return false;
  const json body = json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body.value("success", false)) return false;
  return body.value("source", "") == source;
}

struct Stats {
  std::vector<double> latency_ms;  // sorted
  int errors = 0;
  double seconds = 0;  // wall time of the phase
  std::string first_error;

  double p(double q) const { return Percentile(latency_ms, q); }
  double achieved_rate() const {
    return seconds > 0 ? static_cast<double>(latency_ms.size() + errors) / seconds : 0;
  }
};

// Open loop: request i is due at start + i / rate and is sent by client (i mod clients) on its
// own keep-alive connection. Latency = answer time − due time.
Stats RunOpenLoop(std::uint16_t port, const Options& o,
                  const std::function<ClientRequest(int)>& make,
                  const std::function<bool(const Result<ClientResponse>&)>& good) {
  Stats stats;
  std::mutex mutex;
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / o.rate);
  const auto start = SteadyClock::now() + std::chrono::milliseconds(50);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      KeepAliveClient client(port);
      std::vector<double> mine;
      int errors = 0;
      std::string first_error;
      for (int i = c; i < o.requests; i += o.clients) {
        const ClientRequest request = make(i);
        const auto due = start + i * interval;
        std::this_thread::sleep_until(due);
        auto response = client.Send(request);
        const auto done = SteadyClock::now();
        if (good(response)) {
          mine.push_back(Ms(done - due));
        } else {
          ++errors;
          if (first_error.empty()) {
            first_error = response ? std::to_string(response->status) + " " + response->body
                                   : response.error().message;
          }
        }
      }
      std::lock_guard lock(mutex);
      stats.latency_ms.insert(stats.latency_ms.end(), mine.begin(), mine.end());
      stats.errors += errors;
      if (stats.first_error.empty()) stats.first_error = first_error;
    });
  }
  for (auto& t : threads) t.join();
  stats.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::sort(stats.latency_ms.begin(), stats.latency_ms.end());
  return stats;
}

// Closed loop: `clients` threads, each sending its share of `count` requests one after another.
Stats RunClosedLoop(std::uint16_t port, int count, int clients,
                    const std::function<ClientRequest(int)>& make,
                    const std::function<bool(const Result<ClientResponse>&)>& good) {
  Stats stats;
  std::mutex mutex;
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      KeepAliveClient client(port);
      for (int i = c; i < count; i += clients) {
        const ClientRequest request = make(i);
        const auto t0 = SteadyClock::now();
        auto response = client.Send(request);
        const double ms = Ms(SteadyClock::now() - t0);
        std::lock_guard lock(mutex);
        if (good(response)) {
          stats.latency_ms.push_back(ms);
        } else {
          ++stats.errors;
          if (stats.first_error.empty()) {
            stats.first_error = response ? std::to_string(response->status) + " " + response->body
                                         : response.error().message;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  stats.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::sort(stats.latency_ms.begin(), stats.latency_ms.end());
  return stats;
}

void PrintRow(const char* name, const Stats& s) {
  std::printf("  %-40s %8.2f %8.2f %8.2f %8.2f %9.0f %6d\n", name, s.p(0.50), s.p(0.90), s.p(0.99),
              s.latency_ms.empty() ? 0.0 : s.latency_ms.back(), s.achieved_rate(), s.errors);
  if (!s.first_error.empty()) std::printf("    first error: %.900s\n", s.first_error.c_str());
}

bool ParseOptions(int argc, char** argv, Options& o) {
  return bench::ParseArgs(argc, argv, [&o](const std::string& name, const std::string& text) {
    const int value = std::atoi(text.c_str());
    if (value <= 0) return false;
    if (name == "rate")
      o.rate = value;
    else if (name == "requests")
      o.requests = value;
    else if (name == "clients")
      o.clients = value;
    else if (name == "cold")
      o.cold = value;
    else if (name == "cold-clients")
      o.cold_clients = value;
    else if (name == "alternatives")
      o.alternatives = value;
    else if (name == "latency-ms")
      o.latency_ms = value;
    else
      return false;
    return true;
  });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: availability_bench [--rate=200] [--requests=1500] [--clients=4] "
                 "[--cold=40] [--cold-clients=2] [--alternatives=8] [--latency-ms=300]\n");
    return 2;
  }
  observability::ConfigureLogging(observability::LogLevel::kError, /*json=*/true);
  SystemClock clock;

  char dir_template[] = "/tmp/callgate-availability-bench-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir(dir_template);
  struct RemoveDir {
    std::filesystem::path path;
    ~RemoveDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_dir{dir};

  // Companies 0 … warm_companies-1 take the warm load; then one company per cold
  // check-availability and one per get-alternatives request (each within its account's budget).
  const int warm_companies = (o.requests + kRequestsPerCompany - 1) / kRequestsPerCompany;
  const int cold_base = warm_companies;
  const int alt_base_company = cold_base + o.cold;
  calcom::fake::FakeCalcomOptions fake_options;
  fake_options.event_types = EventTypeCopies(alt_base_company + o.alternatives);
  calcom::fake::FakeCalcom fake(std::move(fake_options));
  if (auto started = fake.Start(); !started) {
    std::fprintf(stderr, "fake Cal.com: %s\n", started.error().message.c_str());
    return 1;
  }
  app::Config config;
  config.listen_port = 0;
  config.database_url = "sqlite://" + (dir / "bench.db").string();
  config.retell_api_key = kRetellKey;
  config.calcom_base_url = fake.base_url();
  config.log_level = "error";
  auto created = app::Application::Create(config, clock);
  if (!created) {
    std::fprintf(stderr, "application: %s\n", created.error().message.c_str());
    return 1;
  }
  std::unique_ptr<app::Application> application = std::move(*created);
  for (int k = 0; k < alt_base_company + o.alternatives; ++k) {
    auto tenant = tools::ParseTenantJson(TenantJson(k));
    if (!tenant || !tools::ImportTenants(*tenant, application->database(), clock)) {
      std::fprintf(stderr, "cannot seed copy %d of the demo tenant\n", k);
      return 1;
    }
  }
  if (auto started = application->Start(); !started) {
    std::fprintf(stderr, "application: %s\n", started.error().message.c_str());
    return 1;
  }
  const std::uint16_t port = application->port();
  int status = 0;

  std::printf(
      "availability_bench: loopback, one run, %u hardware threads (machine may be shared)\n",
      std::thread::hardware_concurrency());
  std::printf("server: http_threads %d, handler_threads %d, SQLite in %s\n", config.http_threads,
              config.handler_threads, dir.c_str());

  // ---- 1. Warm ------------------------------------------------------------------------------
  const std::string warm_day = Workday(clock, 2, 0);
  const json warm_args = {{"service", "Erstberatung"}, {"date", warm_day}, {"time", "10 Uhr"}};
  auto warm_caller = [&](int i) {
    const int company = i % warm_companies;
    return Caller{company, "bench-warm-" + std::to_string(company)};
  };
  auto cold_caller = [&](int i) {
    return Caller{cold_base + i, "bench-cold-" + std::to_string(i)};
  };
  auto alt_caller = [&](int i) {
    return Caller{alt_base_company + i, "bench-alt-" + std::to_string(i)};
  };
  // One call per call id first: creates the call's record and fills its company's slot cache.
  std::vector<Caller> first_calls;
  for (int k = 0; k < warm_companies; ++k) first_calls.push_back(warm_caller(k));
  for (int i = 0; i < o.cold; ++i) first_calls.push_back(cold_caller(i));
  for (int i = 0; i < o.alternatives; ++i) first_calls.push_back(alt_caller(i));
  for (const Caller& caller : first_calls) {
    KeepAliveClient client(port);
    auto r = client.Send(FunctionRequest(clock, "check-availability", caller, warm_args));
    if (!Good(r, "live") && !Good(r, "cache")) {
      std::fprintf(
          stderr, "warm-up failed: %s\n",
          r ? (std::to_string(r->status) + " " + r->body).c_str() : r.error().message.c_str());
      return 1;
    }
  }
  fake.ResetStats();

  ClientRequest health;
  health.target = "/health";
  health.headers.Add("Connection", "keep-alive");
  const Stats health_stats = RunOpenLoop(
      port, o, [&](int) { return health; },
      [](const Result<ClientResponse>& r) { return r && r->status == 200; });
  const Stats warm_stats = RunOpenLoop(
      port, o,
      [&](int i) {
        return FunctionRequest(clock, "check-availability", warm_caller(i), warm_args);
      },
      [](const Result<ClientResponse>& r) { return Good(r, "cache"); });
  const auto warm_fetches = fake.Stats().Count("slots");

  std::printf(
      "\n1. Warm (cached) check-availability: open loop at %d req/s, %d requests, %d keep-alive "
      "clients, %d companies\n   latency = answer time - scheduled send time, in ms\n",
      o.rate, o.requests, o.clients, warm_companies);
  std::printf("  %-40s %8s %8s %8s %8s %9s %6s\n", "", "p50", "p90", "p99", "max", "achieved/s",
              "errors");
  PrintRow("GET /health (HTTP baseline)", health_stats);
  PrintRow("POST check-availability (cached)", warm_stats);
  std::printf("  %-40s %8.2f %8s %8.2f\n", "ratio check-availability / health",
              warm_stats.p(0.5) / std::max(health_stats.p(0.5), 1e-9), "",
              warm_stats.p(0.99) / std::max(health_stats.p(0.99), 1e-9));
  std::printf("  Cal.com slot requests during the warm phase: %llu (expected 0)\n",
              static_cast<unsigned long long>(warm_fetches));
  if (warm_fetches != 0 || warm_stats.errors != 0 || health_stats.errors != 0) status = 1;

  // ---- 2. Cold ------------------------------------------------------------------------------
  calcom::fake::FakeCalcomBehavior slow;
  slow.latency_ms = o.latency_ms;
  fake.SetBehavior(slow);

  // One Cal.com slots request, straight to the fake (the unit of the ratios below).
  const std::string direct_day = Workday(clock, 2, 1);
  ClientRequest direct;
  direct.target = "/v2/slots?eventTypeId=1001&start=" + direct_day + "&end=" + direct_day +
                  "&timeZone=Europe/Berlin";
  direct.headers.Add("cal-api-version", "2024-09-04");
  direct.headers.Add("Authorization", "Bearer cal_test_demo");
  direct.headers.Add("Connection", "keep-alive");
  const Stats direct_stats = RunClosedLoop(
      fake.port(), std::max(4, o.cold / 4), 1, [&](int) { return direct; },
      [](const Result<ClientResponse>& r) { return r && r->status == 200; });

  // Every cold request asks for another (service, day), beyond the days the warm-up call filled
  // (its day and the 14 days after it, asked for its alternatives): the cache cannot answer.
  constexpr int kColdStart = 30;
  fake.ResetStats();
  const Stats cold_stats = RunClosedLoop(
      port, o.cold, o.cold_clients,
      [&](int i) {
        const json args = {{"service", kServices[i % 3]},
                           {"date", Workday(clock, kColdStart, i / 3)},
                           {"time", "10 Uhr"}};
        return FunctionRequest(clock, "check-availability", cold_caller(i), args);
      },
      [](const Result<ClientResponse>& r) { return Good(r, "live"); });
  const auto cold_fetches = fake.Stats().Count("slots");

  // get-alternatives: four slot queries (the day, the next workday, a week later, 14 days).
  // Days far apart and beyond the cold days, so none of the four is cached.
  fake.ResetStats();
  const int alt_base = kColdStart + 7 * ((o.cold / 3) / 5 + 3) + 14;
  const Stats alt_stats = RunClosedLoop(
      port, o.alternatives, 1,
      [&](int i) {
        // Monday–Thursday, so "the next workday" is the next day.
        const std::string day = Workday(clock, alt_base + 17 * i, 0, 4);
        const json args = {{"service", kServices[i % 3]}, {"date", day}, {"time", "10 Uhr"}};
        return FunctionRequest(clock, "get-alternatives", alt_caller(i), args);
      },
      [](const Result<ClientResponse>& r) { return Good(r, "live"); });
  const auto alt_fetches = fake.Stats().Count("slots");

  const double one = std::max(direct_stats.p(0.5), 1e-9);
  const double latency = o.latency_ms;
  std::printf(
      "\n2. Cold check-availability: fake Cal.com latency_ms = %d, cache bypassed (another service "
      "and day per request), in ms\n",
      o.latency_ms);
  std::printf("  %-40s %8s %8s %8s %8s %9s %6s\n", "", "p50", "p90", "p99", "max", "n", "errors");
  auto row = [](const char* name, const Stats& s) {
    std::printf("  %-40s %8.1f %8.1f %8.1f %8.1f %9zu %6d\n", name, s.p(0.5), s.p(0.9), s.p(0.99),
                s.latency_ms.empty() ? 0.0 : s.latency_ms.back(), s.latency_ms.size(), s.errors);
    if (!s.first_error.empty()) std::printf("    first error: %.900s\n", s.first_error.c_str());
  };
  row("one Cal.com slots request (direct)", direct_stats);
  row("check-availability answer", cold_stats);
  std::printf("  %-40s %8.1f %8.1f %8.1f\n", "  callgate overhead (answer - latency_ms)",
              cold_stats.p(0.5) - latency, cold_stats.p(0.9) - latency,
              cold_stats.p(0.99) - latency);
  std::printf("  %-40s %8.2f %8.2f %8.2f\n", "  ratio answer / one Cal.com request",
              cold_stats.p(0.5) / one, cold_stats.p(0.9) / one, cold_stats.p(0.99) / one);
  std::printf("  %-40s %8.2f\n", "  Cal.com slot requests per answer",
              cold_stats.latency_ms.empty()
                  ? 0.0
                  : static_cast<double>(cold_fetches) /
                        static_cast<double>(cold_stats.latency_ms.size() + cold_stats.errors));
  row("get-alternatives answer (4 slot queries)", alt_stats);
  std::printf("  %-40s %8.1f %8.1f %8.1f\n", "  callgate overhead (answer - latency_ms)",
              alt_stats.p(0.5) - latency, alt_stats.p(0.9) - latency, alt_stats.p(0.99) - latency);
  std::printf("  %-40s %8.2f %8.2f %8.2f\n", "  ratio answer / one Cal.com request",
              alt_stats.p(0.5) / one, alt_stats.p(0.9) / one, alt_stats.p(0.99) / one);
  std::printf("  %-40s %8.2f\n", "  Cal.com slot requests per answer",
              alt_stats.latency_ms.empty()
                  ? 0.0
                  : static_cast<double>(alt_fetches) /
                        static_cast<double>(alt_stats.latency_ms.size() + alt_stats.errors));
  if (cold_stats.errors != 0 || alt_stats.errors != 0 || direct_stats.errors != 0) status = 1;

  application->Stop();
  fake.Stop();
  return status;
}
