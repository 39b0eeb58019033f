#pragma once
// simulate-call: plays a whole Retell phone call against a running callgate, signed exactly like
// Retell signs, and reports every request and answer — for demos, smoke tests and e2e tests.

#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::tools {

struct SimulateCallOptions {
  std::string base_url = "http://127.0.0.1:8080";
  Secret retell_key;
  std::string to_number = "+493083793369";
  std::string from_number = "+4915112345678";
  std::string company_slug;  // non-empty: use the company's own webhook URLs (/c/<slug>)
  std::string call_id;       // empty: a random one
  std::string agent_id = "agent_simulated";
  long timeout_ms = 15000;
  bool conversation = true;  // also play the booking conversation through the agent's tools
};

struct SimulatedStep {
  std::string name;  // "inbound", "call_started", ...
  std::string method;
  std::string path;
  std::string request_body;
  int status = 0;  // 0 = no answer (connection failed)
  std::string response_body;
  std::string agent_says;  // the tool answer's "message", when there is one
  // A step that must succeed (book, confirm the move, cancel) answered 2xx with success=false.
  bool refused = false;
};

// Runs the steps in order: call_inbound → call_started → (with `conversation`: list-services →
// check-availability → get-alternatives → book-appointment → query-customer-appointments →
// reschedule-appointment (propose, confirm) → cancel-appointment) → call_ended → call_analyzed.
// The conversation adapts to the calendar (books the first free alternative when the wish is
// taken). It asks for a day a week ahead, so that the change policy's notice never refuses the
// move or the cancel, and moves and cancels exactly the appointment it booked, leaving nothing
// booked behind. Stops at the first step that does not answer 2xx or is refused (`refused`).
// `on_step` is called after each step. kUnavailable when callgate cannot be reached.
Result<std::vector<SimulatedStep>> SimulateCall(
    const SimulateCallOptions& options,
    const std::function<void(const SimulatedStep&)>& on_step = {});

// The human-readable transcript of a step for the CLI ("→ POST /webhooks/retell ... ← 200 ...").
std::string DescribeStep(const SimulatedStep& step);

}  // namespace callgate::tools
