#include "storage/group_commit.hpp"

#include <algorithm>

#include "core/blocking.hpp"

namespace callgate::storage {

void GroupCommit::Submit(Waiter& item, const Write& write) {
  MayBlock("group commit");
  std::unique_lock lock(mutex_);
  item.done = false;
  waiting_.push_back(&item);
  std::size_t follow_ons = 0;  // batches this caller wrote after the one that held its item
  bool storage_ok = true;      // the last batch this caller wrote did not fail as a whole
  while (true) {
    if (item.done) {
      if (!storage_ok || follow_ons == follow_on_batches_ || writing_ || waiting_.empty()) return;
      ++follow_ons;
      ++follow_ons_;
    } else if (writing_) {
      item.wake.wait(lock);
      continue;
    }
    writing_ = true;
    const std::size_t n = std::min(waiting_.size(), max_batch_);
    const std::vector<Waiter*> batch(waiting_.begin(), waiting_.begin() + n);
    waiting_.erase(waiting_.begin(), waiting_.begin() + n);
    ++batches_;
    items_ += n;
    lock.unlock();
    storage_ok = write(batch);
    lock.lock();
    writing_ = false;
    for (Waiter* written : batch) {
      written->done = true;
      if (written != &item) written->wake.notify_one();
    }
    // Someone must write the next batch: this caller when its item is still waiting (more
    // than one batch was ahead of it) or when it goes on with a follow-on, else the first
    // waiting caller.
    const bool writes_next = !item.done || (storage_ok && follow_ons < follow_on_batches_);
    if (!waiting_.empty() && !writes_next) waiting_.front()->wake.notify_one();
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
