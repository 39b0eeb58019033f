// Client and ClientPool against the test Redis (scripts/services): commands, pipelining, Lua,
// reconnection and failure modes.

#include "redis/client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "core/testing/fake_clock.hpp"
#include "redis/client_pool.hpp"
#include "redis/testing/test_redis.hpp"

namespace callgate::redis {
namespace {

using testing::RedisTest;

// A loopback port nothing listens on (bound, then closed again).
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class ClientTest : public RedisTest {
 protected:
  std::string Key(std::string_view name) { return prefix_ + std::string(name); }
};

TEST_F(ClientTest, RunsCommandsAndTypesReplies) {
  Client client(url_);
  auto set = client.Command({"SET", Key("a"), "hello"});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_TRUE(set->IsStatus());
  EXPECT_EQ(set->ToString().value(), "OK");

  auto get = client.Command({"GET", Key("a")});
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->string(), "hello");

  EXPECT_TRUE(client.Command({"GET", Key("missing")})->IsNil());
  EXPECT_EQ(client.Command({"INCRBY", Key("n"), "41"})->integer(), 41);
  EXPECT_EQ(client.Command({"INCR", Key("n")})->integer(), 42);

  ASSERT_TRUE(client.Command({"RPUSH", Key("l"), "x", "y"}).has_value());
  auto range = client.Command({"LRANGE", Key("l"), "0", "-1"});
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(*range, Reply(Reply::Array{Reply(std::string("x")), Reply(std::string("y"))}));

  // Binary-safe arguments.
  const std::string binary("a\0b\r\n", 5);
  ASSERT_TRUE(client.Command(Argv{"SET", Key("bin"), binary}).has_value());
  EXPECT_EQ(client.Command({"GET", Key("bin")})->string(), binary);
  client.Command({"DEL", Key("a"), Key("n"), Key("l"), Key("bin")});
}

TEST_F(ClientTest, ErrorReplyIsAnInternalFailure) {
  Client client(url_);
  ASSERT_TRUE(client.Command({"SET", Key("s"), "v"}).has_value());
  auto wrong = client.Command({"LPUSH", Key("s"), "x"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInternal);
  EXPECT_NE(wrong.error().message.find("WRONGTYPE"), std::string::npos);
  // The connection stays usable.
  EXPECT_EQ(client.Command({"GET", Key("s")})->string(), "v");
  client.Command({"DEL", Key("s")});
}

TEST_F(ClientTest, PipelineSendsAllCommandsAndKeepsErrorsAsValues) {
  Client client(url_);
  Pipeline pipeline;
  pipeline.Add({"SET", Key("p"), "1"})
      .Add({"INCR", Key("p")})
      .Add({"LPUSH", Key("p"), "x"})  // WRONGTYPE
      .Add({"GET", Key("p")});
  auto replies = client.RunPipeline(pipeline);
  ASSERT_TRUE(replies.has_value()) << replies.error().message;
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_TRUE((*replies)[0].IsStatus());
  EXPECT_EQ((*replies)[1].integer(), 2);
  EXPECT_TRUE((*replies)[2].IsError());
  EXPECT_EQ((*replies)[3].string(), "2");
  client.Command({"DEL", Key("p")});
}

TEST_F(ClientTest, EvalRunsScriptsAndFallsBackWhenTheServerForgotThem) {
  Client client(url_);
  // A per-test script body, so the first EVALSHA is a guaranteed NOSCRIPT.
  const Script script("-- " + prefix_ +
                      "\nredis.call('SET', KEYS[1], ARGV[1])\n"
                      "return {redis.call('INCRBY', KEYS[1], ARGV[2]), 'done', false}");
  auto first = client.Eval(script, {Key("e")}, {"10", "5"});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first,
            Reply(Reply::Array{Reply(std::int64_t{15}), Reply(std::string("done")), Reply(Nil{})}));
  auto cached = client.Command({"SCRIPT", "EXISTS", script.sha1()});
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->array().at(0).integer(), 1);

