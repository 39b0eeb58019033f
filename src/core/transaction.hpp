#pragma once
// TransactionRunner: the port through which domain services make several repository writes
// (and job enqueues) atomic without knowing about the database. The storage adapter runs `fn`
// inside Database::WithTransaction; repository calls made by `fn` on the same thread join it.

#include <functional>

#include "core/result.hpp"

namespace callgate {

class TransactionRunner {
 public:
  virtual ~TransactionRunner() = default;
  // Runs `fn` in one transaction: commits when it returns Ok, rolls back on an error (which is
  // returned) or exception (mapped to an error). An adapter may commit several callers'
  // functions together and run `fn` on another thread while the caller waits (group commit),
  // so `fn` must not rely on thread-local state. Thread-safe.
  virtual Status Run(const std::function<Status()>& fn) = 0;
};

}  // namespace callgate
