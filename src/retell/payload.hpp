#pragma once
// Retell payloads (reference/retell.md), parsed once into plain structs. Unknown fields and
// events are tolerated; JSON sub-objects we store but do not interpret are kept as JSON text.

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "calls/model.hpp"
#include "core/result.hpp"

namespace callgate::retell {

// The call object of lifecycle webhooks and function calls.
using RetellCall = calls::CallSnapshot;

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

// Parses a call object. Requires call_id.
Result<RetellCall> ParseCallObject(std::string_view call_json);

// The "call" of a function call, already parsed with its body: who calls whom (call id —
// required —, agent, type, status, direction, numbers), as ParseCallObject reads them. The live
// transcript and anything else the object carries are not read (nor copied).
Result<RetellCall> FunctionCallIdentity(const nlohmann::json& call);

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
