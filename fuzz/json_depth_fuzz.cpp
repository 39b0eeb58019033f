// Fuzz target: the JSON nesting check every request body passes before anything parses it
// (core/json_depth.hpp, http::JsonDepthMiddleware). Input: a raw body. "Parsed depth" is the
// depth the parser reads (every value, also those a duplicate key later replaces).
//
// Invariants beyond "no crash":
//   - The scan never claims a depth above stop_above + 1.
//   - For every input nlohmann accepts and the scan puts within the limit, the scan's depth is
//     never below the parsed document's depth, and exactly it up to the first NUL byte (where
//     nlohmann ends the input): brackets inside strings and escapes are handled like the
//     parser does, so nothing deeper than the limit can slip through as "shallow".
//   - Wrapping an accepted document (up to a NUL byte) in one more array adds exactly one
//     level.
#include <algorithm>
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

// Depth of a document as the parser reads it: the deepest open object or array among all its
// values. Taken from the parser's events, not from the parsed tree, because an object with a
// duplicate key keeps only one of its values and the tree can be shallower than the text
// (`{"a":[[1]],"a":1}` reads 3 levels deep; its tree has 1).
class DepthReader : public nlohmann::json_sax<json> {
 public:
  std::size_t deepest() const { return deepest_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Open() {
    deepest_ = std::max(deepest_, ++open_);
    return true;
  }
  bool Close() {
    --open_;
    return true;
  }
  std::size_t open_ = 0;
  std::size_t deepest_ = 0;
};

std::size_t ReadDepth(const std::string& text) {
  DepthReader reader;
  json::sax_parse(text, &reader);
  return reader.deepest();
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
  // nlohmann ends the input at a NUL byte; the scan goes on, so it may only say more.
  const std::size_t tree_depth = ReadDepth(text);
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
