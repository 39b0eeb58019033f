#include "http/request_framing.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "http/testing/framing_reference.hpp"

namespace callgate::http {
namespace {

constexpr std::uint64_t kLimit = 1024;

// What following `input` ends in when it arrives in one read, byte by byte, and split in two
// at every offset: a framing must not depend on how the network cuts the bytes.
std::vector<FramingRefusal> EveryWayOfArriving(const std::string& input) {
  std::vector<FramingRefusal> outcomes;
  {
    RequestFraming framing(kLimit);
    outcomes.push_back(framing.Follow(input.data(), input.size()));
  }
  {
    RequestFraming framing(kLimit);
    FramingRefusal last = FramingRefusal::kNone;
    for (char c : input) last = framing.Follow(&c, 1);
    outcomes.push_back(last);
  }
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    RequestFraming framing(kLimit);
    framing.Follow(input.data(), cut);
    outcomes.push_back(framing.Follow(input.data() + cut, input.size() - cut));
  }
  return outcomes;
}

void ExpectEveryWay(const std::string& input, FramingRefusal expected) {
  const auto outcomes = EveryWayOfArriving(input);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_EQ(outcomes[i], expected)
        << "arrival " << i << " (0 whole, 1 byte by byte, n cut after n-1 bytes) of:\n"
        << input;
  }
}

const std::string kChunkedHead =
    "POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(RequestFraming, WellFormedRequestsPassHoweverTheyArrive) {
  for (const std::string& input : {
           std::string("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
           std::string("\r\nGET /health HTTP/1.0\r\n\r\n"),
           std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
           kChunkedHead + "5\r\nhello\r\n0\r\n\r\n",
           kChunkedHead + "A;name=value ; other=\"quoted\"\r\n0123456789\r\n0\r\n\r\n",
           kChunkedHead + "5 ;ext\r\nhello\r\n0\r\nChecksum: abc\r\nExpires: never\r\n\r\n",
           kChunkedHead + "5 \t;ext\r\nhello\r\n0\r\nX-Content-Length-Of-The-Body: 5\r\n\r\n",
           kChunkedHead + "0000000000000005\r\nhello\r\n0\r\n\r\n",
           // Pipelined: the framing finds where each request ends.
           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + kChunkedHead +
               "3\r\ndef\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
           // A body is not read as a request, whatever it holds.
           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nGET / HTTP/1.1\n \r\r\n\n" +
               std::string("GET /health HTTP/1.1\r\n\r\n"),
           kChunkedHead + "6\r\n0\r\n\n\r\n\r\n0\r\n\r\n",
           // A body exactly at the limit, announced or in chunks.
           "POST /echo HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'x'),
           kChunkedHead + "200\r\n" + std::string(512, 'x') + "\r\n200\r\n" +
               std::string(512, 'y') + "\r\n0\r\n\r\n",
       }) {
    ExpectEveryWay(input, FramingRefusal::kNone);
  }
}

