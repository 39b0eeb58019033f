#include "retell/function_handlers.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "booking/tool_args.hpp"
#include "observability/log.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "retell/payload.hpp"

namespace callgate::retell {
namespace {

using nlohmann::json;

// Keeps the answer under Retell's cap by shortening the longest lists in `data`.
std::string Render(json body) {
  std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  while (text.size() > kMaxToolAnswerBytes) {
    json* longest = nullptr;
    for (auto& [k, v] : body.items()) {
      if (v.is_array() && !v.empty() && (longest == nullptr || v.size() > longest->size())) {
        longest = &v;
      }
    }
    if (longest == nullptr) {
      body = {{"success", body.value("success", false)},
              {"message", body.value("message", std::string()).substr(0, 2000)}};
      return body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    longest->erase(longest->size() - 1);
    body["truncated"] = true;
    text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return text;
}

}  // namespace

std::optional<http::Response> FunctionHandlers::Limit(const booking::CallContext& ctx,
                                                      const std::string& function,
                                                      const json& args) const {
  if (limiter_ == nullptr) return std::nullopt;
  // Read "confirm" the way the booking tools do ("ja", "true", 1 count too): a typed read
  // (json::value) throws for anything but a boolean.
  const bool books = function == "book-appointment" ||
                     (function == "collect-appointment-data" && booking::internal::Confirmed(args));
  std::string key = "fn:" + std::to_string(ctx.company.id.value) + ":" + function;
  if (books) {
    // Keyed by the service the arguments resolve to, so spellings, case or service_id cannot
    // open a second bucket for one service.
    const auto service = booking_.ServiceFor(ctx, args);
    key = "book:" + std::to_string(ctx.company.id.value) + ":" +
          (service ? std::to_string(service->value) : std::string("unresolved"));
  }
  auto decision = limiter_->Acquire(key, books ? limits_.bookings : limits_.per_function);
  if (!decision || decision->allowed) return std::nullopt;  // a failing limiter never blocks
  metrics_.Increment("callgate_ratelimit_rejected_total", {{"scope", "retell_function"}});
  return ratelimit::RateLimitedResponse(*decision);  // the 429 every limit answers with
}

const std::vector<std::string>& FunctionNames() {
  static const std::vector<std::string> names = {
      "list-services",          "get-branches",
      "check-availability",     "get-alternatives",
      "collect-customer-info",  "collect-appointment-data",
      "book-appointment",       "cancel-appointment",
      "reschedule-appointment", "query-customer-appointments"};
  return names;
}

http::Response FunctionHandlers::Handle(http::Request& request) const {
  const std::string function(request.RouteParam("function").value_or(""));
  auto count = [&](std::string_view outcome) {
    const auto& names = FunctionNames();
    const bool known = std::find(names.begin(), names.end(), function) != names.end();
    metrics_.Increment("callgate_retell_function_total",
                       {{"function", known ? function : std::string("unknown")},
                        {"outcome", std::string(outcome)}});
  };
  const auto& names = FunctionNames();
  if (std::find(names.begin(), names.end(), function) == names.end()) {
    count("unknown_function");
    return http::Response::Error(ErrorCode::kNotFound, "unknown function");
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    count("bad_request");
    return http::Response::Error(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  // Standard mode: {"name","call","args"}: the signed body names the function and the call.
  // Args-only mode: the body is the args, which must carry the call id themselves, so that a
  // signature cannot be moved to another call (SPEC §4, docs/security.md F5).
  json args;
  std::optional<calls::CallSnapshot> snapshot;
  std::string call_id;
  if (body.contains("args") && body["args"].is_object() && body.contains("call") &&
      body["call"].is_object()) {
    args = body["args"];
    std::string name = body.contains("name") && body["name"].is_string()
                           ? body["name"].get<std::string>()
                           : std::string();
    std::replace(name.begin(), name.end(), '_', '-');
    if (name != function) {
      count("signature_mismatch");
      return http::Response::Error(ErrorCode::kUnauthenticated,
                                   "the signed body names another function");
    }
    if (auto parsed = ParseCallObject(body["call"].dump())) {
      call_id = parsed->call_id;
      snapshot = std::move(*parsed);
    }
    if (call_id.empty()) {
      count("bad_request");
      return http::Response::Error(ErrorCode::kInvalidArgument, "call.call_id is missing");
    }
  } else {
    args = body;
    if (args.contains("call_id") && args["call_id"].is_string()) {
      call_id = args["call_id"].get<std::string>();
    }
    if (call_id.empty()) {
      count("bad_request");
      return http::Response::Error(
          ErrorCode::kInvalidArgument,
          "args-only requests must carry call_id in the signed args (docs/retell.md)");
    }
    for (auto unsigned_id : {request.Header("X-Call-Id"), request.QueryParam("call_id")}) {
      if (unsigned_id && !unsigned_id->empty() && *unsigned_id != call_id) {
        count("signature_mismatch");
        return http::Response::Error(ErrorCode::kUnauthenticated,
                                     "the call id does not match the signed args");
      }
    }
  }
  // A company URL binds the company: every call it touches must be that company's (404 else,
  // and nothing is created).
  std::optional<tenancy::CompanyId> url_company;
  if (request.attributes.company_id)
    url_company = tenancy::CompanyId(*request.attributes.company_id);
  auto ctx = contexts_.Resolve(call_id, snapshot, url_company);
  if (!ctx) {
    count(ctx.error().code == ErrorCode::kNotFound ? "unknown_call" : "error");
    return http::Response::Error(ctx.error());
  }

  if (auto limited = Limit(*ctx, function, args)) {
    count("rate_limited");
    return *limited;
  }

  Result<booking::ToolAnswer> answer = Fail(ErrorCode::kInternal, "unhandled");
  if (function == "list-services") {
    answer = booking_.ListServices(*ctx);
  } else if (function == "get-branches") {
    answer = booking_.GetBranches(*ctx);
  } else if (function == "check-availability") {
    answer = booking_.CheckAvailability(*ctx, args);
  } else if (function == "get-alternatives") {
    answer = booking_.GetAlternatives(*ctx, args);
  } else if (function == "collect-customer-info") {
    std::optional<tenancy::Customer> customer;
    answer = booking_.CollectCustomerInfo(*ctx, args, &customer);
    if (customer) contexts_.RememberCustomer(call_id, *customer);
  } else if (function == "collect-appointment-data") {
    answer = booking_.CollectAppointmentData(
        *ctx, args, booking::ToolIdempotencyKey(call_id, "book-appointment", args));
  } else if (function == "book-appointment") {
    answer =
        booking_.BookAppointment(*ctx, args, booking::ToolIdempotencyKey(call_id, function, args));
  } else if (function == "cancel-appointment") {
    answer = booking_.CancelAppointment(*ctx, args);
  } else if (function == "reschedule-appointment") {
    answer = booking_.RescheduleAppointment(*ctx, args);
  } else if (function == "query-customer-appointments") {
    answer = booking_.QueryCustomerAppointments(*ctx);
  }
  if (!answer) {
    count(std::string(ErrorCodeName(answer.error().code)));
    if (answer.error().code == ErrorCode::kPermissionDenied) {
      return http::Response::Error(ErrorCode::kPermissionDenied, answer.error().message);
    }
    observability::LogError("function_failed",
                            {{"function", function}, {"error", answer.error().message}});
    return http::Response::Error(answer.error());
  }
  // A booking may have made the caller a known customer.
  if (function == "book-appointment" || function == "collect-appointment-data") {
    if (!ctx->customer && !ctx->caller_e164.empty()) contexts_.Forget(call_id);
  }
  count(answer->success ? "success" : "declined");
  json out = answer->data.is_object() ? answer->data : json::object();
  out["success"] = answer->success;
  out["message"] = answer->message;
  return http::Response::RawJson(200, Render(std::move(out)));
}

}  // namespace callgate::retell
