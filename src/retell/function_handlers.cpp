#include "retell/function_handlers.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/blocking.hpp"
#include "http/error_mapping.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "retell/payload.hpp"

namespace callgate::retell {

using nlohmann::json;

http::Response FunctionHandlers::Handle(http::Request& request) const {
  const std::string function(request.RouteParam("function").value_or(""));
  const agent::ToolSpec* tool = agent::FindTool(function);
  // Failures before the tool runs are counted here; the runner counts the rest.
  auto count = [&](std::string_view outcome) {
    metrics_.Increment("callgate_agent_tool_total",
                       {{"platform", "retell"},
                        {"tool", tool ? std::string(tool->name) : std::string("unknown")},
                        {"outcome", std::string(outcome)}});
  };
  // URLs name tools in their table spelling only ("check-availability").
  if (tool == nullptr || tool->name != function) {
    tool = nullptr;
    count("unknown_function");
    return http::Response::Error(ErrorCode::kNotFound, "unknown function");
  }
  // A tool that writes always waits for the database: no use trying it on the I/O thread.
  if (!tool->read_only) MayBlock("a tool that writes");
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    count("bad_request");
    return http::Response::Error(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  // Standard mode: {"name","call","args"}: the signed body names the function and the call.
  // Args-only mode: the body is the args, which must carry the call id themselves, so that a
  // signature cannot be moved to another call (SPEC §4, docs/security.md F5).
  agent::ToolCall call;
  call.tool = tool;
  call.platform = "retell";
  std::optional<calls::CallSnapshot> snapshot;
  if (body.contains("args") && body["args"].is_object() && body.contains("call") &&
      body["call"].is_object()) {
    call.args = std::move(body["args"]);
    const std::string name = body.contains("name") && body["name"].is_string()
                                 ? body["name"].get<std::string>()
                                 : std::string();
    if (agent::FindTool(name) != tool) {
      count("signature_mismatch");
      return http::Response::Error(ErrorCode::kUnauthenticated,
                                   "the signed body names another function");
    }
    if (auto parsed = FunctionCallIdentity(body["call"])) {
      call.scope = parsed->call_id;
      snapshot = std::move(*parsed);
    }
    if (call.scope.empty()) {
      count("bad_request");
      return http::Response::Error(ErrorCode::kInvalidArgument, "call.call_id is missing");
    }
  } else {
    call.args = std::move(body);
    if (call.args.contains("call_id") && call.args["call_id"].is_string()) {
      call.scope = call.args["call_id"].get<std::string>();
    }
    if (call.scope.empty()) {
      count("bad_request");
      return http::Response::Error(
          ErrorCode::kInvalidArgument,
          "args-only requests must carry call_id in the signed args (docs/retell.md)");
    }
    for (auto unsigned_id : {request.Header("X-Call-Id"), request.QueryParam("call_id")}) {
      if (unsigned_id && !unsigned_id->empty() && *unsigned_id != call.scope) {
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
  auto ctx = contexts_.Resolve(call.scope, snapshot, url_company);
  if (!ctx) {
    count(ctx.error().code == ErrorCode::kNotFound ? "unknown_call" : "error");
    return http::Response::Error(ctx.error());
  }

  agent::ToolRun run = tools_.Run(*ctx, call);
  if (run.limited) return ratelimit::RateLimitedResponse(*run.limited);  // the 429 of every limit
  if (!run.answer) return http::Response::Error(run.answer.error());
  // A refusal that is spoken (a service of another branch) keeps its error status.
  const int status = run.answer->refusal ? http::HttpStatusFor(*run.answer->refusal) : 200;
  return http::Response::RawJson(status, agent::RenderJson(std::move(*run.answer)));
}

}  // namespace callgate::retell
