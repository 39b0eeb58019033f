#include "vapi/server_messages.hpp"

#include <memory>

#include "core/blocking.hpp"
#include "http/pending_answer.hpp"

namespace callgate::vapi {
namespace {

using nlohmann::json;

std::optional<tenancy::CompanyId> UrlCompany(const http::Request& request) {
  if (!request.attributes.company_id) return std::nullopt;
  return tenancy::CompanyId(*request.attributes.company_id);
}

// Metric label: the message types callgate answers or records, "other" for the rest.
std::string_view TypeLabel(std::string_view type) {
  for (std::string_view known :
       {"tool-calls", "assistant-request", "status-update", "end-of-call-report"}) {
    if (type == known) return known;
  }
  return "other";
}

void CountMessage(const observability::CounterCache& counts, std::string_view type,
                  const http::Response& answer) {
  counts.Add("callgate_vapi_message_total",
             {TypeLabel(type), answer.error ? std::string_view(answer.error->code) : "ok"});
}

// A result for a tool call that could not run, in the shape of the tools' own answers.
std::string Refusal(std::string_view code, std::string message) {
  return json{{"success", false}, {"error", code}, {"message", std::move(message)}}.dump();
}

}  // namespace

http::Response ServerMessageHandler::Handle(http::Request& request) const {
  auto parsed = ParseServerMessage(request.body);
  if (!parsed) {
    counts_->Add("callgate_vapi_message_total", {"invalid", "bad_request"});
    return http::Response::Error(parsed.error());
  }
  const auto url_company = UrlCompany(request);
  if (parsed->type == "status-update" || parsed->type == "end-of-call-report") {
    return Lifecycle(*parsed, request, url_company);  // counted when answered
  }
  if (parsed->type == "tool-calls") {
    if (!settings_.tool_calls_inline) MayBlock("a Vapi tool call with its limits in Redis");
    // An attempt runs a message from the start again when it would wait: a call of a batch
    // that ran before a later one waited would run (and be charged and counted) twice.
    if (parsed->tool_calls.size() > 1) MayBlock("a batch of Vapi tool calls");
  }
  http::Response response = [&] {
    if (parsed->type == "tool-calls") return ToolCalls(*parsed, url_company);
    if (parsed->type == "assistant-request") return AssistantRequest(*parsed, url_company);
    // Vapi sends many more (conversation-update, speech-update, hang, …) and ignores the answer.
    return http::Response::Json(200, {{"status", "ok"}, {"outcome", "ignored"}});
  }();
  CountMessage(*counts_, parsed->type, response);
  return response;
}

http::Response ServerMessageHandler::ToolCalls(
    const ServerMessage& message, std::optional<tenancy::CompanyId> url_company) const {
  // One context for the whole batch: every call in it is the same phone call.
  auto ctx = tools_.Resolve(message.call, url_company);
  if (!ctx) return http::Response::Error(ctx.error());
  json results = json::array();
  for (const auto& call : message.tool_calls) {
    std::string text;
    if (call.args_error) {
      text = Refusal("invalid_arguments", *call.args_error);
    } else if (auto answer = tools_.Run(*ctx, call.name, call.args, message.call.call_id)) {
      text = std::move(*answer);
    } else {
      text = Refusal("unknown_tool", "There is no tool named \"" + call.name + "\".");
    }
    results.push_back(
        {{"toolCallId", call.id}, {"name", call.name}, {"result", SingleLine(std::move(text))}});
  }
  return http::Response::Json(200, {{"results", std::move(results)}});
}

http::Response ServerMessageHandler::AssistantRequest(
    const ServerMessage& message, std::optional<tenancy::CompanyId> url_company) const {
  calls::InboundCallRequest in{message.call.from_number, message.call.to_number,
                               message.call.agent_id, url_company, "vapi"};
  auto answer = inbound_.Answer(in);
  if (!answer) return http::Response::Error(answer.error());
  json variables = json::object();
  for (const auto& [k, v] : answer->dynamic_variables) variables[k] = v;
  const std::string assistant =
      answer->agent_id.empty() ? settings_.default_assistant_id : answer->agent_id;
  if (assistant.empty()) {
    // Without an assistant Vapi cannot take the call; say so rather than answer an invalid shape.
    return http::Response::Error(ErrorCode::kNotFound,
                                 "no Vapi assistant is set for the dialled number");
  }
  return http::Response::Json(
      200, {{"assistantId", assistant}, {"assistantOverrides", {{"variableValues", variables}}}});
}

http::Response ServerMessageHandler::Lifecycle(
    const ServerMessage& message, const http::Request& request,
    std::optional<tenancy::CompanyId> url_company) const {
  auto event = LifecycleEventOf(message);
  if (!event) {
    auto refused = http::Response::Error(ErrorCode::kInvalidArgument, "message.call.id is missing");
    CountMessage(*counts_, message.type, refused);
    return refused;
  }
  calls::CallEventInput input;
  input.platform = "vapi";
  input.event = std::move(event->event);
  input.dedupe_key = std::move(event->dedupe_key);
  input.call = message.call;
  input.raw_body = request.body;
  input.url_company = url_company;
  input.request_id = request.request_id;
  // A call's start is queued and answered once it is committed; no thread waits. The answer's
  // report holds what it counts with (CallEventService::RecordLater).
  auto pending = std::make_shared<http::PendingAnswer>();
  events_.RecordLater(input, [pending, counts = counts_,
                              type = message.type](Result<calls::EventResult> result) {
    http::Response answer =
        result ? http::Response::Json(
                     200, {{"status", "ok"}, {"outcome", calls::EventOutcomeName(result->outcome)}})
               : http::Response::Error(result.error());
    CountMessage(*counts, type, answer);
    pending->Answer(std::move(answer));
  });
  return http::Response::Later(std::move(pending));
}

}  // namespace callgate::vapi
