#pragma once
// Group commit: callers that arrive while a batch is being written wait, and the next batch
// takes every waiting one (up to a limit) at once, so a burst of short writes costs one
// transaction instead of one per caller. Whoever finds no batch being written writes it on its
// own thread, at once; the others sleep, each on its own condition, until their batch is
// written. Finishing a batch wakes its callers and the first waiting one, which writes the next
// batch unless a newly arrived caller has started it already. Used by storage::Database (SQLite
// transactions) and storage::SqlCallEventStore (platform events on PostgreSQL).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace callgate::storage {

class GroupCommit {
 public:
  // One caller's part of a batch, on the caller's stack; derive the item to write from it.
  struct Waiter {
    bool done = false;  // guarded by the GroupCommit's mutex
    std::condition_variable wake;
  };
  // Writes a batch and sets each item's outcome; must not throw. Runs on one of the callers'
  // threads, never on two threads at once for one GroupCommit.
  using Write = std::function<void(const std::vector<Waiter*>& batch)>;

  explicit GroupCommit(std::size_t max_batch) : max_batch_(max_batch > 0 ? max_batch : 1) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `item` and returns once a batch holding it has been written by `write` (this
  // caller's, or that of the caller who wrote the batch: all callers pass the same kind of
  // function). Thread-safe.
  void Submit(Waiter& item, const Write& write);

  // Callers waiting for the batch being written to end (not counting that batch).
  std::size_t waiting() const;
  // Batches written, and the items they held.
  std::uint64_t batches() const;
  std::uint64_t items() const;

 private:
  const std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::deque<Waiter*> waiting_;  // guarded by mutex_, in arrival order
  bool writing_ = false;         // guarded by mutex_
  std::uint64_t batches_ = 0;    // guarded by mutex_
  std::uint64_t items_ = 0;      // guarded by mutex_
};

}  // namespace callgate::storage
