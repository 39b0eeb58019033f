// DumpJson writes exactly what nlohmann's dump(-1, ' ', false, replace) writes: fixed cases
// (German text, escapes, invalid UTF-8 of every kind, numbers, nesting) and many random ones.
#include "agent/json_text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace callgate::agent {
namespace {

using nlohmann::json;

std::string Expected(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(DumpJson, WritesWhatNlohmannWrites) {
  const json cases[] = {
      json::object(),
      json::array(),
      nullptr,
      true,
      false,
      0,
      -1,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      1.5,
      -0.0,
      1e300,
      std::numeric_limits<double>::quiet_NaN(),
      "",
      "Erstberatung",
      "Dienstag, 8. Dezember, um 10 Uhr — frei für Sie. Größe: 30 €",
      "quote \" backslash \\ slash / tab \t newline \n nul " + std::string(1, '\0') + " del \x7f",
      "\x01\x1f",
      "\xc3\x28",                  // a lead byte without its continuation
      "\xa0\xa1",                  // continuations alone
      "\xe2\x28\xa1",              // a three-byte lead broken
      "\xf0\x28\x8c\xbc",          // a four-byte lead broken
      "\xc0\xaf",                  // overlong '/'
      "\xe0\x80\xaf",              // overlong, three bytes
      "\xed\xa0\x80",              // a surrogate
      "\xf4\x90\x80\x80",          // above U+10FFFF
      "\xf5\x80\x80\x80",          // no such lead byte
      "end cut \xe2\x82",          // cut off at the end
      "\xf0\x9f\x98\x80 emoji",    // four bytes, valid
      "\xef\xbf\xbd replacement",  // U+FFFD itself
      json{{"success", true},
           {"message", "Der Termin am Dienstag ist frei."},
           {"slots", json::array({json{{"start", "2026-12-08T09:00:00.000Z"}, {"n", 3}}})},
           {"nested", json{{"b", json::array({1, "x", nullptr, 2.25})}, {"a", json::object()}}},
           {"k\xff", "v"}},
  };
  for (const auto& value : cases) {
    EXPECT_EQ(DumpJson(value), Expected(value)) << Expected(value);
  }
}

TEST(DumpJson, RandomStringsAndObjectsMatchNlohmann) {
  std::uint32_t x = 2463534242u;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  // Bytes weighted towards the interesting ones: ASCII, escapes, UTF-8 lead and continuation
  // bytes, and the boundaries of the lead bytes' second-byte ranges.
  const unsigned char interesting[] = {'a',  ' ',  '"',  '\\', '\n', 0x00, 0x1f, 0x7f,
                                       0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2,
                                       0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const std::uint32_t length = next() % 12;
    for (std::uint32_t i = 0; i < length; ++i) {
      const std::uint32_t r = next();
      text += static_cast<char>(r % 3 == 0 ? r >> 8 & 0xff
                                           : interesting[(r >> 8) % sizeof interesting]);
    }
    const json value = round % 2 == 0 ? json(text) : json{{text, json::array({text, round})}};
    ASSERT_EQ(DumpJson(value), Expected(value)) << Expected(value);
  }
}

}  // namespace
}  // namespace callgate::agent
