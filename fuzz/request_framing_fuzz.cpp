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
#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "http/request_framing.hpp"

namespace {

using callgate::http::FramingRefusal;
using callgate::http::RequestFraming;

constexpr std::uint64_t kLimit = 4096;

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  __builtin_trap();
}

// Where each request the server's parser reads in `input` ends (the offset after its last
// byte); false when it refuses the input. `upgraded`: it stopped after an upgrade request.
bool RequestEndsTheServersParserReads(const std::string& input, std::vector<std::size_t>& ends,
                                      bool& upgraded) {
  http_parser parser;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_complete = [](http_parser* p) {
    http_parser_pause(p, 1);
    return 0;
  };
  std::size_t offset = 0;
  upgraded = false;
  http_parser_init(&parser, HTTP_REQUEST);
  while (offset < input.size()) {
    const std::size_t parsed =
        http_parser_execute(&parser, &settings, input.data() + offset, input.size() - offset);
    const auto error = HTTP_PARSER_ERRNO(&parser);
    if (error != HPE_OK && error != HPE_PAUSED) return false;
    offset += parsed;
    if (error != HPE_PAUSED) break;
    ends.push_back(offset);
    if (parser.upgrade) {
      upgraded = true;
      break;
    }
    http_parser_init(&parser, HTTP_REQUEST);
  }
  return true;
}

// Where each request the framing finds ends, fed one byte at a time.
std::vector<std::size_t> RequestEndsTheFramingFinds(const std::string& input) {
  RequestFraming framing(kLimit);
  std::vector<std::size_t> ends;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto before = framing.completed();
    framing.Follow(input.data() + i, 1);
    if (framing.completed() != before) ends.push_back(i + 1);
  }
  return ends;
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
  bool upgraded = false;
  std::vector<std::size_t> read;
  if (!RequestEndsTheServersParserReads(input, read, upgraded)) {
    Violation("the framing lets pass what the server's parser refuses");
  }
  auto framed = RequestEndsTheFramingFinds(input);
  if (framed.size() != whole.completed()) Violation("the requests depend on the reads");
  if (read.size() > framed.size()) Violation("the server's parser ends more requests");
  if (read.size() < framed.size() && !upgraded) Violation("the server's parser ends fewer");
  framed.resize(read.size());
  if (read != framed) Violation("the server's parser ends the requests at other bytes");
  return 0;
}
