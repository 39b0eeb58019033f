#pragma once
// ToolAnswer: what a tool answers the agent on every platform — the German sentence to speak
// and the structured data the agent reads (agent/speech.hpp builds it from the use cases'
// typed outcomes; the runner renders it as one JSON object).

#include <nlohmann/json.hpp>
#include <string>

namespace callgate::agent {

struct ToolAnswer {
  bool success = true;
  std::string message;  // German, to be spoken
  nlohmann::json data = nlohmann::json::object();
};

}  // namespace callgate::agent