  auto again = client.Eval(script, {Key("e")}, {"1", "1"});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->array().at(0).integer(), 2);

  const Script failing("return redis.error_reply('nope " + prefix_ + "')");
  auto failed = client.Eval(failing, {}, {});
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kInternal);
  EXPECT_NE(failed.error().message.find("nope"), std::string::npos);
  client.Command({"DEL", Key("e")});
}

TEST_F(ClientTest, ReconnectsTransparentlyAfterTheServerDropsTheConnection) {
  Client victim(url_);
  Client admin(url_);
  auto id = victim.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.has_value());
  auto killed = admin.Command({"CLIENT", "KILL", "ID", std::to_string(id->integer())});
  ASSERT_TRUE(killed.has_value()) << killed.error().message;
  ASSERT_EQ(killed->integer(), 1);
  // Wait (bounded) until the kernel reports the close on our side; Redis closes asynchronously.
  for (int i = 0; i < 200; ++i) {
    auto list = admin.Command({"CLIENT", "LIST", "ID", std::to_string(id->integer())});
    if (list && list->IsString() && list->string().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The killed connection is noticed before sending, so the command runs exactly once.
  auto incr = victim.Command({"INCR", Key("once")});
  ASSERT_TRUE(incr.has_value()) << incr.error().message;
  EXPECT_EQ(incr->integer(), 1);
  auto new_id = victim.Command({"CLIENT", "ID"});
  ASSERT_TRUE(new_id.has_value());
  EXPECT_NE(new_id->integer(), id->integer());
  victim.Command({"DEL", Key("once")});
}

TEST_F(ClientTest, SlowReplyTimesOutAndTheNextCommandReconnects) {
  ClientOptions options;
  options.command_timeout = std::chrono::milliseconds(100);
  Client client(url_, options);
  auto blocked = client.Command({"BLPOP", Key("never"), "2"});
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, ErrorCode::kTimeout) << blocked.error().message;
  EXPECT_FALSE(client.IsConnected());
  auto pong = client.Command({"PING"});
  ASSERT_TRUE(pong.has_value()) << pong.error().message;
  EXPECT_EQ(pong->ToString().value(), "PONG");
}

TEST(ClientUnavailable, FailsWithUnavailableWhenNothingListens) {
  RedisUrl url;
  url.host = "127.0.0.1";
  url.port = UnusedPort();
  Client client(url);
  auto reply = client.Command({"PING"});
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("127.0.0.1"), std::string::npos);

  callgate::testing::FakeClock clock;
  ClientPool pool(url, {}, clock);
  EXPECT_EQ(pool.Ping().error().code, ErrorCode::kUnavailable);
  // Inside the fail-fast window the pool does not even try.
  auto fast = pool.Command({"PING"});
  ASSERT_FALSE(fast.has_value());
  EXPECT_NE(fast.error().message.find("retrying shortly"), std::string::npos);
  clock.Advance(std::chrono::milliseconds(300));
  auto retried = pool.Command({"PING"});
  ASSERT_FALSE(retried.has_value());
  EXPECT_EQ(retried.error().message.find("retrying shortly"), std::string::npos);
}

TEST_F(ClientTest, WrongDatabaseNumberIsRefusedAtConnect) {
  RedisUrl url = url_;
  url.database = 100000;  // beyond the default 16 databases
  Client client(url);
  auto status = client.Connect();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message.find("SELECT"), std::string::npos);
}

TEST_F(ClientTest, PoolSharesClientsBetweenThreads) {
  SystemClock clock;
  ClientPoolOptions options;
  options.size = 3;
  ClientPool pool(url_, options, clock);
  constexpr int kThreads = 6;
  constexpr int kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!pool.Command({"INCR", Key("shared")})) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pool.Command({"GET", Key("shared")})->ToInteger().value(), kThreads * kEach);
  auto two = pool.With([&](Client& c) -> Result<std::int64_t> {
    auto a = c.Command({"INCR", Key("shared")});
    if (!a) return tl::unexpected(a.error());
    return c.Command({"DEL", Key("shared")})->integer();
  });
  EXPECT_EQ(two.value(), 1);
}

}  // namespace
}  // namespace callgate::redis
