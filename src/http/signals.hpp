#pragma once
// TerminationSignalWaiter: lets `callgate serve` block until SIGTERM or SIGINT and then shut the
// server down gracefully. Construct it *before* Server::Start() so a signal that arrives during
// startup is not lost.
//
//   http::TerminationSignalWaiter signals;
//   server.Start();
//   int signo = signals.Wait();
//   server.Stop();

#include <chrono>
#include <optional>

namespace callgate::http {

// Installs SIGTERM and SIGINT handlers for its lifetime (restoring the previous ones on
// destruction). At most one instance may exist at a time (a second construction throws
// std::logic_error). Wait()/WaitFor() may be called from one thread at a time.
class TerminationSignalWaiter {
 public:
  TerminationSignalWaiter();
  ~TerminationSignalWaiter();

  TerminationSignalWaiter(const TerminationSignalWaiter&) = delete;
  TerminationSignalWaiter& operator=(const TerminationSignalWaiter&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (or arrived since construction); returns its number.
  int Wait();
  // Like Wait(), but gives up after `timeout` (nullopt).
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);

 private:
  std::optional<int> WaitImpl(int timeout_ms);
};

}  // namespace callgate::http
