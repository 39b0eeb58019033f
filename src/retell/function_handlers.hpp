#pragma once
// HTTP handler for the agent's custom functions: POST /api/retell/{function}.
// Body {"name","call":{...},"args":{...}}, or — with Retell's "args only" mode — just the args,
// which then carry the call id themselves. Decodes Retell's envelope, resolves the call context
// and runs the tool of the shared table (agent/tools.hpp) through agent::ToolRunner; answers
// {"success","message",...data}, under Retell's 15,000-character cap.

#include "agent/tool_runner.hpp"
#include "booking/call_context.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"

namespace callgate::retell {

class FunctionHandlers {
 public:
  FunctionHandlers(booking::CallContextResolver& contexts, const agent::ToolRunner& tools,
                   observability::Metrics& metrics)
      : contexts_(contexts), tools_(tools), metrics_(metrics) {}

  // 404 for an unknown function or call; 401 when the signed body names another function or
  // call; 403 for tenant violations; 400 for a body that is not a JSON object; 429 when the
  // company's limit for the tool is used up; 200 with success=false for business outcomes.
  http::Response Handle(http::Request& request) const;

 private:
  booking::CallContextResolver& contexts_;
  const agent::ToolRunner& tools_;
  observability::Metrics& metrics_;
};

}  // namespace callgate::retell
