#pragma once
// ToolAnswer: what a tool answers the agent on every platform — the German sentence to speak
// and the structured data the agent reads (agent/speech.hpp builds it from the use cases'
// typed outcomes; the runner renders it as one JSON object).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace callgate::agent {

struct ToolAnswer {
  bool success = true;
  std::string message;  // German, to be spoken
  nlohmann::json data = nlohmann::json::object();
  // Set when the answer also refuses the request (a service offered only at another branch:
  // kPermissionDenied). Platforms that answer with HTTP statuses (Retell) send that error's
  // status with this answer as the body; the others send the answer alone.
  std::optional<ErrorCode> refusal;
};

}  // namespace callgate::agent
