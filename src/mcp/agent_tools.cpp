#include "mcp/agent_tools.hpp"

#include <algorithm>
#include <cctype>

#include "agent/json_text.hpp"
#include "core/text.hpp"
#include "observability/log.hpp"

namespace callgate::mcp {
namespace {

using nlohmann::json;

// Tools that need a branch when no known call gives one: the offer and new bookings, except
// the list of branches itself.
bool NeedsBranch(const agent::ToolSpec& tool) {
  return tool.access != agent::ToolAccess::kCallerData && tool.name != "get-branches";
}

ToolResult Refusal(std::string_view error, std::string message, bool is_error = true,
                   json extra = json::object()) {
  json structured = {{"success", false}, {"message", message}};
  if (!error.empty()) structured["error"] = std::string(error);
  for (auto& [key, value] : extra.items()) structured[key] = std::move(value);
  return ToolResult{agent::DumpJson(structured), std::move(structured), is_error};
}

// A call still open to its caller's data (kOngoingCallWindow, kEndedCallWindow).
// Compared as instants, not as a difference: a stored time far in the past cannot overflow it.
bool Recent(const calls::Call& call, SystemTimePoint now) {
  if (call.ended_at) return *call.ended_at >= now - kEndedCallWindow;
  const SystemTimePoint began = call.started_at.value_or(call.created_at);
  return began >= now - kOngoingCallWindow;
}

std::string Names(const std::vector<tenancy::Branch>& branches) {
  std::string out;
  for (const auto& b : branches) out += (out.empty() ? "" : ", ") + b.name;
  return out;
}

json BranchList(const std::vector<tenancy::Branch>& branches) {
  json out = json::array();
  for (const auto& b : branches) {
    out.push_back({{"id", b.id.value}, {"name", b.name}, {"address", b.address}});
  }
  return out;
}

// The branch named by `wanted` (an id as number or digits, or the name in any case).
const tenancy::Branch* Match(const std::vector<tenancy::Branch>& branches, const json& wanted) {
  std::optional<std::int64_t> id;
  std::string name;
  if (wanted.is_number_integer()) {
    id = wanted.get<std::int64_t>();
  } else if (wanted.is_string()) {
    name = LowerAscii(wanted.get<std::string>());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    if (!name.empty() && std::all_of(name.begin(), name.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
      id = std::stoll(name.substr(0, 18));
    }
  }
  for (const auto& b : branches) {
    if ((id && b.id.value == *id) || (!name.empty() && LowerAscii(b.name) == name)) return &b;
  }
  return nullptr;
}

constexpr std::string_view kUnavailable =
    "Der Dienst ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.";

}  // namespace

json McpToolList() {
  json list = json::parse(agent::ToolDefinitions("mcp", ""));
  for (auto& tool : list["tools"]) {
    const agent::ToolSpec* spec = agent::FindTool(tool.value("name", ""));
    if (spec == nullptr) continue;
    if (spec->access == agent::ToolAccess::kCallerData) {
      tool["description"] = tool.value("description", "") +
                            " Nur mit einem bekannten Anruf: dessen Anruf-ID im Header X-Call-Id.";
      continue;
    }
    if (!NeedsBranch(*spec)) continue;
    json& schema = tool["inputSchema"];
    if (!schema.is_object()) schema = {{"type", "object"}};
    schema["properties"]["branch"] = {
        {"type", json::array({"string", "integer"})},
        {"description",
         "Filiale (Name oder ID) statt der gewählten Rufnummer; nötig, wenn die Firma mehrere "
         "Filialen hat und kein Anruf (X-Call-Id) sie festlegt."}};
  }
  return list;
}

std::variant<booking::CallContext, ToolResult> AgentToolGateway::SessionContext(
    const ToolRequest& request, const agent::ToolSpec& tool, const std::optional<json>& branch) {
  auto company = companies_.FindById(request.company);
  if (!company) return Refusal("unavailable", std::string(kUnavailable));
  booking::CallContext ctx;
  ctx.company = *company;
  ctx.call.company_id = company->id;
  ctx.timezone = company->timezone;
  if (NeedsBranch(tool) || branch) {
    auto all = branches_.ListForCompany(company->id);
    if (!all) return Refusal("unavailable", std::string(kUnavailable));
    std::vector<tenancy::Branch> active;
    for (auto& b : *all) {
      if (b.is_active) active.push_back(std::move(b));
    }
    const tenancy::Branch* chosen = nullptr;
    if (branch) {
      chosen = Match(active, *branch);
      if (chosen == nullptr) {
        const std::string named = branch->is_string() ? branch->get<std::string>() : branch->dump();
        return Refusal("unknown_branch",
                       "Die Filiale \"" + std::string(Utf8Prefix(named, 100)) +
                           "\" gibt es nicht. Zur Auswahl: " + Names(active) + ".",
                       true, {{"branches", BranchList(active)}});
      }
    } else if (active.size() == 1) {
      chosen = &active.front();
    } else if (active.size() > 1) {
      return Refusal("",
                     "Für welche Filiale? Zur Auswahl: " + Names(active) +
                         ". Bitte die Filiale im Argument branch angeben.",
                     false, {{"needs", "branch"}, {"branches", BranchList(active)}});
    }
    if (chosen != nullptr) {
      ctx.branch = *chosen;
      ctx.call.branch_id = chosen->id;
      if (!chosen->timezone.empty()) ctx.timezone = chosen->timezone;
    }
  }
  return ctx;
}

namespace {

ToolResult ReadOnlyRefusal(const agent::ToolSpec& tool) {
  return Refusal("read_only_token", "Dieser Zugang darf nur lesen; " + agent::FunctionName(tool) +
                                        " ändert Daten und ist damit nicht erlaubt.");
}

}  // namespace

Result<ToolResult> AgentToolGateway::Call(const ToolRequest& request) {
  const agent::ToolSpec* tool = agent::FindTool(request.name);
  if (tool == nullptr) return Fail(ErrorCode::kNotFound, "no tool " + request.name);
  // Said before anything else is asked for (a branch, a call); agent::ToolRunner refuses it too.
  if (!tool->read_only && !request.may_write) return ReadOnlyRefusal(*tool);
  agent::ToolCall call;
  call.tool = tool;
  call.platform = "mcp";
  call.channel = agent::ToolCall::Channel::kAgentApi;  // never spends the phone line's limits
  call.may_write = request.may_write;
  call.args = request.arguments.is_object() ? request.arguments : json::object();
  // `branch` stands in for the dialled number; the tools themselves never see it.
  std::optional<json> branch;
  if (auto it = call.args.find("branch"); it != call.args.end()) {
    if (!it->is_null()) branch = *it;
    call.args.erase(it);
  }

  booking::CallContext ctx;
  if (request.call_id) {
    auto resolved = contexts_.Resolve(*request.call_id, std::nullopt, request.company);
    if (resolved && !Recent(resolved->call, clock_.Now())) {
      resolved = Fail(ErrorCode::kNotFound, "call too old");
    }
    if (!resolved) {
      if (resolved.error().code == ErrorCode::kNotFound) {
        return Refusal("unknown_call",
                       "Der Anruf aus X-Call-Id ist nicht bekannt oder nicht mehr aktuell: "
                       "Werkzeuge mit den Daten eines Anrufers brauchen einen laufenden oder "
                       "gerade beendeten Anruf, den die Firma über ihre signierten Webhooks "
                       "gemeldet hat.");
      }
      observability::LogError(
          "mcp_call_context_failed",
          {{"code", ErrorCodeName(resolved.error().code)}, {"message", resolved.error().message}});
      return Refusal("unavailable", std::string(kUnavailable));
    }
    ctx = std::move(*resolved);
    call.scope = *request.call_id;
    call.known_call = true;
  } else {
    if (tool->access == agent::ToolAccess::kCallerData) {
      return Refusal("call_required",
                     "Dieses Werkzeug betrifft die eigenen Daten eines Anrufers und braucht einen "
                     "bekannten Anruf: die Anruf-ID im Header X-Call-Id.");
    }
    auto session = SessionContext(request, *tool, branch);
    if (auto* stop = std::get_if<ToolResult>(&session)) return std::move(*stop);
    ctx = std::move(std::get<booking::CallContext>(session));
    call.scope = "mcp:" + request.session_id;
    call.known_call = false;
  }

  // An agent API's calendar requests take from its share of the account's budget only.
  ctx.channel = booking::Channel::kAgentApi;
  const agent::ToolRun run = runner_.Run(ctx, call);
  if (!run.answer) {
    const Error& error = run.answer.error();
    // Only the argument parsers' own explanations reach the client; texts of storage or other
    // failures stay in the log (SPEC §4).
    const bool explained =
        error.code == ErrorCode::kInvalidArgument && error.message.rfind("database", 0) != 0;
    if (error.code == ErrorCode::kRateLimited) {
      return Refusal("rate_limited",
                     "Zu viele Anfragen für dieses Werkzeug. Bitte in einer Minute erneut "
                     "versuchen.");
    }
    if (error.code == ErrorCode::kPermissionDenied && !tool->read_only && !request.may_write) {
      return ReadOnlyRefusal(*tool);
    }
    if (error.code == ErrorCode::kPermissionDenied) {
      return Refusal("forbidden", "Das ist mit diesem Zugang nicht erlaubt.");
    }
    if (!explained) {
      observability::LogError(
          "mcp_tool_error",
          {{"tool", tool->name}, {"code", ErrorCodeName(error.code)}, {"message", error.message}});
      return Refusal("unavailable", std::string(kUnavailable));
    }
    return Refusal("invalid_arguments", error.message);
  }
  ToolResult result;
  result.text = agent::RenderJson(*run.answer);
  result.structured = json::parse(result.text, nullptr, false);
  if (!result.structured.is_object()) {
    result.structured = {{"success", run.answer->success}, {"message", run.answer->message}};
  }
  return result;
}

}  // namespace callgate::mcp
