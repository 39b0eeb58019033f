// Fuzz target: the JSON nesting check every request body passes before anything parses it
// (core/json_depth.hpp, http::JsonDepthMiddleware). Input: a raw body.
//
// Invariants beyond "no crash":
//   - The scan never claims a depth above stop_above + 1.
//   - For every input nlohmann accepts and the scan puts within the limit, the scan's depth is
//     never below the parsed document's depth, and exactly it up to the first NUL byte (where
//     nlohmann ends the input): brackets inside strings and escapes are handled like the
//     parser does, so nothing deeper than the limit can slip through as "shallow".
//   - Wrapping an accepted document (up to a NUL byte) in one more array adds exactly one
//     level.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/json_depth.hpp"

namespace {

using nlohmann::json;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

void Check(bool ok, const char* what) {
  if (!ok) Violation(what);
}

// Depth of a parsed document; only called on documents the scan bounded by the limit, so the
// recursion is bounded too.
std::size_t TreeDepth(const json& j) {
  if (!j.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, TreeDepth(child));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::size_t depth = callgate::JsonNestingDepth(body);
  Check(depth <= callgate::kMaxJsonDepth + 1, "depth above stop_above + 1");
  Check(callgate::JsonNestingDepth(body, 3) <= 4, "small stop_above not honoured");
  if (depth > callgate::kMaxJsonDepth) return 0;  // refused at the edge; never parsed
  // Parsed from a std::string, as the handlers do (a string_view or char pointer would make
  // nlohmann stop at the first NUL byte). accept() and parse() are iterative; only dump, copy
  // and compare recurse.
  const std::string text(body);
  if (!json::accept(text)) return 0;
  const json parsed = json::parse(text);
  // nlohmann ends the input at a NUL byte; the scan goes on, so it may only say more.
  const std::size_t tree_depth = TreeDepth(parsed);
  Check(depth >= tree_depth, "scanned depth below the parsed depth");
  const std::string_view until_nul = body.substr(0, body.find('\0'));
  Check(callgate::JsonNestingDepth(until_nul) == tree_depth,
        "scanned depth differs from the parsed depth");
  if (tree_depth < callgate::kMaxJsonDepth) {
    // The accepted document (up to a NUL byte) is balanced: one more array adds one level.
    const std::string wrapped = "[" + std::string(until_nul) + "]";
    Check(callgate::JsonNestingDepth(wrapped) == tree_depth + 1, "wrapping must add one level");
  }
  return 0;
}
