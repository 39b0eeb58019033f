#pragma once
// JSON nesting depth of raw bytes, measured without parsing: recursive JSON operations (copy,
// dump, destruction in some versions) crash on bodies nested hundreds of thousands deep, so
// every JSON body is depth-checked at the HTTP edge before anything parses it (SPEC §4).
//
// Counts '[' and '{' outside string literals (honouring backslash escapes); brackets inside
// strings never count. Works on any bytes: malformed JSON just gets some depth, the parser
// rejects it later. O(n), no allocation. Thread-safe.

#include <cstddef>
#include <string_view>

namespace callgate {

// The platform-wide limit: a real Retell, Vapi, MCP or Cal.com payload is nested < 15 deep.
inline constexpr std::size_t kMaxJsonDepth = 64;

// The deepest nesting of `text`, scanning no further once it exceeds `stop_above` (the result
// is then stop_above + 1).
std::size_t JsonNestingDepth(std::string_view text, std::size_t stop_above = kMaxJsonDepth);

// True when `text` nests no deeper than `max_depth`.
inline bool JsonDepthWithin(std::string_view text, std::size_t max_depth = kMaxJsonDepth) {
  return JsonNestingDepth(text, max_depth) <= max_depth;
}

}  // namespace callgate
