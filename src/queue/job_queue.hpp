#pragma once
// JobQueue: the port through which request handling hands follow-up work to workers
// (call analysis, pending Cal.com bookings, sync, alert checks). Drivers: database (default)
// and Redis; both are transactional with respect to the database: a job enqueued inside
// storage::Database::WithTransaction on the same thread is committed or rolled back together
// with the data that caused it, so an acknowledged webhook can never lose its follow-up work.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callgate::queue {

// Queue names, served in this priority order.
inline constexpr std::string_view kHigh = "high";
inline constexpr std::string_view kDefault = "default";
inline constexpr std::string_view kLow = "low";

// True for "high", "default" and "low".
inline bool IsKnownQueue(std::string_view queue) noexcept {
  return queue == kHigh || queue == kDefault || queue == kLow;
}

struct NewJob {
  std::string type;          // handler name, e.g. "call_analysis"
  std::string payload_json;  // small JSON object with ids, never secrets
  std::string queue = std::string(kDefault);
  std::chrono::milliseconds delay{0};  // run no earlier than now + delay
  std::string request_id;              // carried into the job's log lines
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;
  // Enqueues a job and returns its id. Joins the caller's database transaction when called
  // inside Database::WithTransaction on this thread. kInvalidArgument for an unknown queue or
  // empty type; kUnavailable when the store cannot be reached. Thread-safe.
  virtual Result<std::int64_t> Enqueue(const NewJob& job) = 0;
};

}  // namespace callgate::queue
