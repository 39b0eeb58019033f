#pragma once
// A JobQueue for tests that records what was enqueued (not transactional).

#include <mutex>
#include <vector>

#include "queue/job_queue.hpp"

namespace callgate::calls::testing {

class RecordingJobQueue final : public queue::JobQueue {
 public:
  Result<std::int64_t> Enqueue(const queue::NewJob& job) override {
    std::lock_guard lock(mutex_);
    jobs_.push_back(job);
    return static_cast<std::int64_t>(jobs_.size());
  }
  std::vector<queue::NewJob> jobs() const {
    std::lock_guard lock(mutex_);
    return jobs_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<queue::NewJob> jobs_;
};

}  // namespace callgate::calls::testing
