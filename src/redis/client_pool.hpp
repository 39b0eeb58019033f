#pragma once
// ClientPool: a fixed number of Redis clients lent to threads, so every module (queue, rate
// limits, breaker state, slot cache) shares a few connections. Thread-safe.
//
//   redis::ClientPool redis(url, {}, clock);
//   auto n = redis.Command({"INCR", "k"});
//   auto both = redis.With([](redis::Client& c) -> Result<int> { ...two commands... });
//
// When Redis is down, a failed connect makes calls fail fast with kUnavailable for
// `retry_after` instead of each one waiting for the connect timeout, so an outage never
// stalls callers for long; after that the next call tries again.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "redis/client.hpp"

namespace callgate::redis {

struct ClientPoolOptions {
  ClientOptions client;
  // Connections at most; opened lazily.
  std::size_t size = 4;
  // How long a call waits for a free client before failing with kUnavailable.
  std::chrono::milliseconds acquire_timeout{2000};
  // Fail-fast window after a failed connect, measured on the pool's Clock (steady time): with
  // a FakeClock that never advances, a failed connect fails every later call; use 0 there.
  std::chrono::milliseconds retry_after{250};
};

class ClientPool {
 public:
  // Connects nothing yet. `clock` must outlive the pool.
  ClientPool(RedisUrl url, ClientPoolOptions options, const Clock& clock);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // Runs `fn(Client&)` on a connected client and returns its Result (fn must return a
  // Result<T> or Status). Use it for several commands on one connection (e.g. WATCH/MULTI).
  // kUnavailable without calling fn when no client is free within acquire_timeout, when Redis
  // cannot be reached, or during the fail-fast window. Thread-safe.
  template <typename Fn>
  auto With(Fn&& fn) -> std::invoke_result_t<Fn&, Client&>;

  // Client::Command / RunPipeline / Eval on a pooled client; same failure modes as there plus
  // the ones of With(). Thread-safe.
  Result<Reply> Command(std::initializer_list<std::string_view> argv);
  Result<Reply> Command(const Argv& argv);
  Result<std::vector<Reply>> RunPipeline(const Pipeline& pipeline);
  Result<Reply> Eval(const Script& script, const Argv& keys, const Argv& args);

  // PING; kUnavailable / kTimeout when Redis does not answer. For readiness probes.
  Status Ping();

  const RedisUrl& url() const noexcept { return url_; }

 private:
  // Gives a borrowed client back on scope exit, also when the callback throws.
  struct Loan {
    ClientPool* pool;
    std::unique_ptr<Client> client;
    ~Loan() { pool->Release(std::move(client)); }
  };

  Result<std::unique_ptr<Client>> Acquire();
  void Release(std::unique_ptr<Client> client);

  const RedisUrl url_;
  const ClientPoolOptions options_;
  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Client>> idle_;  // guarded by mutex_
  std::size_t created_ = 0;                    // guarded by mutex_
  SteadyTimePoint down_until_{};               // guarded by mutex_
};

namespace internal {
template <typename T>
struct IsResult : std::false_type {};
template <typename T>
struct IsResult<Result<T>> : std::true_type {};
}  // namespace internal

template <typename Fn>
auto ClientPool::With(Fn&& fn) -> std::invoke_result_t<Fn&, Client&> {
  using R = std::invoke_result_t<Fn&, Client&>;
  static_assert(internal::IsResult<R>::value, "the callback must return a Result<T> or Status");
  auto client = Acquire();
  if (!client) return tl::unexpected(client.error());
  Loan loan{this, std::move(*client)};
  return fn(*loan.client);
}

}  // namespace callgate::redis
