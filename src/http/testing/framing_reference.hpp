#pragma once
// The server's HTTP parser as RESTinio drives it (http_parser, paused at each message's end and
// started afresh for the next), and where the socket guard's framing (RequestFraming) ends
// requests: for the tests and the fuzz target that check the guard lets pass only what the
// server reads alike.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace callgate::http::testing {

struct ParserReading {
  bool refused = false;           // the parser refuses the input
  bool upgraded = false;          // it stopped after an upgrade request (RESTinio ends there)
  std::vector<std::size_t> ends;  // where each request it read ends (offset after its last byte)
};

ParserReading ReadAsTheServersParser(std::string_view input);

// Where each request RequestFraming(limit) finds in `input` ends, fed one byte at a time.
std::vector<std::size_t> RequestEndsTheFramingFinds(std::string_view input, std::uint64_t limit);

}  // namespace callgate::http::testing
