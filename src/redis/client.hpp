#pragma once
// Client: one RAII connection to Redis (hiredis, synchronous) with timeouts, transparent
// reconnection, pipelining and Lua scripts. Not thread-safe: use one Client per thread, or
// ClientPool (redis/client_pool.hpp), which lends clients to threads.
//
//   redis::Client client(url);
//   auto n = client.Command({"INCR", "visits"});            // Result<Reply>
//   auto replies = client.RunPipeline(redis::Pipeline().Add({"GET", "a"}).Add({"GET", "b"}));
//   static const redis::Script kTake("return redis.call('DECR', KEYS[1])");
//   auto left = client.Eval(kTake, {"tokens"}, {});
//
// Failure modes (as Result errors, never exceptions):
//   kUnavailable  cannot connect, or the connection broke during the command (the command may or
//                 may not have run; the connection is dropped and the next call reconnects)
//   kTimeout      no reply within ClientOptions::command_timeout (connection dropped likewise)
//   kInternal     Redis answered with an error reply to Command/Eval (message = Redis' text)
//
// Reconnection: before each call the client checks whether the server closed the idle
// connection (restart, CLIENT KILL, idle timeout) and if so reconnects before sending, so such a
// command runs exactly once. A connection that fails mid-command is never retried automatically,
// because the command may already have run.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "redis/redis_url.hpp"
#include "redis/reply.hpp"

struct redisContext;

namespace callgate::redis {

struct ClientOptions {
  // TCP connect timeout (also bounds AUTH and SELECT right after connecting).
  std::chrono::milliseconds connect_timeout{1000};
  // Socket read/write timeout for every command; a slower reply fails with kTimeout.
  std::chrono::milliseconds command_timeout{1000};
};

// A Redis command and its arguments, binary-safe: {"SET", "key", "value"}.
using Argv = std::vector<std::string>;

// Several commands sent in one round trip (pipelining; not a MULTI transaction).
class Pipeline {
 public:
  Pipeline& Add(std::initializer_list<std::string_view> argv);
  Pipeline& Add(Argv argv);
  std::size_t size() const noexcept { return commands_.size(); }
  bool empty() const noexcept { return commands_.empty(); }
  const std::vector<Argv>& commands() const noexcept { return commands_; }

 private:
  std::vector<Argv> commands_;
};

// A Lua script, identified by its SHA1 so it is sent in full only when the server does not
// have it cached yet. Immutable; thread-safe; cheap to keep as a static constant.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const noexcept { return source_; }
  // Lower-case hex SHA1 of the source, as SCRIPT LOAD and EVALSHA use it.
  const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

class Client {
 public:
  // Does not connect; the first call (or Connect()) does.
  explicit Client(RedisUrl url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects now (AUTH and SELECT included) unless a usable connection is open; an idle
  // connection the server has closed is replaced. kUnavailable (message with the redacted URL)
  // when nothing answers within connect_timeout or AUTH/SELECT is refused.
  Status Connect();
  // Closes the connection; the next call reconnects.
  void Disconnect() noexcept;
  // True while a connection is open (it may still turn out to be broken on the next call).
  bool IsConnected() const noexcept { return context_ != nullptr; }

  // Runs one command. Error replies become kInternal failures (see RunPipeline for error
  // replies as values).
  Result<Reply> Command(std::initializer_list<std::string_view> argv);
  Result<Reply> Command(const Argv& argv);

  // Sends every command of `pipeline`, then reads all replies: one round trip. Returns one
  // Reply per command in order; a command's error reply is an ErrorReply value in the vector,
  // not a failure. Fails as a whole only when the connection fails or times out.
  Result<std::vector<Reply>> RunPipeline(const Pipeline& pipeline);

  // EVALSHA of the script; on NOSCRIPT (first use, or after a restart / SCRIPT FLUSH) falls back
  // to EVAL, which also caches it on the server. Errors raised by the script are kInternal.
  Result<Reply> Eval(const Script& script, const Argv& keys, const Argv& args);

  const RedisUrl& url() const noexcept { return url_; }

 private:
  Status Open();
  bool ConnectionLooksClosed() const noexcept;
  Error TakeConnectionError();
  Result<std::vector<Reply>> RoundTrip(const std::vector<Argv>& commands);

  RedisUrl url_;
  ClientOptions options_;
  redisContext* context_ = nullptr;
};

}  // namespace callgate::redis
