#pragma once
// The agent's tools, defined once (SPEC §2 "Functions"). Every platform — Retell's custom
// functions, Vapi's tool calls, MCP's tools/list and tools/call — is served from this table:
// the route and metric names, the rate-limit class, whether a tool touches the caller's own
// data, the published definitions (`callgate tools --format retell|vapi|mcp`) and the use case
// a call runs (agent/tool_runner.hpp). Adding a tool is one row here plus its use case.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace callgate::agent {

// What a tool may see of the call.
// The most tool calls one platform message may carry (a Vapi toolCallList, an MCP JSON-RPC
// batch); more is refused whole, before any tool runs.
inline constexpr std::size_t kMaxToolCallsPerMessage = 20;

enum class ToolAccess {
  kOffer,       // reads the company's offer (services, branches, free times): any session
  kNewBooking,  // books as a contact; a known caller (from a signed call) is linked
  kCallerData,  // reads or changes the caller's own data: needs a call the platform signed
};

// Which rate limit a call of the tool is charged to.
enum class LimitClass {
  kPerTool,         // per company and tool
  kBooking,         // per company and resolved service (bookings)
  kBookingConfirm,  // kBooking when the arguments confirm, else kPerTool
};

// The use case a tool runs: parses its typed arguments from the invocation and calls booking
// (defined with the table in tools.cpp; ToolInvocation is in agent/tool_runner.hpp).
struct ToolInvocation;
using ToolInvoker = void (*)(ToolInvocation&);

struct ToolSpec {
  std::string_view name;         // "check-availability": URL segment, metric label
  std::string_view description;  // German, for the agent's language model
  std::string_view parameters;   // JSON Schema (object) of the arguments, as JSON text
  ToolAccess access = ToolAccess::kOffer;
  LimitClass limit = LimitClass::kPerTool;
  bool read_only = true;     // MCP annotation readOnlyHint
  bool destructive = false;  // MCP annotation destructiveHint
  // Retell's custom-tool settings.
  int timeout_ms = 5000;
  bool speak_during_execution = false;
  std::string_view execution_message;  // Retell execution_message_description, may be empty
  ToolInvoker invoke = nullptr;        // never null in the table
};

// Every tool, in the order they are published.
const std::vector<ToolSpec>& Tools();

// The tool named `name` ("check-availability" or the platforms' "check_availability"); nullptr
// when there is none.
const ToolSpec* FindTool(std::string_view name) noexcept;

// "check_availability": the name the platforms' function-calling APIs use (no '-').
std::string FunctionName(const ToolSpec& tool);

// The published tool definitions, as JSON text:
//   "retell"  {"description","tools":[custom tools with url <base_url>/api/retell/<name>]}
//   "vapi"    {"tools":[{"type":"function","function":{name,description,parameters},
//              "server":{"url":"<base_url>/webhooks/vapi"}}]}
//   "mcp"     {"tools":[{name,description,inputSchema,annotations}]} (the tools/list result)
// An unknown format is std::invalid_argument.
std::string ToolDefinitions(std::string_view format, std::string_view base_url);

}  // namespace callgate::agent
