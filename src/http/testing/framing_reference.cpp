#include "http/testing/framing_reference.hpp"

#include <http_parser.h>

#include "http/request_framing.hpp"

namespace callgate::http::testing {

ParserReading ReadAsTheServersParser(std::string_view input) {
  ParserReading reading;
  http_parser parser;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_complete = [](http_parser* p) {
    http_parser_pause(p, 1);
    return 0;
  };
  std::size_t offset = 0;
  http_parser_init(&parser, HTTP_REQUEST);
  while (offset < input.size()) {
    const std::size_t parsed =
        http_parser_execute(&parser, &settings, input.data() + offset, input.size() - offset);
    const auto error = HTTP_PARSER_ERRNO(&parser);
    if (error != HPE_OK && error != HPE_PAUSED) {
      reading.refused = true;
      return reading;
    }
    offset += parsed;
    if (error != HPE_PAUSED) break;
    reading.ends.push_back(offset);
    if (parser.upgrade) {
      reading.upgraded = true;
      break;
    }
    http_parser_init(&parser, HTTP_REQUEST);
  }
  return reading;
}

std::vector<std::size_t> RequestEndsTheFramingFinds(std::string_view input, std::uint64_t limit) {
  RequestFraming framing(limit);
  std::vector<std::size_t> ends;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto before = framing.completed();
    framing.Follow(input.data() + i, 1);
    if (framing.completed() != before) ends.push_back(i + 1);
  }
  return ends;
}

}  // namespace callgate::http::testing
