// Fuzz target: Retell webhook bodies (retell/payload.hpp): lifecycle webhooks
// (ParseWebhookEvent), the inbound call webhook (ParseInboundCall) and call objects
// (ParseCallObject). Input: the raw body.
//
// Invariants beyond "no crash":
//   - A parsed event has a non-empty event (≤ 64 bytes) and call id (≤ 128 bytes), and the
//     documented dedupe key "retell:<event>:<call_id>[:<start_timestamp>]".
//   - Sub-objects kept as JSON text (metadata, transcript_object, call_analysis, dynamic
//     variables) are valid JSON.
//   - parse → serialize → parse: writing the parsed event back as a webhook body and parsing
//     it again gives the same event; ParseCallObject of the call alone gives the same call.
//   - A parsed inbound call has a to_number.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "retell/payload.hpp"

namespace {

using callgate::retell::RetellCall;
using nlohmann::json;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Violation(what);
}

void CheckJsonText(const std::optional<std::string>& text, const char* what) {
  if (!text) return;
  Check(json::accept(*text), what);
}

// The call object as Retell would send it, from what was parsed.
json CallJson(const RetellCall& c) {
  json j = json::object();
  const auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  const auto put_opt = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  const auto put_json = [&](const char* key, const std::optional<std::string>& v) {
    if (v) j[key] = json::parse(*v);
  };
  j["call_id"] = c.call_id;
  put("agent_id", c.agent_id);
  put("call_type", c.call_type);
  put("call_status", c.call_status);
  put("direction", c.direction);
  put("from_number", c.from_number);
  put("to_number", c.to_number);
  put_opt("start_timestamp", c.start_timestamp_ms);
  put_opt("end_timestamp", c.end_timestamp_ms);
  put_opt("duration_ms", c.duration_ms);
  put_opt("transcript", c.transcript);
  put_json("transcript_object", c.transcript_object_json);
  put_opt("recording_url", c.recording_url);
  put_opt("disconnection_reason", c.disconnection_reason);
  put_json("metadata", c.metadata_json);
  put_json("retell_llm_dynamic_variables", c.dynamic_variables_json);
  if (c.combined_cost_cents) j["call_cost"] = {{"combined_cost", *c.combined_cost_cents}};
  put_json("call_analysis", c.call_analysis_json);
  return j;
}

bool SameCall(const RetellCall& a, const RetellCall& b) {
  return a.call_id == b.call_id && a.agent_id == b.agent_id && a.call_type == b.call_type &&
         a.call_status == b.call_status && a.direction == b.direction &&
         a.from_number == b.from_number && a.to_number == b.to_number &&
         a.start_timestamp_ms == b.start_timestamp_ms && a.end_timestamp_ms == b.end_timestamp_ms &&
         a.duration_ms == b.duration_ms && a.transcript == b.transcript &&
         a.transcript_object_json == b.transcript_object_json &&
         a.recording_url == b.recording_url && a.disconnection_reason == b.disconnection_reason &&
         a.metadata_json == b.metadata_json &&
         a.dynamic_variables_json == b.dynamic_variables_json &&
         a.combined_cost_cents == b.combined_cost_cents &&
         a.call_analysis_json == b.call_analysis_json && a.summary == b.summary &&
         a.user_sentiment == b.user_sentiment && a.call_successful == b.call_successful &&
         a.in_voicemail == b.in_voicemail;
}

void CheckCall(const RetellCall& c) {
  Check(!c.call_id.empty() && c.call_id.size() <= 128, "call id empty or longer than 128");
  CheckJsonText(c.transcript_object_json, "transcript_object is not JSON");
  CheckJsonText(c.metadata_json, "metadata is not JSON");
  CheckJsonText(c.dynamic_variables_json, "dynamic variables are not JSON");
  CheckJsonText(c.call_analysis_json, "call_analysis is not JSON");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto event = callgate::retell::ParseWebhookEvent(body)) {
    Check(!event->event.empty() && event->event.size() <= 64, "event empty or longer than 64");
    CheckCall(event->call);
    std::string key = "retell:" + event->event + ":" + event->call.call_id;
    if (event->event.rfind("transfer_", 0) == 0) {
      key += ":" + std::to_string(event->call.start_timestamp_ms.value_or(0));
    }
    Check(event->dedupe_key == key, "dedupe key is not retell:<event>:<call_id>[:<start>]");

    const json call = CallJson(event->call);
    const std::string again_body = json{{"event", event->event}, {"call", call}}.dump();
    auto again = callgate::retell::ParseWebhookEvent(again_body);
    Check(again.has_value(), "a serialized parsed event does not parse");
    Check(again->event == event->event && again->dedupe_key == event->dedupe_key,
          "parse -> serialize -> parse changed the event");
    Check(SameCall(again->call, event->call), "parse -> serialize -> parse changed the call");
    auto alone = callgate::retell::ParseCallObject(call.dump());
    Check(alone.has_value() && SameCall(*alone, event->call),
          "ParseCallObject disagrees with ParseWebhookEvent");
  }

  if (auto call = callgate::retell::ParseCallObject(body)) CheckCall(*call);

  if (auto inbound = callgate::retell::ParseInboundCall(body)) {
    Check(!inbound->to_number.empty(), "inbound call without to_number");
  }
  (void)callgate::retell::IsLifecycleEvent(body);
  return 0;
}
