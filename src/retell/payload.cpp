#include "retell/payload.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/numbers.hpp"

namespace callgate::retell {
namespace {

using nlohmann::json;

std::optional<std::string> OptString(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string String(const json& obj, const char* key) { return OptString(obj, key).value_or(""); }

std::optional<long long> OptInt(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_float()) return Int64FromDouble(it->get<double>());
  if (it->is_number_unsigned()) return Int64FromUnsigned(it->get<std::uint64_t>());
  return it->get<long long>();
}

std::optional<bool> OptBool(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<std::string> OptJson(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  return it->dump();
}

// Who calls whom: the call id (required), agent, type, status, direction and numbers.
Result<RetellCall> CallIdentityFromJson(const json& c) {
  if (!c.is_object()) return Fail(ErrorCode::kInvalidArgument, "call must be an object");
  RetellCall call;
  call.call_id = String(c, "call_id");
  if (call.call_id.empty() || call.call_id.size() > calls::kMaxCallIdLength) {
    return Fail(ErrorCode::kInvalidArgument, "call.call_id is required");
  }
  call.agent_id = String(c, "agent_id");
  call.call_type = String(c, "call_type");
  call.call_status = String(c, "call_status");
  call.direction = String(c, "direction");
  call.from_number = String(c, "from_number");
  call.to_number = String(c, "to_number");
  calls::ForgetUnverifiedCaller(call);
  return call;
}

Result<RetellCall> CallFromJson(const json& c) {
  auto identity = CallIdentityFromJson(c);
  if (!identity) return identity;
  RetellCall& call = *identity;
  call.start_timestamp_ms = OptInt(c, "start_timestamp");
  call.end_timestamp_ms = OptInt(c, "end_timestamp");
  call.duration_ms = OptInt(c, "duration_ms");
  call.transcript = OptString(c, "transcript");
  call.transcript_object_json = OptJson(c, "transcript_object");
  call.recording_url = OptString(c, "recording_url");
  call.disconnection_reason = OptString(c, "disconnection_reason");
  call.metadata_json = OptJson(c, "metadata");
  call.dynamic_variables_json = OptJson(c, "retell_llm_dynamic_variables");
  if (auto it = c.find("call_cost"); it != c.end() && it->is_object()) {
    if (auto cc = it->find("combined_cost"); cc != it->end() && cc->is_number()) {
      call.combined_cost_cents = cc->get<double>();
    }
  }
  if (auto it = c.find("call_analysis"); it != c.end() && it->is_object()) {
    call.call_analysis_json = it->dump();
    call.summary = OptString(*it, "call_summary");
    call.user_sentiment = OptString(*it, "user_sentiment");
    call.call_successful = OptBool(*it, "call_successful");
    call.in_voicemail = OptBool(*it, "in_voicemail");
  }
  return identity;
}

}  // namespace

Result<RetellCall> FunctionCallIdentity(const json& call) { return CallIdentityFromJson(call); }

Result<RetellCall> ParseCallObject(std::string_view call_json) {
  json c = json::parse(call_json, nullptr, false);
  if (c.is_discarded()) return Fail(ErrorCode::kInvalidArgument, "call is not valid JSON");
  return CallFromJson(c);
}

Result<WebhookEvent> ParseWebhookEvent(std::string_view body) {
  json root = json::parse(body, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "body is not a JSON object");
  }
  WebhookEvent out;
  out.event = String(root, "event");
  if (out.event.empty() || out.event.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "event is required");
  }
  auto it = root.find("call");
  if (it == root.end()) return Fail(ErrorCode::kInvalidArgument, "call is required");
  auto call = CallFromJson(*it);
  if (!call) return tl::unexpected(call.error());
  out.call = std::move(*call);
  out.dedupe_key = "retell:" + out.event + ":" + out.call.call_id;
  if (out.event.rfind("transfer_", 0) == 0) {
    out.dedupe_key += ":" + std::to_string(out.call.start_timestamp_ms.value_or(0));
  }
  return out;
}

Result<InboundCall> ParseInboundCall(std::string_view body) {
  json root = json::parse(body, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "body is not a JSON object");
  }
  auto it = root.find("call_inbound");
  if (it == root.end() || !it->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "call_inbound is required");
  }
  InboundCall out;
  out.from_number = String(*it, "from_number");
  out.to_number = String(*it, "to_number");
  out.agent_id = String(*it, "agent_id");
  out.agent_version = OptInt(*it, "agent_version");
  if (out.to_number.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "call_inbound.to_number is required");
  }
  return out;
}

bool IsLifecycleEvent(std::string_view event) noexcept {
  return event == "call_started" || event == "call_ended" || event == "call_analyzed";
}

}  // namespace callgate::retell
