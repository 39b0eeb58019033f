#include "observability/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace callgate::observability {
namespace {

TEST(LogLine, IsOneValidJsonObjectWithTypedFields) {
  const std::string line = FormatLogLine(
      FromUnixMillis(1795683600000LL), LogLevel::kWarn, "slow_query", "req-1",
      {{"statement", "calls.insert"}, {"duration_ms", 142}, {"ok", false}, {"ratio", 0.25}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-11-26T09:00:00.000Z");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["event"], "slow_query");
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["statement"], "calls.insert");
  EXPECT_EQ(j["duration_ms"], 142);
  EXPECT_EQ(j["ok"], false);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.25);
}

TEST(LogLine, EscapesQuotesControlCharactersAndKeepsUtf8) {
  const std::string line = FormatLogLine(FromUnixMillis(0), LogLevel::kInfo, "x", "",
                                         {{"text", "Grüße \"Max\"\n\ttab\x01"}});
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["text"], "Grüße \"Max\"\n\ttab\x01");
  EXPECT_FALSE(j.contains("request_id"));
}

// A header or name cut inside a character, or bytes that are not text, come from outside (an
// Origin header, a client's name): each such byte is written as U+FFFD, so the line stays valid
// UTF-8 JSON that a strict log shipper accepts, and the rest of the text is kept.
TEST(LogLine, WritesBytesThatAreNoUtf8AsReplacementCharacters) {
  const std::string text = "Gr\xC3\xBC\xC3 https://x\xFF\xFE.example \xE2\x82 \xED\xA0\x80 ok";
  const std::string line =
      FormatLogLine(FromUnixMillis(0), LogLevel::kWarn, "origin_refused", "", {{"origin", text}});
  const auto j = nlohmann::json::parse(line);  // nlohmann refuses invalid UTF-8
  EXPECT_EQ(j["origin"],
            "Grü\uFFFD https://x\uFFFD\uFFFD.example \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD ok");
}

TEST(LogLine, MasksPhoneNumbersAndEmailAddressesInEveryTextField) {
  // e.g. http_error_detail with a storage message naming a caller (docs/privacy.md).
  const std::string line =
      FormatLogLine(FromUnixMillis(0), LogLevel::kError, "http_error_detail", "",
                    {{"detail", "customer +4915112345678 (erika.m@example.org) exists"},
                     {"from", std::string_view("0151 12345678")},
                     {"count", 15112345678LL}});
  EXPECT_EQ(line.find("15112345678\""), std::string::npos) << line;
  EXPECT_EQ(line.find("+4915112345678"), std::string::npos) << line;
  EXPECT_EQ(line.find("0151 12345678"), std::string::npos) << line;
  EXPECT_EQ(line.find("erika.m@"), std::string::npos) << line;
  EXPECT_NE(line.find("customer +49151****678 (e***@example.org) exists"), std::string::npos)
      << line;
  EXPECT_NE(line.find("\"count\":15112345678"), std::string::npos) << line;  // numbers stay
}

TEST(ScopedRequestId, SetsAndRestoresThreadRequestId) {
  EXPECT_EQ(CurrentRequestId(), "");
  {
    ScopedRequestId outer("a");
    EXPECT_EQ(CurrentRequestId(), "a");
    {
      ScopedRequestId inner("b");
      EXPECT_EQ(CurrentRequestId(), "b");
    }
    EXPECT_EQ(CurrentRequestId(), "a");
  }
  EXPECT_EQ(CurrentRequestId(), "");
}

TEST(ScopedRequestId, OwnedAndBorrowedIdsNestAndEachGuardRestoresTheOneBeforeIt) {
  // A long id (no small-string buffer), given by a temporary: the guard keeps its own copy.
  const std::string long_id(64, 'r');
  {
    ScopedRequestId owned{std::string(long_id)};
    EXPECT_EQ(CurrentRequestId(), long_id);
    const std::string kept = "req-kept-elsewhere-and-longer-than-sso";
    {
      ScopedRequestId borrowed(ScopedRequestId::Borrowed{kept});
      EXPECT_EQ(CurrentRequestId(), kept);
      EXPECT_EQ(CurrentRequestId().data(), kept.data());  // viewed, not copied
      {
        ScopedRequestId none(ScopedRequestId::Borrowed{""});
        EXPECT_EQ(CurrentRequestId(), "");
      }
      EXPECT_EQ(CurrentRequestId(), kept);
    }
    EXPECT_EQ(CurrentRequestId(), long_id);
  }
  EXPECT_EQ(CurrentRequestId(), "");
  static_assert(noexcept(ScopedRequestId(ScopedRequestId::Borrowed{""})));
}

TEST(ParseLogLevel, AcceptsKnownNamesOnly) {
  LogLevel l = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("DEBUG", l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warning", l));
  EXPECT_EQ(l, LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("loud", l));
}

}  // namespace
}  // namespace callgate::observability
