#include "storage/group_commit.hpp"

#include <algorithm>

#include "core/blocking.hpp"

namespace callgate::storage {

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  writer_wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::vector<GroupCommit::Waiter*> GroupCommit::TakeBatch() {
  writing_ = true;
  const std::size_t n = std::min(waiting_.size(), max_batch_);
  std::vector<Waiter*> batch(waiting_.begin(), waiting_.begin() + n);
  waiting_.erase(waiting_.begin(), waiting_.begin() + n);
  ++batches_;
  items_ += n;
  return batch;
}

void GroupCommit::MarkWritten(const std::vector<Waiter*>& batch, const Waiter* self,
                              std::vector<Waiter*>& finished) {
  writing_ = false;
  for (Waiter* written : batch) {
    written->done = true;
    if (written->later) {
      finished.push_back(written);
    } else if (written != self) {
      written->wake.notify_one();
    }
  }
}

void GroupCommit::WakeNextWriter() {
  if (waiting_.empty()) return;
  if (waiting_.front()->later) {
    writer_wake_.notify_one();
  } else {
    waiting_.front()->wake.notify_one();
  }
}

void GroupCommit::Finish(std::vector<Waiter*>& finished) noexcept {
  for (Waiter* item : finished) {
    {
      const observability::ScopedRequestId request(
          observability::ScopedRequestId::Borrowed{item->request_id});
      item->Written();
    }
    delete item;
  }
  finished.clear();
}

void GroupCommit::Submit(Waiter& item, const Write& write) {
  MayBlock("group commit");
  std::vector<Waiter*> finished;  // SubmitLater items of the batches this caller wrote
  std::unique_lock lock(mutex_);
  item.done = false;
  item.later = false;
  waiting_.push_back(&item);
  std::size_t follow_ons = 0;  // batches this caller wrote after the one that held its item
  bool storage_ok = true;      // the last batch this caller wrote did not fail as a whole
  while (true) {
    if (item.done) {
      if (!storage_ok || follow_ons == follow_on_batches_ || writing_ || waiting_.empty()) break;
      ++follow_ons;
      ++follow_ons_;
    } else if (writing_) {
      item.wake.wait(lock);
      continue;
    }
    const std::vector<Waiter*> batch = TakeBatch();
    lock.unlock();
    storage_ok = write(batch);
    lock.lock();
    MarkWritten(batch, &item, finished);
    // Someone must write the next batch: this caller when its item is still waiting (more
    // than one batch was ahead of it) or when it goes on with a follow-on, else the first
    // waiting caller (the writer thread for a SubmitLater item).
    const bool writes_next = !item.done || (storage_ok && follow_ons < follow_on_batches_);
    if (!writes_next) WakeNextWriter();
    if (!finished.empty()) {
      lock.unlock();
      Finish(finished);
      lock.lock();
    }
  }
}

void GroupCommit::SubmitLater(std::unique_ptr<Waiter> item, const Write& write) {
  // Queued, the item will be written whatever the caller does next: a retry of the caller's
  // attempt on another thread would queue it again.
  MarkAttemptIrrevocable("a write queued for the group commit");
  std::lock_guard lock(mutex_);
  if (!later_write_) later_write_ = write;
  if (!writer_.joinable()) writer_ = std::thread([this] { WriterLoop(); });
  item->done = false;
  item->later = true;
  waiting_.push_back(item.release());
  // A batch being written ends by waking whoever writes the next one.
  if (!writing_) writer_wake_.notify_one();
}

void GroupCommit::WriterLoop() {
  std::vector<Waiter*> finished;
  std::unique_lock lock(mutex_);
  while (true) {
    // (No Submit runs once stop_ is set: the destructor's precondition.)
    writer_wake_.wait(lock, [this] { return !writing_ && (stop_ || !waiting_.empty()); });
    if (waiting_.empty()) return;  // stopping, and everything queued is written
    const std::vector<Waiter*> batch = TakeBatch();
    lock.unlock();
    later_write_(batch);
    lock.lock();
    MarkWritten(batch, nullptr, finished);
    // This thread goes on with the next batch itself; a Submit caller waiting at the front
    // is written in it and woken then.
    lock.unlock();
    Finish(finished);
    lock.lock();
  }
}

std::size_t GroupCommit::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

std::uint64_t GroupCommit::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

std::uint64_t GroupCommit::items() const {
  std::lock_guard lock(mutex_);
  return items_;
}

std::uint64_t GroupCommit::follow_ons() const {
  std::lock_guard lock(mutex_);
  return follow_ons_;
}

}  // namespace callgate::storage
