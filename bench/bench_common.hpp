#pragma once
// Pieces the benchmark programs share: latency arithmetic, `--name=value` options, and the body
// of a signed Retell custom-function call (Retell's default shape: name, call, args).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace callgate::bench {

// The caller every benchmark call comes from.
inline constexpr const char* kCaller = "+4915112345678";

inline double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Nearest-rank percentile of sorted samples.
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// Walks argv[1..]: bare flags (e.g. "--json") go to `flag`, "--name=value" to `option`. False
// for anything else or when a callback refuses its argument.
inline bool ParseArgs(
    int argc, char** argv,
    const std::function<bool(const std::string& name, const std::string& value)>& option,
    const std::function<bool(const std::string& flag)>& flag = {}) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return false;
    const auto eq = arg.find('=');
    if (eq == std::string::npos) {
      if (!flag || !flag(arg.substr(2))) return false;
      continue;
    }
    if (!option(arg.substr(2, eq - 2), arg.substr(eq + 1))) return false;
  }
  return true;
}

// The JSON body Retell sends to a custom function during an inbound phone call.
inline std::string FunctionCallBody(const std::string& function, const std::string& call_id,
                                    const std::string& to_number, const nlohmann::json& args) {
  const nlohmann::json body = {{"name", function},
                               {"call",
                                {{"call_id", call_id},
                                 {"call_type", "phone_call"},
                                 {"from_number", kCaller},
                                 {"to_number", to_number},
                                 {"direction", "inbound"},
                                 {"agent_id", "agent_bench"},
                                 {"call_status", "ongoing"}}},
                               {"args", args}};
  return body.dump();
}

}  // namespace callgate::bench
