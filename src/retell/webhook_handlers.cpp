#include "retell/webhook_handlers.hpp"

#include <nlohmann/json.hpp>

#include "http/pending_answer.hpp"
#include "retell/payload.hpp"

namespace callgate::retell {
namespace {

std::optional<tenancy::CompanyId> UrlCompany(const http::Request& request) {
  if (!request.attributes.company_id) return std::nullopt;
  return tenancy::CompanyId(*request.attributes.company_id);
}

// Retell's answer to a recorded delivery: {"outcome":"…","status":"ok"} (the same bytes
// nlohmann::json gave), or the error.
http::Response EventAnswer(const Result<calls::EventResult>& result) {
  if (!result) return http::Response::Error(result.error());
  return http::Response::RawJson(200, R"({"outcome":")" +
                                          std::string(calls::EventOutcomeName(result->outcome)) +
                                          R"(","status":"ok"})");
}

}  // namespace

http::Response WebhookHandlers::LifecycleEvent(http::Request& request) const {
  auto parsed = ParseWebhookEvent(request.body);
  if (!parsed) return http::Response::Error(parsed.error());
  calls::CallEventInput input;
  input.event = parsed->event;
  input.call = std::move(parsed->call);
  input.dedupe_key = std::move(parsed->dedupe_key);
  input.raw_body = request.body;
  input.url_company = UrlCompany(request);
  input.request_id = request.request_id;
  // The write is queued (call_started) and answered once it is committed; no thread waits.
  auto pending = std::make_shared<http::PendingAnswer>();
  events_.RecordLater(input, [pending](Result<calls::EventResult> result) {
    pending->Answer(EventAnswer(result));
  });
  return http::Response::Later(std::move(pending));
}

http::Response WebhookHandlers::InboundCall(http::Request& request) const {
  auto parsed = ParseInboundCall(request.body);
  if (!parsed) return http::Response::Error(parsed.error());
  calls::InboundCallRequest in{parsed->from_number, parsed->to_number, parsed->agent_id,
                               UrlCompany(request)};
  auto answer = inbound_.Answer(in);
  if (!answer) return http::Response::Error(answer.error());
  nlohmann::json vars = nlohmann::json::object();
  for (const auto& [k, v] : answer->dynamic_variables) vars[k] = v;
  nlohmann::json metadata = {{"company_id", std::to_string(answer->company_id.value)}};
  if (answer->branch_id) metadata["branch_id"] = std::to_string(answer->branch_id->value);
  return http::Response::Json(
      200, {{"call_inbound", {{"dynamic_variables", vars}, {"metadata", metadata}}}});
}

}  // namespace callgate::retell
