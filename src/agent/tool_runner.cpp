#include "agent/tool_runner.hpp"

#include "agent/json_text.hpp"
#include "agent/tool_args.hpp"
#include "core/blocking.hpp"
#include "core/text.hpp"
#include "observability/log.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;

std::string Dump(const json& body) { return DumpJson(body); }

}  // namespace

std::string RenderJson(ToolOutcome outcome, std::size_t max_bytes) {
  json body = outcome.data.is_object() ? std::move(outcome.data) : json::object();
  body["success"] = outcome.success;
  body["message"] = outcome.message;
  std::string text = Dump(body);
  // Shorten the longest lists first: the sentence and the scalars matter most.
  while (text.size() > max_bytes) {
    json* longest = nullptr;
    for (auto& [k, v] : body.items()) {
      if (v.is_array() && !v.empty() && (longest == nullptr || v.size() > longest->size())) {
        longest = &v;
      }
    }
    if (longest == nullptr) {
      body = {{"success", outcome.success},
              {"message", std::string(Utf8Prefix(outcome.message, 2000))}};
      return Dump(body);
    }
    longest->erase(longest->size() - 1);
    body["truncated"] = true;
    text = Dump(body);
  }
  return text;
}

std::optional<ratelimit::Decision> ToolRunner::Limit(const booking::CallContext& ctx,
                                                     const ToolCall& call) const {
  if (limiter_ == nullptr) return std::nullopt;
  const ToolSpec& tool = *call.tool;
  const bool books = tool.limit == LimitClass::kBooking ||
                     (tool.limit == LimitClass::kBookingConfirm && Confirms(call.args));
  std::string key = "fn:" + std::to_string(ctx.company.id.value) + ":" + std::string(tool.name);
  if (books) {
    // Keyed by the service the arguments resolve to, so spellings, case or service_id cannot
    // open a second bucket for one service.
    const auto choice = ParseServiceChoice(call.args);
    const auto service = choice ? booking_.ServiceFor(ctx, *choice) : std::nullopt;
    key = "book:" + std::to_string(ctx.company.id.value) + ":" +
          (service ? std::to_string(service->value) : std::string("unresolved"));
  }
  if (call.channel == ToolCall::Channel::kAgentApi) key = "api:" + key;
  auto decision = limiter_->Acquire(key, books ? limits_.bookings : limits_.per_tool);
  if (!decision || decision->allowed) return std::nullopt;  // a failing limiter never blocks
  metrics_.Increment("callgate_ratelimit_rejected_total", {{"scope", "agent_tool"}});
  return *decision;
}

ToolRun ToolRunner::Run(const booking::CallContext& ctx, const ToolCall& call) const {
  ToolRun run;
  const std::string_view tool_name = call.tool ? call.tool->name : std::string_view("unknown");
  auto count = [&](std::string_view outcome) {
    tool_counts_.Add("callgate_agent_tool_total", {call.platform, tool_name, outcome});
  };
  if (call.tool == nullptr) {
    count("unknown_tool");
    run.answer = Fail(ErrorCode::kNotFound, "unknown tool");
    return run;
  }
  const ToolSpec& tool = *call.tool;
  if (!tool.read_only && !call.may_write) {
    count("read_only_token");
    run.answer = Fail(ErrorCode::kPermissionDenied,
                      "this token may only read: " + std::string(tool.name) + " changes data");
    return run;
  }
  if (tool.access == ToolAccess::kCallerData && !call.known_call) {
    count("needs_call");
    run.answer = Fail(ErrorCode::kPermissionDenied,
                      "this tool needs a call the platform signed (the caller's own data)");
    return run;
  }
  if (!call.args.is_object()) {
    count("bad_request");
    run.answer = Fail(ErrorCode::kInvalidArgument, "the arguments must be a JSON object");
    return run;
  }
  auto refuse_if_limited = [&]() -> bool {
    auto limited = Limit(ctx, call);
    if (!limited) return false;
    count("rate_limited");
    run.limited = *limited;
    run.answer = Fail(ErrorCode::kRateLimited, "rate limit exceeded");
    return true;
  };
  // An attempt that may not wait (core/blocking.hpp) is charged once its answer is ready: if
  // the tool would wait instead, nothing was charged, and the request is charged where it runs
  // again (or not at all when it is refused there). The limit protects the calendar and the
  // database, which an answer from memory does not touch.
  const bool charge_after = !MayBlockHere();
  if (!charge_after && refuse_if_limited()) return run;

  ToolInvocation invocation{ctx, call, booking_, contexts_};
  tool.invoke(invocation);
  if (charge_after && refuse_if_limited()) return run;
  Result<ToolAnswer>& answer = invocation.answer;
  if (!answer) {
    const ErrorCode code = answer.error().code;
    count(ErrorCodeName(code));
    const bool own_message = invocation.bad_arguments || code == ErrorCode::kPermissionDenied;
    if (!own_message) {
      // Storage and calendar errors can carry a server's text: log it, answer a generic one.
      observability::LogError("tool_failed", {{"tool", tool_name},
                                              {"platform", std::string(call.platform)},
                                              {"error", answer.error().message}});
      run.answer =
          Fail(code, "the tool could not be completed (" + std::string(ErrorCodeName(code)) + ")");
      return run;
    }
    run.answer = tl::unexpected<Error>(answer.error());
    return run;
  }
  // A booking may have made the caller a known customer.
  if (tool.access == ToolAccess::kNewBooking && call.known_call && !ctx.customer &&
      !ctx.caller_e164.empty()) {
    contexts_.Forget(call.scope);
  }
  count(answer->refusal ? ErrorCodeName(*answer->refusal)
                        : std::string_view(answer->success ? "success" : "declined"));
  run.answer = ToolOutcome{answer->success, std::move(answer->message), std::move(answer->data),
                           answer->refusal};
  return run;
}

}  // namespace callgate::agent
