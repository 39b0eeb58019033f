#pragma once
// Test support for code that talks to Redis: the test server's URL (CALLGATE_TEST_REDIS_URL,
// written by scripts/services start <dir>) and a fixture that skips without it (or fails when
// the environment variable CI is set). Tests share one server, so each test keeps its keys
// under its own random prefix instead of flushing the database.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "redis/redis_url.hpp"

namespace callgate::redis::testing {

inline constexpr const char* kRedisUrlVariable = "CALLGATE_TEST_REDIS_URL";

// Empty when the test Redis is configured, else why not.
inline std::string RedisUnavailableReason() {
  const char* value = std::getenv(kRedisUrlVariable);
  if (value == nullptr || *value == '\0') {
    return std::string(kRedisUrlVariable) +
           " is not set (run the tests through scripts/services run ...)";
  }
  return "";
}

// The parsed test URL; call only when RedisUnavailableReason() is empty.
inline RedisUrl TestRedisUrl() { return ParseRedisUrl(std::getenv(kRedisUrlVariable)).value(); }

// "t:<16 hex>:", unique per call across processes.
inline std::string UniqueKeyPrefix() {
  static thread_local std::mt19937_64 random(std::random_device{}() ^
                                             static_cast<std::uint64_t>(::getpid()));
  constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t value = random();
  std::string out = "t:";
  for (int i = 0; i < 16; ++i, value >>= 4) out.push_back(kHex[value & 0xf]);
  return out + ":";
}

// In a test body or SetUp: skips the test when the test Redis is not configured, and fails it
// instead when the environment variable CI is set (CI always runs Redis). A macro because
// GTEST_SKIP and GTEST_FAIL return from the function that uses them.
#define CALLGATE_REQUIRE_TEST_REDIS()                                                            \
  do {                                                                                           \
    if (auto reason_ = ::callgate::redis::testing::RedisUnavailableReason(); !reason_.empty()) { \
      if (std::getenv("CI") != nullptr) GTEST_FAIL() << "redis must run under CI: " << reason_;  \
      GTEST_SKIP() << reason_;                                                                   \
    }                                                                                            \
  } while (false)

// Skips (or fails under CI) when the test Redis is not configured; `url_` and `prefix_` are
// ready in the test body.
class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CALLGATE_REQUIRE_TEST_REDIS();
    url_ = TestRedisUrl();
    prefix_ = UniqueKeyPrefix();
  }

  RedisUrl url_;
  std::string prefix_;
};

}  // namespace callgate::redis::testing