// The chunk lines a lenient parser reads one way and a proxy in front may read another: the
// request hidden behind them is never followed.
TEST(RequestFraming, ChunkLinesOutsideTheGrammarAreRefused) {
  const std::string smuggled = "GET /admin HTTP/1.1\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n";
  for (const std::string& body : {
           std::string("5;ext\nhello\r\n0\r\n\r\n"),     // bare LF in an extension
           std::string("5\nhello\r\n0\r\n\r\n"),         // bare LF after the size
           std::string("5\r\nhelloXY0\r\n\r\n"),         // any two bytes taken as CRLF
           std::string("5\r\nhello\n0\r\n\r\n"),         // bare LF after the data
           std::string("5 junk\r\nhello\r\n0\r\n\r\n"),  // a size followed by junk
           std::string("0x5\r\nhello\r\n0\r\n\r\n"),     // not hexadecimal digits only
           std::string("-5\r\nhello\r\n0\r\n\r\n"),
           std::string("\r\n5\r\nhello\r\n0\r\n\r\n"),  // no size at all
           std::string("10000000000000000\r\nx\r\n"),   // seventeen digits
           std::string("5;a\x01"
                       "b\r\nhello\r\n0\r\n\r\n"),  // a control in an extension
           std::string("5\rhello\r\n0\r\n\r\n"),    // bare CR
           std::string("5;") + std::string(5000, 'e') + "\r\nhello\r\n0\r\n\r\n",
           std::string("0\r\nChecksum : abc\r\n\r\n"),  // whitespace before a trailer's colon
           std::string("0\r\nChecksum: abc\r\n folded\r\n\r\n"),
           std::string("0\r\nChecksum: abc\n\r\n"),
           std::string("0\r\nChecksum\r\n\r\n"),
           std::string("0\r\n\n"),
           std::string("0\r\nX: ") + std::string(9000, 'v') + "\r\n\r\n",
           // What http_parser refuses or reads as framing (a tab where it takes only a space;
           // trailer fields it reads like these headers) is refused here, with the reason.
           std::string("5\t;x\r\nhello\r\n0\r\n\r\n"),
           std::string("0\r\nContent-Length: 1\r\n\r\n"),
           std::string("0\r\ncontent-length: abc\r\n\r\n"),
           std::string("0\r\nTransfer-Encoding: chunked\r\n\r\n"),
           std::string("0\r\nConnection: close\r\n\r\n"),
           std::string("0\r\nProxy-Connection: upgrade\r\n\r\n"),
           std::string("0\r\nUPGRADE: x\r\n\r\n"),
       }) {
    ExpectEveryWay(kChunkedHead + body + smuggled, FramingRefusal::kBadChunk);
  }
}

TEST(RequestFraming, HeaderSectionsALenientParserWouldReadAreRefused) {
  const std::vector<std::pair<std::string, FramingRefusal>> cases = {
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", FramingRefusal::kBadLineEnding},
      {"GET / HTTP/1.1\r\nHost: x\n\r\n", FramingRefusal::kBadLineEnding},
      {"GET / HTTP/1.1\r\nHost: x\r\n\n", FramingRefusal::kBadLineEnding},
      {"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", FramingRefusal::kBadLineEnding},
      {"\nGET / HTTP/1.1\r\n\r\n", FramingRefusal::kBadLineEnding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kBadLineEnding},
      {"GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", FramingRefusal::kBadLineEnding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kBadHeaderName},
      {"POST / HTTP/1.1\r\nContent-Length\t: 1\r\n\r\nx", FramingRefusal::kMalformed},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kTransferCoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kBadFraming},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kBadFraming},
      // http_parser reads these names as Transfer-Encoding (then refuses the request itself,
      // or frames its body as chunked).
      {"POST / HTTP/1.1\r\nTransfer-Encodingg: x\r\n\r\n", FramingRefusal::kBadFraming},
      {"POST / HTTP/1.1\r\nTransfer-Encoding-X: chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kBadFraming},
      {"POST / HTTP/2.0\r\nContent-Length: 1\r\n\r\nx", FramingRefusal::kVersion},
      {"POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", FramingRefusal::kTooLarge},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       FramingRefusal::kMalformed},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
       FramingRefusal::kMalformed},
      {"get / HTTP/1.1\r\n\r\n", FramingRefusal::kMalformed},
      // http_parser ends a CONNECT at its head, whatever body it announces.
      {"CONNECT x:443 HTTP/1.1\r\nContent-Length: 3\r\n\r\nGET", FramingRefusal::kMalformed},
      {"GET / HTTP/1.1\r\nX: a\x01"
       "b\r\n\r\n",
       FramingRefusal::kMalformed},
      {"GET / HTTP/1.1\r\nX: " + std::string(90 * 1024, 'v') + "\r\n\r\n",
       FramingRefusal::kHeadersTooLarge},
  };
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input.substr(0, 80));
    RequestFraming framing(kLimit);
    EXPECT_EQ(framing.Follow(input.data(), input.size()), expected);
  }
  // The short ones also however they arrive.
  for (const auto& [input, expected] : cases) {
    if (input.size() < 200) ExpectEveryWay(input, expected);
  }
}

