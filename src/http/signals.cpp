#include "http/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace callgate::http {

namespace {

// Self-pipe: the handler may only do async-signal-safe things, and write() is one of them.
// The waiting thread polls the read end, so it need not be the thread the signal lands on.
int g_pipe[2] = {-1, -1};
std::atomic<bool> g_installed{false};
struct sigaction g_old_term {};
struct sigaction g_old_int {};

extern "C" void OnTerminationSignal(int signo) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] const auto written = write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

}  // namespace

TerminationSignalWaiter::TerminationSignalWaiter() {
  if (g_installed.exchange(true)) {
    throw std::logic_error("only one TerminationSignalWaiter may exist at a time");
  }
  if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_installed = false;
    throw std::runtime_error("TerminationSignalWaiter: pipe2 failed");
  }
  struct sigaction action {};
  action.sa_handler = OnTerminationSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, &g_old_term);
  sigaction(SIGINT, &action, &g_old_int);
}

TerminationSignalWaiter::~TerminationSignalWaiter() {
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGINT, &g_old_int, nullptr);
  close(g_pipe[0]);
  close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
  g_installed = false;
}

int TerminationSignalWaiter::Wait() {
  while (true) {
    if (auto signo = WaitImpl(-1)) return *signo;
  }
}

std::optional<int> TerminationSignalWaiter::WaitFor(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (auto signo = WaitImpl(static_cast<int>(std::max<long long>(left.count(), 0)))) {
      return signo;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
  }
}

std::optional<int> TerminationSignalWaiter::WaitImpl(int timeout_ms) {
  pollfd fd{g_pipe[0], POLLIN, 0};
  const int ready = poll(&fd, 1, timeout_ms);
  if (ready <= 0) return std::nullopt;  // timeout, or EINTR: the caller loops
  unsigned char byte = 0;
  if (read(g_pipe[0], &byte, 1) == 1) return static_cast<int>(byte);
  return std::nullopt;
}

}  // namespace callgate::http
