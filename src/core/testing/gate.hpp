#pragma once
// Gate: one thread stops at a point of the code under test until the test lets it go on — a
// transaction kept open while another statement waits for its row, a repository call paused
// between two statements. Every wait is bounded, so a test whose other thread failed before it
// reached the gate fails at once instead of hanging until CTest's timeout.
//
//   testing::Gate gate;
//   std::thread t([&] { ...; gate.Arrive(); ... });   // waits here until Open()
//   ASSERT_TRUE(gate.WaitForArrival()) << "never got there";
//   ... the test looks at the world while `t` waits ...
//   gate.Open();
//   t.join();
//
// Thread-safe. Open() before Arrive() lets the arriving thread through at once; the destructor
// does not open the gate (a thread still waiting must be let go before it is joined).

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace callgate::testing {

class Gate {
 public:
  // How long WaitForArrival waits at most, and how long Arrive holds its thread at most (longer:
  // the test may poll for a lock wait, ~20 s at most, between the two).
  static constexpr std::chrono::seconds kLongestArrival{20};
  static constexpr std::chrono::seconds kLongestHold{60};

  // Marks the arrival, then waits until Open() (at most kLongestHold, after which it goes on:
  // a test that never opens fails on its own assertions rather than hanging).
  void Arrive() {
    std::unique_lock lock(mutex_);
    arrived_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, kLongestHold, [&] { return open_; });
  }

  // True once a thread arrived; false when none did within kLongestArrival.
  bool WaitForArrival() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kLongestArrival, [&] { return arrived_; });
  }

  // Lets the waiting thread (and any later arrival) go on.
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool arrived_ = false;
  bool open_ = false;
};

}  // namespace callgate::testing