// A chunked body is refused as soon as its chunk sizes add up to more than the limit: before
// the data of the chunk that crosses it is sent.
TEST(RequestFraming, ChunksAddingUpToMoreThanTheLimitAreRefusedFromTheirSizes) {
  RequestFraming framing(kLimit);
  const std::string first = kChunkedHead + "400\r\n" + std::string(1024, 'x') + "\r\n";
  EXPECT_EQ(framing.Follow(first.data(), first.size()), FramingRefusal::kNone);
  const std::string next = "1\r\n";
  EXPECT_EQ(framing.Follow(next.data(), next.size()), FramingRefusal::kTooLarge);
  EXPECT_NE(framing.Answer().find("413 Payload Too Large"), std::string::npos);
  // One chunk announcing more than any number the sum could hold.
  ExpectEveryWay(kChunkedHead + "ffffffffffffffff\r\nx", FramingRefusal::kTooLarge);
  // The count starts again with each request.
  const std::string each = kChunkedHead + "300\r\n" + std::string(768, 'x') + "\r\n0\r\n\r\n";
  ExpectEveryWay(each + each + each, FramingRefusal::kNone);
}

// The server keeps a record per chunk: a body of one-byte chunks may not make it hold many
// times the body's size.
TEST(RequestFraming, ABodyMayHaveOneChunkPer64BytesOfTheLimit) {
  constexpr std::uint64_t kMiB = 1024 * 1024;  // 16,384 chunks
  std::string chunks;
  for (int i = 0; i < 16384; ++i) chunks += "1\r\nz\r\n";
  {
    RequestFraming framing(kMiB);
    const std::string body = kChunkedHead + chunks + "0\r\n\r\n";
    EXPECT_EQ(framing.Follow(body.data(), body.size()), FramingRefusal::kNone);
  }
  RequestFraming framing(kMiB);
  const std::string body = kChunkedHead + chunks + "1\r\nz\r\n";
  EXPECT_EQ(framing.Follow(body.data(), body.size()), FramingRefusal::kBadChunk);
  EXPECT_NE(framing.Answer().find("too many chunks"), std::string::npos) << framing.Answer();
  // A small limit still allows 1,024 chunks (the limit ends such a body first).
  std::string small = kChunkedHead;
  for (int i = 0; i < 1000; ++i) small += "1\r\nz\r\n";
  small += "0\r\n\r\n";
  RequestFraming within(kLimit);
  EXPECT_EQ(within.Follow(small.data(), small.size()), FramingRefusal::kNone);
}

TEST(RequestFraming, TheRequestAfterAWellFramedOneIsFollowedToo) {
  ExpectEveryWay(kChunkedHead + "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\nHost: x\r\n\r\n",
                 FramingRefusal::kBadLineEnding);
  ExpectEveryWay("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + kChunkedHead + "5 x\r\n",
                 FramingRefusal::kBadChunk);
  ExpectEveryWay("GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
                 FramingRefusal::kTooLarge);
}

