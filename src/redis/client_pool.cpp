#include "redis/client_pool.hpp"

#include "core/blocking.hpp"

namespace callgate::redis {

ClientPool::ClientPool(RedisUrl url, ClientPoolOptions options, const Clock& clock)
    : url_(std::move(url)), options_(options), clock_(clock) {}

ClientPool::~ClientPool() = default;

Result<std::unique_ptr<Client>> ClientPool::Acquire() {
  MayBlock("redis");
  std::unique_ptr<Client> client;
  {
    std::unique_lock lock(mutex_);
    if (options_.retry_after.count() > 0 && clock_.Steady() < down_until_) {
      return Fail(ErrorCode::kUnavailable,
                  "redis: " + url_.Redacted() + " is unreachable (retrying shortly)");
    }
    const std::size_t size = std::max<std::size_t>(options_.size, 1);
    const bool ready = available_.wait_for(lock, options_.acquire_timeout,
                                           [&] { return !idle_.empty() || created_ < size; });
    if (!ready) {
      return Fail(ErrorCode::kUnavailable,
                  "redis: all " + std::to_string(size) + " connections busy for " +
                      std::to_string(options_.acquire_timeout.count()) + " ms");
    }
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++created_;
      client = std::make_unique<Client>(url_, options_.client);
    }
  }
  // Connect (or notice a connection the server closed) outside the lock.
  if (auto connected = client->Connect(); !connected) {
    {
      std::lock_guard lock(mutex_);
      down_until_ = clock_.Steady() + options_.retry_after;
    }
    Release(std::move(client));
    return tl::unexpected(connected.error());
  }
  return client;
}

void ClientPool::Release(std::unique_ptr<Client> client) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(client));  // a disconnected client reconnects on next use
  }
  available_.notify_one();
}

Result<Reply> ClientPool::Command(std::initializer_list<std::string_view> argv) {
  return With([&](Client& c) { return c.Command(argv); });
}

Result<Reply> ClientPool::Command(const Argv& argv) {
  return With([&](Client& c) { return c.Command(argv); });
}

Result<std::vector<Reply>> ClientPool::RunPipeline(const Pipeline& pipeline) {
  return With([&](Client& c) { return c.RunPipeline(pipeline); });
}

Result<Reply> ClientPool::Eval(const Script& script, const Argv& keys, const Argv& args) {
  return With([&](Client& c) { return c.Eval(script, keys, args); });
}

Status ClientPool::Ping() {
  return With([](Client& c) -> Status {
    auto pong = c.Command({"PING"});
    if (!pong) return tl::unexpected(pong.error());
    return Ok();
  });
}

}  // namespace callgate::redis
