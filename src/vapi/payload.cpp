#include "vapi/payload.hpp"

#include <cmath>

#include "agent/tools.hpp"
#include "core/json_depth.hpp"
#include "core/time_zone.hpp"

namespace callgate::vapi {
namespace {

using nlohmann::json;

const json& Child(const json& j, std::string_view key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Text(const json& j, std::string_view key) {
  const json& v = Child(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::optional<std::string> OptionalText(const json& j, std::string_view key) {
  const json& v = Child(j, key);
  if (!v.is_string()) return std::nullopt;
  return v.get<std::string>();
}

std::optional<double> Number(const json& j, std::string_view key) {
  const json& v = Child(j, key);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

// The first non-empty string among `candidates`.
std::string FirstText(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    if (!c.empty()) return c;
  }
  return std::string();
}

std::optional<long long> IsoMillis(const json& j, std::string_view key) {
  const std::string text = Text(j, key);
  if (text.empty()) return std::nullopt;
  auto t = ParseIso8601(text);
  if (!t) return std::nullopt;
  return ToUnixMillis(*t);
}

// Arguments in every documented shape: function.arguments as an object or as a JSON string,
// else item.arguments or item.parameters (object or string).
void ReadArguments(const json& item, ToolCallItem& out) {
  const json& function = Child(item, "function");
  for (const json* candidate : {&Child(function, "arguments"), &Child(item, "arguments"),
                                &Child(item, "parameters"), &Child(function, "parameters")}) {
    if (candidate->is_object()) {
      out.args = *candidate;
      return;
    }
    if (candidate->is_string()) {
      const std::string& text = candidate->get_ref<const std::string&>();
      if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;  // "" = no arguments
      // Arguments sent as a string escape the request's depth check: apply it here.
      if (!JsonDepthWithin(text)) {
        out.args_error = "the arguments are nested too deeply";
        return;
      }
      json parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object()) {
        out.args_error = "the arguments are not a JSON object";
      } else {
        out.args = std::move(parsed);
      }
      return;
    }
  }
}

calls::CallSnapshot ReadCall(const json& m) {
  const json& call = Child(m, "call");
  calls::CallSnapshot c;
  c.platform = "vapi";
  c.call_id = Text(call, "id");
  c.agent_id = FirstText({Text(call, "assistantId"), Text(Child(m, "assistant"), "id")});
  const std::string type = Text(call, "type");
  // A web or websocket call has no telephone line: no network caller id, no dialled number. A
  // call type not documented is neither, so its caller number is dropped too
  // (calls::ForgetUnverifiedCaller).
  if (type == "inboundPhoneCall" || type == "outboundPhoneCall") {
    c.call_type = calls::kPhoneCall;
  } else if (type == "webCall" || type == "vapi.websocketCall") {
    c.call_type = calls::kWebCall;
  }
  c.direction = type == "outboundPhoneCall" ? "outbound" : "inbound";
  c.from_number =
      FirstText({Text(Child(call, "customer"), "number"), Text(Child(m, "customer"), "number")});
  c.to_number = FirstText(
      {Text(Child(m, "phoneNumber"), "number"), Text(Child(call, "phoneNumber"), "number")});
  c.start_timestamp_ms = IsoMillis(m, "startedAt");
  if (!c.start_timestamp_ms) c.start_timestamp_ms = IsoMillis(call, "startedAt");
  c.end_timestamp_ms = IsoMillis(m, "endedAt");
  if (!c.end_timestamp_ms) c.end_timestamp_ms = IsoMillis(call, "endedAt");
  if (auto seconds = Number(m, "durationSeconds")) {
    c.duration_ms = std::llround(*seconds * 1000.0);
  } else if (auto ms = Number(m, "durationMs")) {
    c.duration_ms = std::llround(*ms);
  }
  if (auto reason = OptionalText(m, "endedReason")) {
    c.disconnection_reason = std::move(reason);
  } else if (auto call_reason = OptionalText(call, "endedReason")) {
    c.disconnection_reason = std::move(call_reason);
  }
  if (const json& metadata = Child(call, "metadata"); metadata.is_object()) {
    c.metadata_json = metadata.dump();
  }
  calls::ForgetUnverifiedCaller(c);
  return c;
}

// What an end-of-call-report adds: transcript, recording, analysis, cost.
void ReadReport(const json& m, calls::CallSnapshot& c) {
  const json& artifact = Child(m, "artifact");
  const json& analysis = Child(m, "analysis");
  c.call_status = "ended";
  // artifact.* per the SDK; the top-level fields of older payloads as a fallback.
  if (auto t = OptionalText(artifact, "transcript")) {
    c.transcript = std::move(t);
  } else {
    c.transcript = OptionalText(m, "transcript");
  }
  if (const json& messages = Child(artifact, "messages"); messages.is_array()) {
    c.transcript_object_json = messages.dump();
  }
  if (auto url = OptionalText(artifact, "recordingUrl")) {
    c.recording_url = std::move(url);
  } else {
    c.recording_url = OptionalText(m, "recordingUrl");
  }
  if (auto summary = OptionalText(analysis, "summary")) {
    c.summary = std::move(summary);
  } else {
    c.summary = OptionalText(m, "summary");
  }
  if (analysis.is_object()) c.call_analysis_json = analysis.dump();
  const json& success = Child(analysis, "successEvaluation");
  if (success.is_boolean()) {
    c.call_successful = success.get<bool>();
  } else if (success.is_string()) {
    if (success == "true") c.call_successful = true;
    if (success == "false") c.call_successful = false;
  }
  // Vapi reports the cost in US dollars; the pipeline takes the platform's cost in cents.
  std::optional<double> cost = Number(m, "cost");
  if (!cost) cost = Number(Child(m, "call"), "cost");
  if (cost && *cost >= 0) c.combined_cost_cents = *cost * 100.0;
}

}  // namespace

Result<ServerMessage> ParseServerMessage(std::string_view body) {
  json root = json::parse(body, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the body is not a JSON object");
  }
  const json& m = Child(root, "message");
  if (!m.is_object() || !Child(m, "type").is_string()) {
    return Fail(ErrorCode::kInvalidArgument, "message.type is missing");
  }
  ServerMessage out;
  out.type = Text(m, "type");
  out.call = ReadCall(m);
  if (out.type == "status-update") {
    out.status = Text(m, "status");
    if (out.status == "in-progress") out.call.call_status = "ongoing";
    if (out.status == "ended") out.call.call_status = "ended";
  } else if (out.type == "end-of-call-report") {
    ReadReport(m, out.call);
  } else if (out.type == "tool-calls") {
    // toolCallList per the SDK; the legacy toolCalls of older examples as a fallback.
    const json* list = &Child(m, "toolCallList");
    if (!list->is_array()) list = &Child(m, "toolCalls");
    if (!list->is_array()) {
      return Fail(ErrorCode::kInvalidArgument, "message.toolCallList is missing");
    }
    if (out.call.call_id.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "message.call.id is missing");
    }
    if (list->size() > agent::kMaxToolCallsPerMessage) {
      return Fail(ErrorCode::kInvalidArgument, "message.toolCallList holds more than " +
                                                   std::to_string(agent::kMaxToolCallsPerMessage) +
                                                   " tool calls");
    }
    for (const json& item : *list) {
      ToolCallItem call;
      call.id = Text(item, "id");
      call.name = FirstText({Text(Child(item, "function"), "name"), Text(item, "name")});
      ReadArguments(item, call);
      out.tool_calls.push_back(std::move(call));
    }
  }
  return out;
}

std::optional<LifecycleEvent> LifecycleEventOf(const ServerMessage& message) {
  if (message.call.call_id.empty()) return std::nullopt;
  LifecycleEvent out;
  if (message.type == "end-of-call-report") {
    out.event = "call_analyzed";
    out.dedupe_key = "vapi:end-of-call-report:" + message.call.call_id;
    return out;
  }
  if (message.type != "status-update") return std::nullopt;
  if (message.status == "in-progress") {
    out.event = "call_started";
  } else if (message.status == "ended") {
    out.event = "call_ended";
  } else {
    out.event = "vapi_status_" + message.status;
  }
  out.dedupe_key = "vapi:status-update:" + message.status + ":" + message.call.call_id;
  return out;
}

std::string SingleLine(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += ' ';  // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace callgate::vapi
