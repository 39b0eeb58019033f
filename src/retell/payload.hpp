#pragma once
// Retell payloads (reference/retell.md), parsed once into plain structs. Unknown fields and
// events are tolerated; JSON sub-objects we store but do not interpret are kept as JSON text.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callgate::retell {

// The call object of lifecycle webhooks and function calls.
struct RetellCall {
  std::string call_id;
  std::string agent_id;
  std::string call_type;    // "phone_call" | "web_call"
  std::string call_status;  // registered, not_connected, ongoing, ended, error
  std::string direction;    // inbound | outbound
  std::string from_number;  // as sent; "" or "anonymous" when withheld
  std::string to_number;
  std::optional<long long> start_timestamp_ms;
  std::optional<long long> end_timestamp_ms;
  std::optional<long long> duration_ms;
  std::optional<std::string> transcript;
  std::optional<std::string> transcript_object_json;
  std::optional<std::string> recording_url;
  std::optional<std::string> disconnection_reason;
  std::optional<std::string> metadata_json;
  std::optional<std::string> dynamic_variables_json;
  // call_cost.combined_cost, in cents (Retell sends a float).
  std::optional<double> combined_cost_cents;
  // call_analysis (only in call_analyzed).
  std::optional<std::string> call_analysis_json;
  std::optional<std::string> summary;
  std::optional<std::string> user_sentiment;
  std::optional<bool> call_successful;
  std::optional<bool> in_voicemail;
};

// A lifecycle webhook: {"event": "...", "call": {...}}.
struct WebhookEvent {
  std::string event;  // call_started, call_ended, call_analyzed, transcript_updated, transfer_*…
  RetellCall call;
  // Idempotency key: event + call_id (+ start_timestamp for transfer events).
  std::string dedupe_key;
};

// Parses a lifecycle webhook body. kInvalidArgument when it is not JSON, has no "event" string
// or no call object with a call_id.
Result<WebhookEvent> ParseWebhookEvent(std::string_view body);

// Parses a call object (also the "call" of function calls). Requires call_id.
Result<RetellCall> ParseCallObject(std::string_view call_json);

// The inbound call webhook: {"event":"call_inbound","call_inbound":{...}}; no call id yet.
struct InboundCall {
  std::string from_number;
  std::string to_number;
  std::string agent_id;  // may be empty
  std::optional<long long> agent_version;
};

Result<InboundCall> ParseInboundCall(std::string_view body);

// True for the events that complete a call record.
bool IsLifecycleEvent(std::string_view event) noexcept;

}  // namespace callgate::retell
