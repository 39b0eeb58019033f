// Fuzz target: the agent's function calls, POST /api/retell/{function}
// (retell/function_handlers.hpp) — the body in all its shapes (Retell's default
// {"name","call":{...},"args":{...}} and "args only" with the call id in the signed args,
// optionally repeated in X-Call-Id or ?call_id=), then the argument reading of every booking tool
// (dates and times, service names and ids, names, phone numbers, appointment ids, confirm flags)
// against an in-memory world.
//
// Input: a first line "<function>[?<query>][ <X-Call-Id>]", then the raw body, e.g.
//   check-availability?call_id=call_fuzz_1
//   {"service":"Beratung","date":"morgen","time":"halb drei"}
//
// The world (fresh for every input, so runs are deterministic): a fake clock at Thursday
// 26.11.2026 10:00 Berlin; company 1 ("Praxis Sonnenschein", branch Mitte, two services, the
// caller as a known customer with one upcoming appointment, call "call_fuzz_1"); company 2
// ("Nordlicht…", its own branch, service, customer, appointment and call "call_fuzz_2"); a
// calendar with free half-hour slots 09:00–17:00 local; a local rate limiter.
//
// CALLGATE_FUZZ_PRINT=1 prints each answer (status and body) to stderr.
//
// Invariants beyond "no crash":
//   - Handle never throws (an exception would be a 500 for a malformed request).
//   - The status is 200, 400, 401 (a body naming another function or call than the URL),
//     403, 404, 429 or a 5xx; the body is a JSON object; a 200 answer
//     has boolean "success", string "message" and fits Retell's 15,000-byte cap.
//   - Tenant isolation: every write (appointment, customer, callback, call, job) is for the
//     company the call belongs to, and no answer for company 1's call mentions company 2's
//     data (every name of company 2 contains "Nordlicht"; checked when the input does not).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "booking/booking_service.hpp"
#include "booking/call_context.hpp"
#include "booking/testing/in_memory.hpp"
#include "core/testing/fake_clock.hpp"
#include "http/request.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "retell/function_handlers.hpp"
#include "tenancy/tenant_directory.hpp"

namespace {

using namespace callgate;
using booking::Appointment;
using booking::AppointmentId;
using tenancy::BranchId;
using tenancy::CompanyId;
using tenancy::CustomerId;
using tenancy::ServiceId;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Violation(what);
}

constexpr std::string_view kOtherMarker = "Nordlicht";

// Which company the request's call belongs to; every write must be for it.
struct Scope {
  std::optional<CompanyId> company;
  void Write(CompanyId id) {
    if (company) Check(*company == id, "a write for another company than the call's");
  }
};

// The shared two-company world (booking/testing/in_memory.hpp) with the fuzz target's checks
// hooked into its writes, and the Retell function handler on top.
struct World {
  Scope scope;
  booking::testing::TwoCompanyWorld base;
  ratelimit::LocalRateLimiter limiter{base.clock};
  agent::ToolRunner tools{base.contexts, base.booking, base.metrics, &limiter};
  retell::FunctionHandlers handlers{base.contexts, tools, base.metrics};

  World() {
    base.scope.on_write = [this](CompanyId id) { scope.Write(id); };
    base.scope.on_call_resolved = [this](CompanyId id) {
      if (!scope.company) scope.company = id;
    };
  }
};

http::Request MakeRequest(std::string_view first_line, std::string_view body) {
  http::Request request;
  request.method = http::Method::kPost;
  request.method_token = "POST";
  std::string_view route = first_line;
  if (const auto space = route.find(' '); space != std::string_view::npos) {
    request.headers.Add("X-Call-Id", std::string(route.substr(space + 1)));
    route = route.substr(0, space);
  }
  std::string_view function = route;
  if (const auto q = route.find('?'); q != std::string_view::npos) {
    request.raw_query = std::string(route.substr(q + 1));
    request.query = http::ParseQueryString(request.raw_query);
    function = route.substr(0, q);
  }
  request.path = "/api/retell/" + std::string(function);
  request.target = request.path + (request.raw_query.empty() ? "" : "?" + request.raw_query);
  request.route_pattern = "/api/retell/{function}";
  request.route_params = {{"function", std::string(function)}};
  request.body = std::string(body);
  request.peer_address = "127.0.0.1";
  request.request_id = "fuzz";
  return request;
}

bool KnownStatus(int status) {
  return status == 200 || status == 400 || status == 401 || status == 403 || status == 404 ||
         status == 429 || (status >= 500 && status <= 599);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  observability::ConfigureLogging(observability::LogLevel::kError, true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  http::Request request = MakeRequest(input.substr(0, newline), input.substr(newline + 1));

  auto world = std::make_unique<World>();
  http::Response response;
  try {
    response = world->handlers.Handle(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception from FunctionHandlers::Handle: %s\n", e.what());
    Violation("Handle threw");
  } catch (...) {
    Violation("Handle threw a non-standard exception");
  }

  static const bool print = std::getenv("CALLGATE_FUZZ_PRINT") != nullptr;
  if (print) std::fprintf(stderr, "%d %s\n", response.status, response.body.c_str());
  Check(KnownStatus(response.status), "unexpected HTTP status");
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  Check(!body.is_discarded() && body.is_object(), "the answer is not a JSON object");
  if (response.status == 200) {
    Check(body.contains("success") && body["success"].is_boolean(), "200 without boolean success");
    Check(body.contains("message") && body["message"].is_string(), "200 without string message");
    Check(response.body.size() <= agent::kMaxToolAnswerBytes, "answer over Retell's cap");
  }
  for (const auto& q : world->base.calendar.queries) {
    Check(q.to - q.from <= std::chrono::days(400), "a slot query over more than 400 days");
  }
  for (const auto& customer : world->base.customers.rows) {
    Check(!customer.phone_e164.empty(), "a customer without a phone number");
  }
  if (world->scope.company == CompanyId(1) && input.find(kOtherMarker) == std::string_view::npos) {
    Check(response.body.find(kOtherMarker) == std::string::npos,
          "company 2's data in an answer to company 1's call");
  }
  return 0;
}
