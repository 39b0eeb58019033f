#include "storage/group_commit.hpp"

#include <algorithm>

namespace callgate::storage {

void GroupCommit::Submit(Waiter& item, const Write& write) {
  std::unique_lock lock(mutex_);
  item.done = false;
  waiting_.push_back(&item);
  while (!item.done) {
    if (writing_) {
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
    write(batch);
    lock.lock();
    writing_ = false;
    for (Waiter* written : batch) {
      written->done = true;
      if (written != &item) written->wake.notify_one();
    }
    if (!waiting_.empty()) waiting_.front()->wake.notify_one();  // the next batch
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

}  // namespace callgate::storage
