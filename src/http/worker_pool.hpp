#pragma once
// WorkerPool: a fixed set of threads fed from a bounded FIFO queue. The HTTP server runs
// middleware and handlers here so they never block an I/O thread; a full queue is reported to
// the caller (the server answers 503) instead of growing without bound.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace callgate::http {

class WorkerPool {
 public:
  using Job = std::function<void()>;

  // Starts `threads` (≥ 1) threads; at most `queue_capacity` (≥ 1) jobs wait beyond the ones
  // running. Throws std::invalid_argument for zero sizes (startup configuration error).
  WorkerPool(std::size_t threads, std::size_t queue_capacity);
  // Shutdown(), then joins.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Enqueues a job; false (job not taken, not run) when the queue is full or the pool is shut
  // down. Thread-safe. Jobs must not throw (an escaping exception is swallowed).
  bool TryPost(Job job);

  // Stops taking jobs, lets running jobs finish, drops queued ones (destroying them on this
  // thread) and joins the threads. Idempotent; thread-safe; must not be called from a job.
  void Shutdown();

  // Jobs waiting (not yet running) / running right now. Thread-safe snapshots.
  std::size_t queued() const;
  std::size_t running() const;

 private:
  void Loop();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::mutex join_mutex_;  // serialises concurrent Shutdown() calls around join()
  std::vector<std::thread> threads_;
};

}  // namespace callgate::http
