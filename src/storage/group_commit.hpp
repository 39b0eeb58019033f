#pragma once
// Group commit: callers that arrive while a batch is being written wait, and the next batch
// takes every waiting one (up to a limit) at once, so a burst of short writes costs one
// transaction instead of one per caller. Whoever finds no batch being written writes it on its
// own thread, at once; the others sleep, each on its own condition, until their batch is
// written. Finishing a batch wakes its callers and the first waiting one, which writes the next
// batch unless a newly arrived caller has started it already — or, with follow-on batches
// allowed, a caller whose item is written goes on to write the next batch (up to that many)
// before it returns, with no other thread to wake in between. Used by storage::Database
// (SQLite transactions) and storage::SqlCallEventStore (platform events on PostgreSQL, with
// follow-on batches).
//
// An item may also be queued without a thread waiting for it (SubmitLater): the GroupCommit's
// own writer thread, started with the first such item, writes the batches that hold them, and
// each one's Written() runs once its batch is written. A request thread that must not wait (an
// I/O thread answering later, http::PendingAnswer) queues its write this way.
//
// A batch runs on whichever thread writes it, so each item carries the request id of the
// thread that queued it (observability::ScopedRequestId): Written() runs under it, and a
// Write function runs each item's own part under it (a batch's shared statements, BEGIN and
// COMMIT say, under none), so that a log line of the writing thread names the request it
// served — never the request of the thread that happened to write the batch.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "observability/log.hpp"

namespace callgate::storage {

class GroupCommit {
 public:
  // One caller's part of a batch, on the caller's stack; derive the item to write from it.
  struct Waiter {
    virtual ~Waiter() = default;
    // An item queued with SubmitLater: called once its batch is written (outcome set), on the
    // thread that wrote it, outside the GroupCommit's lock; the item is destroyed right after.
    // Must not throw and should be quick (hand the outcome on, do not work on it here).
    virtual void Written() {}

    bool done = false;   // guarded by the GroupCommit's mutex
    bool later = false;  // queued with SubmitLater (owned by the GroupCommit until written)
    std::condition_variable wake;
    // The request id of the thread that created the item (empty when it had none).
    const std::string request_id{observability::CurrentRequestId()};
  };
  // Writes a batch and sets each item's outcome; must not throw. Runs on one of the callers'
  // threads, never on two threads at once for one GroupCommit. Returns false when the storage
  // itself failed (not one item's data): a caller whose own item is written then writes no
  // follow-on batch, so it is not held up by more batches that would fail the same way.
  using Write = std::function<bool(const std::vector<Waiter*>& batch)>;

  // At most `max_batch` (≥ 1) items per batch. `follow_on_batches`: how many batches a caller
  // whose own item is written goes on to write before it returns, while callers are waiting
  // and no other batch is being written (0: it returns at once and wakes a waiting caller).
  // Each costs that caller's return one batch's time and saves a thread switch per batch.
  explicit GroupCommit(std::size_t max_batch, std::size_t follow_on_batches = 0)
      : max_batch_(max_batch > 0 ? max_batch : 1), follow_on_batches_(follow_on_batches) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;
  // Writes what is still queued with SubmitLater, then stops the writer thread. No Submit may
  // still be running.
  ~GroupCommit();

  // Queues `item` and returns once a batch holding it has been written by `write` (this
  // caller's, or that of the caller who wrote the batch: all callers pass the same kind of
  // function). Thread-safe.
  void Submit(Waiter& item, const Write& write);

  // Queues `item` and returns at once, without waiting and without writing on this thread:
  // the writer thread (or a Submit caller writing a batch) writes it, then calls its
  // Written(). `write` is kept from the first call for the writer thread's batches (pass the
  // same function every time, one that stays valid as long as this GroupCommit). Items are
  // written in arrival order with those of Submit. Thread-safe; never waits for a batch.
  void SubmitLater(std::unique_ptr<Waiter> item, const Write& write);

  // Callers waiting for the batch being written to end (not counting that batch).
  std::size_t waiting() const;
  // Batches written, and the items they held; of the batches, those written as follow-ons.
  std::uint64_t batches() const;
  std::uint64_t items() const;
  std::uint64_t follow_ons() const;

 private:
  // Takes the next batch from the front of waiting_; call with the lock held and writing_ false.
  std::vector<Waiter*> TakeBatch();
  // Marks `batch` written (lock held): wakes its Submit callers except `self`, and moves the
  // SubmitLater items to `finished` (their Written() runs after the lock is released).
  void MarkWritten(const std::vector<Waiter*>& batch, const Waiter* self,
                   std::vector<Waiter*>& finished);
  // Wakes whoever writes the next batch: the first waiting Submit caller, or the writer thread
  // when the first waiting item was queued with SubmitLater (lock held).
  void WakeNextWriter();
  static void Finish(std::vector<Waiter*>& finished) noexcept;
  void WriterLoop();

  const std::size_t max_batch_;
  const std::size_t follow_on_batches_;
  mutable std::mutex mutex_;
  std::deque<Waiter*> waiting_;   // guarded by mutex_, in arrival order
  bool writing_ = false;          // guarded by mutex_
  std::uint64_t batches_ = 0;     // guarded by mutex_
  std::uint64_t items_ = 0;       // guarded by mutex_
  std::uint64_t follow_ons_ = 0;  // guarded by mutex_
  Write later_write_;             // guarded by mutex_; set by the first SubmitLater
  std::condition_variable writer_wake_;
  bool stop_ = false;   // guarded by mutex_
  std::thread writer_;  // started by the first SubmitLater
};

}  // namespace callgate::storage