TEST(RequestFraming, ARefusalStaysAndIsAnsweredWithItsReason) {
  RequestFraming framing(kLimit);
  const std::string bad = kChunkedHead + "5 junk\r\n";
  ASSERT_EQ(framing.Follow(bad.data(), bad.size()), FramingRefusal::kBadChunk);
  const std::string good = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(framing.Follow(good.data(), good.size()), FramingRefusal::kBadChunk);
  EXPECT_EQ(framing.refusal(), FramingRefusal::kBadChunk);

  const std::vector<std::pair<std::string, std::string>> answers = {
      {kChunkedHead + "5 junk\r\n", "400 Bad Request"},
      {"get / HTTP/1.1\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", "400 Bad Request"},
      {"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", "413 Payload Too Large"},
      {"GET / HTTP/1.1\r\nX: " + std::string(90 * 1024, 'v'),
       "431 Request Header Fields Too Large"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501 Not Implemented"},
      {"GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported"},
  };
  for (const auto& [input, status] : answers) {
    RequestFraming one(kLimit);
    ASSERT_NE(one.Follow(input.data(), input.size()), FramingRefusal::kNone) << input;
    const std::string answer = one.Answer();
    EXPECT_EQ(answer.rfind("HTTP/1.1 " + status + "\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos) << answer;
    const auto body_at = answer.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos);
    const std::string body = answer.substr(body_at + 4);
    EXPECT_NE(answer.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
              std::string::npos)
        << answer;
    const auto json = nlohmann::json::parse(body, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << body;
    EXPECT_FALSE(json["error"]["message"].get<std::string>().empty());
  }
  EXPECT_TRUE(RequestFraming(kLimit).Answer().empty());
}

// Whatever the framing lets pass, the server's parser reads the same way: it refuses none of it
// and finds the same requests in it. Checked on many inputs made from well-formed requests by
// cutting, repeating and changing the bytes that frame them.
TEST(RequestFraming, WhatItLetsPassTheServersParserReadsAlike) {
  const std::vector<std::string> pieces = {
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
      kChunkedHead + "5\r\nhello\r\n0\r\n\r\n",
      kChunkedHead + "3;a=b\r\nabc\r\n0\r\nChecksum: 1\r\n\r\n",
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      "GET /e HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
      "POST /f HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 2\r\n\r\nab",
      "CONNECT x:443 HTTP/1.1\r\n\r\n",
      "\r\n",
  };
  const std::string alphabet =
      std::string("\r\n \t;:=,\"0159aAfFxX-GHPT/") + '\0' + '\x7f' + '\x80';
  std::mt19937 random(20261207);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  int passed = 0, compared_requests = 0;
  for (int round = 0; round < 150000; ++round) {
    std::string input;
    const std::size_t parts = 1 + pick(3);
    for (std::size_t i = 0; i < parts; ++i) input += pieces[pick(pieces.size())];
    const std::size_t changes = pick(4);
    for (std::size_t i = 0; i < changes && !input.empty(); ++i) {
      // Mostly next to a byte that frames (CR, LF, ';', ':', ' '), where the readings part.
      std::size_t at = pick(input.size());
      if (pick(4) != 0) {
        const auto framing_byte = input.find_first_of("\r\n;: ", at);
        if (framing_byte != std::string::npos)
          at = std::min(input.size() - 1, framing_byte + pick(2));
      }
      switch (pick(4)) {
        case 0:
          input[at] = alphabet[pick(alphabet.size())];
          break;
        case 1:
          input.insert(at, 1, alphabet[pick(alphabet.size())]);
          break;
        case 2:
          input.erase(at, 1);
          break;
        default:
          input.insert(at, input.substr(pick(input.size()), 1 + pick(8)));
          break;
      }
    }
    RequestFraming framing(kLimit);
    if (framing.Follow(input.data(), input.size()) != FramingRefusal::kNone) continue;
    ++passed;
    const auto read = testing::ReadAsTheServersParser(input);
    ASSERT_FALSE(read.refused) << "the framing lets pass what the parser refuses:\n" << input;
    compared_requests += static_cast<int>(read.ends.size());
    // The requests end at the same bytes; after an upgrade request the parser reads no further.
    auto framed = testing::RequestEndsTheFramingFinds(input, kLimit);
    ASSERT_EQ(framed.size(), framing.completed()) << input;
    if (read.upgraded) {
      ASSERT_LE(read.ends.size(), framed.size()) << input;
      framed.resize(read.ends.size());
    }
    ASSERT_EQ(read.ends, framed) << "the parser frames the requests differently:\n" << input;
  }
  // The inputs exercised both sides: many passed and held requests.
  EXPECT_GT(passed, 10000);
  EXPECT_GT(compared_requests, 10000);
}

}  // namespace
}  // namespace callgate::http
