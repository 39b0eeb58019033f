// Fuzz target: the socket guard's request framing (http/request_framing.hpp), against the
// server's parser. Input: the bytes a client sends on one connection; the first byte chooses
// where the stream is cut into two reads.
//
// Invariants beyond "no crash":
//   - Whether the framing refuses a stream, and which requests it finds in it, does not depend
//     on where the network cuts the stream.
//   - Whatever the framing lets pass, the server's parser (http_parser driven as RESTinio
//     drives it: paused at each message's end, started afresh for the next) neither refuses
//     nor frames differently: it ends the requests the framing ended at the same bytes, or
//     fewer when it stopped at an upgrade request (RESTinio ends such a connection; the framing
//     reads on).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "http/request_framing.hpp"
#include "http/testing/framing_reference.hpp"

namespace {

using callgate::http::FramingRefusal;
using callgate::http::RequestFraming;

constexpr std::uint64_t kLimit = 4096;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);

  RequestFraming whole(kLimit);
  const FramingRefusal verdict = whole.Follow(input.data(), input.size());
  RequestFraming in_two(kLimit);
  in_two.Follow(input.data(), cut);
  const FramingRefusal cut_verdict = in_two.Follow(input.data() + cut, input.size() - cut);
  // (Which reason a refusal gives may: a field name with a space and a byte the parser refuses
  // is refused for either, whichever it meets first.)
  if ((verdict == FramingRefusal::kNone) != (cut_verdict == FramingRefusal::kNone)) {
    Violation("whether a stream is refused depends on where it is cut");
  }
  if (whole.completed() != in_two.completed()) Violation("the requests depend on the cut");
  if (verdict != FramingRefusal::kNone) {
    if (whole.Answer().rfind("HTTP/1.1 ", 0) != 0) Violation("a refusal without an answer");
    return 0;
  }
  const auto read = callgate::http::testing::ReadAsTheServersParser(input);
  if (read.refused) Violation("the framing lets pass what the server's parser refuses");
  auto framed = callgate::http::testing::RequestEndsTheFramingFinds(input, kLimit);
  if (framed.size() != whole.completed()) Violation("the requests depend on the reads");
  if (read.ends.size() > framed.size()) Violation("the server's parser ends more requests");
  if (read.ends.size() < framed.size() && !read.upgraded) {
    Violation("the server's parser ends fewer requests");
  }
  framed.resize(read.ends.size());
  if (read.ends != framed) Violation("the server's parser ends the requests at other bytes");
  return 0;
}
