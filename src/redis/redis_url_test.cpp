#include "redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace callgate::redis {
namespace {

TEST(RedisUrl, ParsesHostPortAndDatabase) {
  auto url = ParseRedisUrl("redis://10.0.0.5:6380/3");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->host, "10.0.0.5");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->database, 3);
  EXPECT_TRUE(url->password.empty());
  EXPECT_EQ(url->Redacted(), "redis://10.0.0.5:6380/3");
}

TEST(RedisUrl, DefaultsPortAndDatabase) {
  auto url = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->database, 0);
}

TEST(RedisUrl, KeepsPasswordOutOfRedactedForm) {
  auto url = ParseRedisUrl("redis://:s%40cret@127.0.0.1:6379/0");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->password.Reveal(), "s@cret");
  EXPECT_TRUE(url->user.empty());
  EXPECT_EQ(url->Redacted(), "redis://:***@127.0.0.1:6379/0");
  auto acl = ParseRedisUrl("redis://app:pw@[::1]:7000/1");
  ASSERT_TRUE(acl.has_value());
  EXPECT_EQ(acl->user, "app");
  EXPECT_EQ(acl->host, "::1");
  EXPECT_EQ(acl->port, 7000);
  EXPECT_EQ(acl->Redacted(), "redis://app:***@[::1]:7000/1");
}

TEST(RedisUrl, RejectsMalformedUrlsWithoutEchoingThePassword) {
  for (const char* bad :
       {"http://h:6379/0", "redis://", "redis://h:0/0", "redis://h:99999", "redis://h:6379/x",
        "redis://h:6379/0?timeout=1", "redis://h:/0", "redis://:pw%zz@h/0"}) {
    auto url = ParseRedisUrl(bad);
    ASSERT_FALSE(url.has_value()) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(url.error().message.find("pw"), std::string::npos) << url.error().message;
  }
}

}  // namespace
}  // namespace callgate::redis
