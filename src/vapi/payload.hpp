#pragma once
// Vapi server messages (reference/vapi.md), parsed once into plain structs: the body is
// {"message":{"type":...}}. Unknown fields and message types are tolerated; where the reference
// marks a shape UNCERTAIN every documented variant is read.
//
// The call becomes a calls::CallSnapshot with platform "vapi": `to_number` is the business's own
// Vapi number (phoneNumber.number — the tenant router), `from_number` the person on the line
// (customer.number: the caller of an inbound call, the callee of an outbound one), so that
// tenant and caller are found exactly as for Retell.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calls/model.hpp"
#include "core/result.hpp"

namespace callgate::vapi {

// One item of toolCallList.
struct ToolCallItem {
  std::string id;    // toolCallId, echoed in the answer
  std::string name;  // the function name as sent ("check_availability")
  nlohmann::json args = nlohmann::json::object();
  // Set when the arguments were present but unusable (a string that is not a JSON object).
  std::optional<std::string> args_error;
};

struct ServerMessage {
  std::string type;  // tool-calls, assistant-request, status-update, end-of-call-report, …
  calls::CallSnapshot call;
  std::vector<ToolCallItem> tool_calls;  // tool-calls
  std::string status;                    // status-update: queued, ringing, in-progress, ended…
};

// kInvalidArgument when the body is not {"message":{"type":"<string>",...}}, or when a
// tool-calls message has no toolCallList or no call id.
Result<ServerMessage> ParseServerMessage(std::string_view body);

// How a status-update or end-of-call-report is recorded by calls::CallEventService.
struct LifecycleEvent {
  // call_started (in-progress), call_ended (ended), call_analyzed (end-of-call-report); any
  // other status "vapi_status_<status>", stored and ignored.
  std::string event;
  std::string dedupe_key;  // "vapi:<type>[:<status>]:<call id>": one report per call is stored
};

// nullopt for other message types and for messages without a call id.
std::optional<LifecycleEvent> LifecycleEventOf(const ServerMessage& message);

// `text` on one line: line breaks (CR, LF, U+2028, U+2029) become spaces; Vapi's parser
// rejects results with line breaks.
std::string SingleLine(std::string text);

}  // namespace callgate::vapi
